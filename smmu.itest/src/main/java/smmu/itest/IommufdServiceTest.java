package smmu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.osgi.test.common.annotation.InjectService;

import smmu.hw.HostPlatform;
import smmu.hw.Smmu;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult.Translated;
import smmu.iommufd.Errno;
import smmu.iommufd.HwInfo;
import smmu.iommufd.IoasAlloc;
import smmu.iommufd.IoasMap;
import smmu.iommufd.Iommufd;
import smmu.iommufd.IommufdContext;
import smmu.iommufd.IommufdException;
import smmu.iommufd.VmmAddressSpace;

/** The Iommufd service inside Felix runs on the host kernel component over the default host platform. */
class IommufdServiceTest {
	static final long VA = 0x7f00_0000_0000L, PA = 0x3_0000_0000L, GPA = 0x4000_0000L;

	@InjectService
	HostPlatform host;

	@InjectService
	Iommufd iommufd;

	@Test
	void aVmmBindsAPlatformDeviceAndItsDmaTranslatesThroughAnAutomaticDomain() {
		VmmAddressSpace mm = new VmmAddressSpace(host.memory());
		mm.map(VA, 0x20_0000, PA, true);
		try (IommufdContext ctx = iommufd.open(mm, false)) {
			IommufdException e = assertThrows(IommufdException.class, () -> ctx.bindDevice("0000:07:00.0"));
			assertEquals(Errno.ENODEV, e.errno());
			int dev = ctx.bindDevice("0000:02:00.1");
			assertEquals(HwInfo.TYPE_ARM_SMMUV3, ctx.getHwInfo(HwInfo.request(dev, 0, 0)).dataType());
			int ioas = ctx.ioasAlloc(IoasAlloc.request()).outIoasId();
			ctx.ioasMap(new IoasMap(IoasMap.FIXED_IOVA | IoasMap.READABLE | IoasMap.WRITEABLE, ioas, VA, 0x20_0000, GPA));
			ctx.attachDevice(dev, ioas);
			Smmu smmu1 = host.smmu("smmu1").orElseThrow();
			Translated t = assertInstanceOf(Translated.class, smmu1.translate(TranslationRequest.write(0x201, GPA + 0x1_2340)));
			assertEquals(PA + 0x1_2340, t.pa());
		}
	}
}
