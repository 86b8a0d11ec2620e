package smmu.accel.guest;

import java.util.Map;
import java.util.TreeMap;

import smmu.hw.SmmuRegisters;
import smmu.hw.driver.SmmuDriver;

/** One vSMMU as the guest kernel drives it: its registers and the arm-smmu-v3 driver instance. */
public final class GuestSmmu {
	private final String name;
	private final SmmuRegisters registers;
	private final SmmuDriver driver;
	/** vSID -> attached device; guarded by the kernel. */
	final Map<Integer, GuestDevice> devices = new TreeMap<>();
	/** IORT RMRs of this SMMU node, {base, size}; guarded by the kernel. */
	final java.util.List<long[]> rmrs = new java.util.ArrayList<>();

	GuestSmmu(String name, SmmuRegisters registers, SmmuDriver driver) {
		this.name = name;
		this.registers = registers;
		this.driver = driver;
	}

	public String name() {
		return name;
	}

	public SmmuRegisters registers() {
		return registers;
	}

	/** The driver: stream table, queues and counters in guest RAM. */
	public SmmuDriver driver() {
		return driver;
	}

	@Override
	public String toString() {
		return "GuestSmmu[" + name + " " + driver + "]";
	}
}
