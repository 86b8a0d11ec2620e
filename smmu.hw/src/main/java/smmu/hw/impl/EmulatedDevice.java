package smmu.hw.impl;

import smmu.hw.Event;
import smmu.hw.InterruptSink;
import smmu.hw.PhysicalMemory;
import smmu.hw.SmmuSpec;
import smmu.hw.SmmuStats;
import smmu.hw.StreamPort;
import smmu.hw.TableEntry;
import smmu.hw.TranslationRequest;
import smmu.hw.TranslationResult;
import smmu.hw.Walk;
import smmu.hw.arch.Regs;
import smmu.hw.emul.EmulatedSmmu;
import smmu.hw.emul.FrontEndHooks;

/** An {@link EmulatedSmmu}: an {@link SmmuDevice} over guest memory with a VMM front end connected. */
public final class EmulatedDevice implements EmulatedSmmu {
	private final SmmuDevice device;
	private final FrontEndHooks hooks;

	public EmulatedDevice(SmmuDevice device, FrontEndHooks hooks) {
		this.device = device;
		this.hooks = hooks;
		device.frontEnd(hooks);
		device.qemuEventQueue();
	}

	@Override
	public void propagate(long[] record) {
		if (record == null || record.length != 4) {
			throw new IllegalArgumentException("an event record is four 64-bit words");
		}
		device.injectRecord(record.clone());
	}

	@Override
	public void inject(Event event) {
		device.inject(event);
	}

	@Override
	public void reset() {
		device.reset();
		hooks.gbpaWritten(Regs.GBPA_RESET);
	}

	@Override
	public SmmuSpec spec() {
		return device.spec();
	}

	@Override
	public PhysicalMemory memory() {
		return device.memory();
	}

	@Override
	public TranslationResult translate(TranslationRequest request) {
		return device.translate(request);
	}

	@Override
	public long translateCached(int sid, int ssid, long iova, boolean write) {
		return device.translateCached(sid, ssid, iova, write);
	}

	@Override
	public StreamPort port(int sid, int ssid) {
		return device.port(sid, ssid);
	}

	@Override
	public Walk walk(TranslationRequest request) {
		return device.walk(request);
	}

	@Override
	public TableEntry readSte(int sid) {
		return device.readSte(sid);
	}

	@Override
	public TableEntry readCd(int sid, int ssid) {
		return device.readCd(sid, ssid);
	}

	@Override
	public SmmuStats stats() {
		return device.stats();
	}

	@Override
	public void resetStats() {
		device.resetStats();
	}

	@Override
	public java.util.List<smmu.hw.StreamStats> streamStats(int... sids) {
		return device.streamStats(sids);
	}

	@Override
	public void resetStreamStats(int... sids) {
		device.resetStreamStats(sids);
	}

	@Override
	public void connect(InterruptSink sink) {
		device.connect(sink == null ? null : (s, line) -> sink.pulse(this, line));
	}

	@Override
	public int read32(int offset) {
		return device.read32(offset);
	}

	@Override
	public long read64(int offset) {
		return device.read64(offset);
	}

	@Override
	public void write32(int offset, int value) {
		device.write32(offset, value);
	}

	@Override
	public void write64(int offset, long value) {
		device.write64(offset, value);
	}

	@Override
	public String toString() {
		return "EmulatedSmmu[" + device.spec().id() + "]";
	}
}
