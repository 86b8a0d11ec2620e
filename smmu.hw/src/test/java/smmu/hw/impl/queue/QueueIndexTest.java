package smmu.hw.impl.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import smmu.hw.arch.Regs;

class QueueIndexTest {

	@Test
	void emptyFullAndNextWithWrap() {
		int log2 = 2;
		assertTrue(QueueIndex.empty(0, 0, log2));
		assertTrue(QueueIndex.empty(0x10 | 3, 3, log2), "bits above wrap ignored");
		assertFalse(QueueIndex.full(3, 3, log2));
		assertTrue(QueueIndex.full(4, 0, log2));
		assertTrue(QueueIndex.full(1, 5, log2));
		assertFalse(QueueIndex.empty(4, 0, log2));
		assertEquals(1, QueueIndex.next(0, log2));
		assertEquals(4, QueueIndex.next(3, log2), "index wraps into the wrap bit");
		assertEquals(0, QueueIndex.next(7, log2), "wrap bit toggles back");
		assertEquals(Regs.Q_OVF | 4, QueueIndex.next(Regs.Q_OVF | 3, log2), "flags kept");
		assertEquals(1 << 24 | 0, QueueIndex.next(1 << 24 | 7, log2), "CONS.ERR kept");
		assertEquals(3, QueueIndex.index(7, log2));
	}

	@Test
	void singleEntryAndLargestQueues() {
		assertTrue(QueueIndex.full(1, 0, 0));
		assertEquals(1, QueueIndex.next(0, 0));
		assertEquals(0, QueueIndex.next(1, 0));
		assertEquals(0xf_ffff, QueueIndex.wrapIndexMask(19));
		assertEquals(1 << 19, QueueIndex.next((1 << 19) - 1, 19));
		assertEquals(19, QueueIndex.maxLog2(31));
		assertEquals(7, QueueIndex.maxLog2(7));
	}
}
