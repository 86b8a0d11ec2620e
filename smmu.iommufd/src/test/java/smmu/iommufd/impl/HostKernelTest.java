package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.annotation.Annotation;

import org.junit.jupiter.api.Test;

import smmu.hw.testing.TestHost;
import smmu.hw.TranslationRequest;
import smmu.iommufd.arm.EventReport;
import smmu.iommufd.arm.KernelMode;

/** The host kernel component: its configuration and the EVENTQ interrupt wiring. */
class HostKernelTest {

	static KernelConfig config(String mode) {
		return new KernelConfig() {
			@Override
			public Class<? extends Annotation> annotationType() {
				return KernelConfig.class;
			}

			@Override
			public String mode() {
				return mode;
			}
		};
	}

	@Test
	void modeFromConfiguration() {
		TestHost hw = new TestHost(1);
		HostKernel shared = new HostKernel(hw, config("shared"));
		assertEquals(KernelMode.SHARED, shared.kernel().mode());
		shared.deactivate();
		HostKernel perSmmu = new HostKernel(hw, config("per-smmu"));
		assertEquals(KernelMode.PER_SMMU, perSmmu.kernel().mode());
		perSmmu.deactivate();
		assertThrows(IllegalArgumentException.class, () -> new HostKernel(hw, config("PER_SMMU")));
	}

	@Test
	void eventqInterruptsDrainTheEventQueueUntilDeactivated() {
		TestHost hw = new TestHost(2);
		HostKernel host = new HostKernel(hw, KernelMode.SHARED);
		// empty paging domains: every access records F_TRANSLATION
		for (int i = 0; i < 2; i++) {
			var m = host.kernel().master(TestHost.bdf(i));
			host.kernel().attach(m, host.kernel().domainAllocPaging(m, 0));
		}
		hw.smmus().get(0).translate(TranslationRequest.read(TestHost.sid(0), 0x1000));
		hw.smmus().get(1).translate(TranslationRequest.read(TestHost.sid(1), 0x1000));
		host.awaitInterrupts();
		assertEquals(new EventReport(0, 2), host.kernel().eventTotals(), "both SMMUs' queues drained by the host");
		host.deactivate();
		hw.smmus().get(0).translate(TranslationRequest.read(TestHost.sid(0), 0x1000));
		assertEquals(new EventReport(0, 2), host.kernel().eventTotals(), "disconnected");
		assertEquals(1, hw.drivers.get("smmu0").drainEvents().size(), "the event waits in the queue");
	}
}
