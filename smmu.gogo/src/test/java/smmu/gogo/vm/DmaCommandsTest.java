package smmu.gogo.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.accel.Dma;
import smmu.hw.Event;
import smmu.hw.EventType;

class DmaCommandsTest {
	@Test
	void dataIsHexBytesInOrderOrA0xNumberAsEightLittleEndianBytes() {
		assertArrayEquals(new byte[] { (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef }, DmaCommands.bytes("de:ad:be:ef"));
		assertArrayEquals(new byte[] { (byte) 0xca, (byte) 0xfe }, DmaCommands.bytes("CAFE"));
		assertArrayEquals(new byte[] { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 }, DmaCommands.bytes("0x0102030405060708"));
		assertArrayEquals(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }, DmaCommands.bytes("0x1"));
		for (String bad : List.of("", "abc", "xyz1", "0xg", "12 34")) {
			assertThrows(IllegalArgumentException.class, () -> DmaCommands.bytes(bad), bad);
		}
	}

	@Test
	void anMsiRowShowsTheThreeAddressesAndTheOutcome() {
		VmViews.MsiRow ok = VmViews.msi(new smmu.accel.Msi("dev0", 3, 0xffffe040L, 0x8090040L, 0x8000040L, 0x2f030040L, null, "vm1:3", null, 1));
		assertEquals("delivered to vm1:3", ok.result());
		assertEquals("0x2f030040", ok.hostPa());
		Event e = new Event(EventType.F_TRANSLATION, 0x100, Event.NO_SSID, 0x8000040L, 0, false, Event.CLASS_IN, false);
		VmViews.MsiRow fault = VmViews.msi(new smmu.accel.Msi("dev0", 3, 0xffffe040L, 0x8090040L, 0x8000040L, -1, e, null, "stage 1", 1));
		assertEquals("-", fault.hostPa());
		assertEquals("F_TRANSLATION sid=0x100 iova=0x8000040 s2=0 class=IN write", fault.result());
		VmViews.MsiRow lost = VmViews.msi(new smmu.accel.Msi("dev0", 3, 0, 0x8020040L, 0x8000040L, 0x2f030040L, null, null, "no route", 1));
		assertEquals("not delivered (no route)", lost.result());
	}

	@Test
	void aDmaRowShowsTheDataOrTheFault() {
		VmViews.DmaRow ok = VmViews.dma("dev0", 0x1000, new Dma(2, new byte[] { 1, (byte) 0xff }, List.of(0x8800_1000L), null, null), true);
		assertEquals("01 ff", ok.data());
		assertEquals("0x88001000", ok.hostPages());
		assertEquals("ok", ok.result());
		Event e = new Event(EventType.F_TRANSLATION, 0x101, Event.NO_SSID, 0xfffff000L, 0, false, Event.CLASS_IN, true);
		VmViews.DmaRow fault = VmViews.dma("dev1", 0xfffff000L, new Dma(0, new byte[0], List.of(), e, "stage 1 F_TRANSLATION"), true);
		assertEquals("-", fault.data());
		assertEquals("F_TRANSLATION sid=0x101 iova=0xfffff000 s2=0 class=IN read", fault.result());
		VmViews.DmaRow silent = VmViews.dma("dev1", 0, new Dma(0, new byte[0], List.of(), null, "STE.Config = abort"), false);
		assertEquals("abort (STE.Config = abort)", silent.result());
	}
}
