package smmu.gogo.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import smmu.gogo.format.Formatter;
import smmu.gogo.format.ShellError;
import smmu.gogo.hw.Views.DecodedRow;
import smmu.gogo.hw.Views.EntryView;
import smmu.gogo.hw.Views.MemView;
import smmu.hw.Smmu;
import smmu.hw.testing.TestHost;

class MemTest {
	private final TestHost host = new TestHost(1, 1, idr -> idr);
	private final SmmuCommands c = new SmmuCommands(host);
	private final Smmu s = host.smmus().get(0);

	@Test
	void bytesAsHexAndText() {
		byte[] hello = "hello, SMMU world".getBytes(StandardCharsets.US_ASCII);
		s.memory().write(0x8000_1000L, hello, 0, hello.length);
		MemView v = c.mem("", "smmu0", "0x80001000", "20");
		assertEquals(2, v.bytes().size());
		assertEquals("68 65 6c 6c 6f 2c 20 53  4d 4d 55 20 77 6f 72 6c", v.bytes().get(0).hex());
		assertEquals("hello, SMMU worl", v.bytes().get(0).ascii());
		assertEquals("64 00 00 00", v.bytes().get(1).hex());
		assertEquals(0x8000_1010L, v.bytes().get(1).address());
		assertTrue(v.decoded().isEmpty());
		String text = new Formatter().inspect(v);
		assertTrue(text.contains("hello, SMMU worl"), text);
	}

	@Test
	void decodesTheSteTheSmmuFinds() {
		int sid = host.endpoints().get(0).sid();
		EntryView ste = c.ste("smmu0", Integer.toString(sid));
		MemView v = c.mem("ste", "smmu0", "0x" + Long.toHexString(ste.address()), "64");
		List<String> fromMem = v.decoded().stream().map(d -> d.field() + "=" + d.value() + " " + d.meaning()).toList();
		List<String> fromSte = ste.fields().stream().map(f -> f.field() + "=" + f.value() + " " + f.meaning()).toList();
		assertEquals(fromSte, fromMem);
		assertTrue(v.decoded().stream().allMatch(d -> d.address() == ste.address() && d.what().equals("STE")));
	}

	@Test
	void decodesDescriptors() {
		s.memory().write64(0x8000_2000L, 0x4000_0000L | 0x400 | 0x300 | 3); // AF, SH=3, table/page
		s.memory().write64(0x8000_2008L, 0x4020_0000L | 0x400 | 1); // block
		MemView v = c.mem("pte", "smmu0", "0x80002000", "24");
		assertEquals(3, v.decoded().size());
		DecodedRow page = v.decoded().get(0);
		assertEquals("table next=0x40000000 or page out=0x40000000 AttrIndx/MemAttr=0 AP/S2AP=0 SH=3 AF", page.meaning());
		assertTrue(v.decoded().get(1).meaning().startsWith("block out=0x40200000"), v.decoded().get(1).meaning());
		assertEquals("invalid", v.decoded().get(2).meaning());
	}

	@Test
	void wrongArgumentsAreOneLine() {
		assertEquals("len: 0 is out of range (0x1..0x1000)", assertThrows(ShellError.class, () -> c.mem("", "smmu0", "0", "0")).getMessage());
		assertEquals("len: 4097 is out of range (0x1..0x1000)", assertThrows(ShellError.class, () -> c.mem("", "smmu0", "0", "4097")).getMessage());
		assertEquals("pa: -1 is negative (0x0..0xffffffffffffffff)", assertThrows(ShellError.class, () -> c.mem("", "smmu0", "-1", "8")).getMessage());
		assertEquals("--as: 'foo' is not one of ste, cd, pte", assertThrows(ShellError.class, () -> c.mem("foo", "smmu0", "0", "8")).getMessage());
		assertEquals("len: --as ste needs at least 64 bytes", assertThrows(ShellError.class, () -> c.mem("ste", "smmu0", "0", "8")).getMessage());
		String beyond = assertThrows(ShellError.class, () -> c.mem("", "smmu0", "0xffffffffffffff00", "16")).getMessage();
		assertTrue(beyond.startsWith("pa: 0xffffffffffffff00..0xffffffffffffff0f is beyond smmu0's "), beyond);
	}
}
