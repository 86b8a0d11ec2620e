package smmu.accel.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import smmu.accel.VmException;
import smmu.accel.guest.DmaBuffer;
import smmu.accel.guest.GuestDevice;
import smmu.accel.guest.GuestKernel;
import smmu.accel.vm.Vm;
import smmu.accel.workload.Workload;
import smmu.accel.workload.WorkloadSpec;
import smmu.accel.workload.WorkloadSpec.Pattern;
import smmu.accel.workload.WorkloadStats;
import smmu.vfio.DmaResult;

/**
 * One workload on one VM's device model: a daemon thread per device issuing DMAs through the device's
 * physical SMMU ({@link Vm#dmaWrite}, concurrent with everything but the guest kernel's own lock) and the
 * guest kernel's DMA API calls (map, strict or deferred unmap, flush).
 */
final class WorkloadRun implements Workload {
	/** Linux's IOVA_FQ_TIMEOUT: a queued unmap waits at most this long for its flush. */
	static final long FQ_TIMEOUT_NANOS = 10_000_000L;

	private final int id;
	private final String vmName;
	private final Vm vm;
	private final WorkloadSpec spec;
	private final List<String> devices;
	private final LongAdder ios = new LongAdder(), bytes = new LongAdder(), maps = new LongAdder(), unmaps = new LongAdder(),
			flushes = new LongAdder(), faults = new LongAdder();
	private final CountDownLatch done = new CountDownLatch(1);
	private final java.util.concurrent.atomic.AtomicInteger remaining;
	private final AtomicReference<String> error = new AtomicReference<>();
	private volatile boolean stopRequested;
	private volatile State state = State.RUNNING;
	private final long started = System.nanoTime();
	private volatile long ended;
	private final List<Thread> threads = new ArrayList<>();

	WorkloadRun(int id, String vmName, Vm vm, WorkloadSpec spec, List<String> devices) {
		this.id = id;
		this.vmName = vmName;
		this.vm = vm;
		this.spec = spec;
		this.devices = List.copyOf(devices);
		this.remaining = new java.util.concurrent.atomic.AtomicInteger(devices.size());
	}

	/** Starts one thread per device. */
	void start(Runnable whenDone) {
		for (String d : devices) {
			Thread t = new Thread(() -> {
				try {
					run(d);
				} catch (RuntimeException e) {
					error.compareAndSet(null, d + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
					stopRequested = true;
				} finally {
					if (remaining.decrementAndGet() == 0) {
						ended = System.nanoTime();
						state = error.get() != null ? State.FAILED : stopRequested ? State.STOPPED : State.DONE;
						whenDone.run();
						done.countDown();
					}
				}
			}, "workload-" + id + "-" + vmName + "-" + d);
			t.setDaemon(true);
			threads.add(t);
		}
		for (Thread t : threads) {
			t.start();
		}
	}

	private void run(String device) {
		GuestKernel kernel = vm.kernel();
		GuestDevice gd = vm.guestDevice(device);
		if (gd == null) {
			throw new VmException("device " + device + " is not attached by the guest");
		}
		byte[] data = new byte[spec.ioBytes()];
		Arrays.fill(data, (byte) (0x5a ^ id));
		long deadline = spec.duration().isZero() ? Long.MAX_VALUE : started + spec.duration().toNanos();
		double period = spec.rate() > 0 ? 1e9 / spec.rate() : 0;
		long n = 0;
		switch (spec.pattern()) {
			case STREAM, RANDOM -> {
				DmaBuffer buf = kernel.dmaMap(gd, spec.bufferBytes());
				maps.increment();
				try {
					long slots = spec.bufferBytes() / spec.ioBytes();
					SplittableRandom rnd = new SplittableRandom(spec.seed() * 31 + device.hashCode());
					while (more(n, deadline)) {
						pace(n, period);
						long slot = spec.pattern() == Pattern.STREAM ? n % slots : rnd.nextLong(slots);
						dma(device, buf.iova() + slot * spec.ioBytes(), data);
						n++;
					}
				} finally {
					kernel.dmaUnmap(gd, buf.iova(), buf.size());
					unmaps.increment();
				}
			}
			case CHURN_STRICT, CHURN_LAZY -> {
				boolean lazy = spec.pattern() == Pattern.CHURN_LAZY;
				int queued = 0;
				long firstQueued = 0;
				try {
					while (more(n, deadline)) {
						DmaBuffer b = kernel.dmaMap(gd, spec.ioBytes());
						maps.increment();
						for (int j = 0; j < spec.dmasPerMap() && more(n, deadline); j++) {
							pace(n, period);
							dma(device, b.iova(), data);
							n++;
						}
						if (lazy) {
							kernel.dmaUnmapDeferred(gd, b.iova(), b.size());
							if (queued++ == 0) {
								firstQueued = System.nanoTime();
							}
							if (queued >= spec.batch() || System.nanoTime() - firstQueued >= FQ_TIMEOUT_NANOS) {
								flush(kernel, gd);
								queued = 0;
							}
						} else {
							kernel.dmaUnmap(gd, b.iova(), b.size());
						}
						unmaps.increment();
					}
				} finally {
					if (lazy && queued > 0) {
						flush(kernel, gd);
					}
				}
			}
		}
	}

	private void flush(GuestKernel kernel, GuestDevice gd) {
		if (kernel.flush(gd) > 0) {
			flushes.increment();
		}
	}

	private boolean more(long n, long deadline) {
		return !stopRequested && (spec.ios() == 0 || n < spec.ios()) && System.nanoTime() < deadline;
	}

	private void pace(long n, double period) {
		if (period <= 0) {
			return;
		}
		long due = started + (long) (n * period);
		long wait;
		while (!stopRequested && (wait = due - System.nanoTime()) > 0) {
			LockSupport.parkNanos(Math.min(wait, 50_000_000L));
		}
	}

	private void dma(String device, long iova, byte[] data) {
		DmaResult r = vm.dmaWrite(device, iova, data);
		ios.increment();
		bytes.add(r.bytes());
		if (!r.ok()) {
			faults.increment();
		}
	}

	@Override
	public int id() {
		return id;
	}

	@Override
	public String vm() {
		return vmName;
	}

	@Override
	public WorkloadSpec spec() {
		return spec;
	}

	@Override
	public List<String> devices() {
		return devices;
	}

	@Override
	public State state() {
		return state;
	}

	@Override
	public WorkloadStats stats() {
		long end = ended == 0 ? System.nanoTime() : ended;
		return new WorkloadStats(ios.sum(), bytes.sum(), maps.sum(), unmaps.sum(), flushes.sum(), faults.sum(), end - started);
	}

	@Override
	public String error() {
		return error.get();
	}

	@Override
	public void stop() {
		stopRequested = true;
		for (Thread t : threads) {
			if (t == Thread.currentThread()) {
				return;
			}
		}
		try {
			done.await(30, TimeUnit.SECONDS);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public boolean await(Duration timeout) throws InterruptedException {
		return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
	}

	@Override
	public String toString() {
		return "Workload[" + id + " " + spec.pattern().label() + " on " + vmName + " " + devices + " " + state + "]";
	}
}
