package smmu.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.iommufd.VmmAddressSpace.Mapping;

class VmmAddressSpaceTest {
	@Test
	void lookupFindsTheMappingOfAnyByte() {
		VmmAddressSpace mm = new VmmAddressSpace();
		mm.map(0x10000, 0x3000, 0x80000000L, true);
		assertEquals(new Mapping(0x10000, 0x3000, 0x80000000L, true), mm.lookup(0x12fff));
		assertEquals(0x80002fffL, mm.lookup(0x12fff).hostPa(0x12fff));
		assertNull(mm.lookup(0x13000));
		assertNull(mm.lookup(0xffff));
	}

	@Test
	void mapReplacesAndUnmapSplits() {
		VmmAddressSpace mm = new VmmAddressSpace();
		mm.map(0x10000, 0x4000, 0x80000000L, true);
		mm.map(0x11000, 0x1000, 0x90000000L, false);
		assertEquals(List.of(new Mapping(0x10000, 0x1000, 0x80000000L, true), new Mapping(0x11000, 0x1000, 0x90000000L, false),
				new Mapping(0x12000, 0x2000, 0x80002000L, true)), mm.mappings());
		mm.unmap(0x10000, 0x2000);
		mm.unmap(0x13000, 0x1000);
		assertEquals(List.of(new Mapping(0x12000, 0x1000, 0x80002000L, true)), mm.mappings());
	}

	@Test
	void addressesAreUnsigned() {
		VmmAddressSpace mm = new VmmAddressSpace();
		mm.map(0xffff800000000000L, 0x2000, 0x1000, true);
		mm.map(0x1000, 0x1000, 0x5000, true);
		assertEquals(0x2000, mm.lookup(0xffff800000001000L).hostPa(0xffff800000001000L));
		assertEquals(0x1000, mm.mappings().get(0).userVa());
		mm.map(0xfffffffffffff000L, 0x1000, 0x9000, false);
		assertEquals(0x9fffL, mm.lookup(-1L).hostPa(-1L));
	}

	@Test
	void badRangesAreRejected() {
		VmmAddressSpace mm = new VmmAddressSpace();
		assertThrows(IllegalArgumentException.class, () -> mm.map(0x1800, 0x1000, 0, true));
		assertThrows(IllegalArgumentException.class, () -> mm.map(0x1000, 0x1800, 0, true));
		assertThrows(IllegalArgumentException.class, () -> mm.map(0x1000, 0x1000, 0x800, true));
		assertThrows(IllegalArgumentException.class, () -> mm.map(0x1000, 0, 0, true));
		assertThrows(IllegalArgumentException.class, () -> mm.map(0xfffffffffffff000L, 0x2000, 0, true));
	}

	@Test
	void clearZeroesUpToTheFirstUnwritableByteWithoutBackingMemory() {
		smmu.hw.SparseMemory memory = new smmu.hw.SparseMemory(40);
		VmmAddressSpace mm = new VmmAddressSpace(memory);
		mm.map(0x10000, 0x2000, 0x100000, true);
		mm.map(0x12000, 0x1000, 0x200000, true);
		mm.map(0x13000, 0x1000, 0x300000, false);
		mm.map(0x40000000L, 1L << 30, 0x1000000000L, true);
		memory.write64(0x101ff8, -1L);
		memory.write64(0x200008, -1L);
		memory.write64(0x300000, -1L);
		long backed = memory.backedBytes();
		// across two mappings, into the read-only one: false, the writable bytes before it cleared
		assertEquals(false, mm.clear(0x11ff8, 0x1010));
		assertEquals(0, memory.read64(0x101ff8));
		assertEquals(0, memory.read64(0x200008));
		assertEquals(-1L, memory.read64(0x300000));
		assertEquals(true, mm.clear(0x10000, 0x3000));
		// a GiB costs no backing store; a range that wraps clears nothing
		assertEquals(true, mm.clear(0x40000000L, 1L << 30));
		assertEquals(backed, memory.backedBytes());
		assertEquals(false, mm.clear(-0x1000L, 0x2000));
		assertEquals(true, mm.clear(0x99999000L, 0));
		assertEquals(false, mm.clear(0x99999000L, 1));
	}
}
