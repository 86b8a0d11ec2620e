#!/usr/bin/env python3
"""Tests of patch-kvm-check.py on small synthetic x86-64 ELF files built here (no QEMU needed):
what it patches in the shape QEMU 11.1's binary has, and every shape it must refuse.

    python3 tools/qemu/test_patch_kvm_check.py
"""
import importlib.util
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PATCHER = os.path.join(HERE, "patch-kvm-check.py")
spec = importlib.util.spec_from_file_location("patcher", PATCHER)
patcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(patcher)

BASE = 0x400000
CODE = 0x1000      # file offset of the code
MSG = 0x3000       # file offset of the message
DATA = 0x3800      # file offset of the two globals
DYN = 0x4000       # .dynsym, then .dynstr


def rel32(insn_end, target):
    return struct.pack("<i", target - insn_end)


def cmp_jcc(at, sym, target, cc=0x84):
    """cmpb $0, sym(%rip) ; j<cc> target, at vaddr `at` (13 bytes)."""
    return b"\x80\x3d" + rel32(at + 7, sym) + b"\x00" + b"\x0f" + bytes([cc]) + rel32(at + 13, target)


def build(pairs=("kvm_allowed", "kvm_kernel_irqchip"), message=patcher.MESSAGE, symbols=patcher.SYMBOLS,
          jump_elsewhere=(), duplicate=(), lea=True, machine=62):
    """An ELF whose code at CODE is the check as QEMU compiles it: one cmp+jcc per name in `pairs`
    (jumping to the error block, or past it for names in jump_elsewhere; names in duplicate get a
    second copy), then the error block: lea of the message."""
    size = DYN + 0x400
    f = bytearray(size)
    addr = {name: BASE + DATA + 8 * i for i, name in enumerate(patcher.SYMBOLS)}
    err = BASE + CODE + 0x200
    code = bytearray()
    for name in list(pairs) + list(duplicate):
        at = BASE + CODE + len(code)
        target = err + 0x100 if name in jump_elsewhere else err
        code += cmp_jcc(at, addr[name], target)
    f[CODE:CODE + len(code)] = code
    # the error block: lea file(%rip),%rcx ; mov $line,%edx ; lea msg(%rip),%rdi ; ret
    block = b"\x48\x8d\x0d" + rel32(err + 7, BASE + MSG + 0x100) + b"\xba\x2a\x00\x00\x00"
    if lea:
        block += b"\x48\x8d\x3d" + rel32(err + len(block) + 7, BASE + MSG)
    block += b"\xc3"
    f[CODE + 0x200:CODE + 0x200 + len(block)] = block
    f[MSG:MSG + len(message) + 1] = message + b"\0"
    # .dynstr and .dynsym
    strtab = b"\0"
    syms = [b"\0" * 24]
    for name in symbols:
        off = len(strtab)
        strtab += name.encode() + b"\0"
        syms.append(struct.pack("<IBBHQQ", off, 0x11, 0, 1, addr[name], 1))
    dynsym = b"".join(syms)
    f[DYN:DYN + len(dynsym)] = dynsym
    stroff = DYN + len(dynsym)
    f[stroff:stroff + len(strtab)] = strtab
    # section headers: null, .dynsym (link 2), .dynstr
    shoff = len(f)
    sh = struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    sh += struct.pack("<IIQQQQIIQQ", 0, 11, 2, BASE + DYN, DYN, len(dynsym), 2, 1, 8, 24)
    sh += struct.pack("<IIQQQQIIQQ", 0, 3, 2, BASE + stroff, stroff, len(strtab), 0, 0, 1, 0)
    f += sh
    # ELF header, one PT_LOAD (R+X) over the whole file
    phoff = 64
    hdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    hdr += struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, BASE + CODE, phoff, shoff, 0, 64, 56, 1, 64, 3, 0)
    f[0:64] = hdr
    f[phoff:phoff + 56] = struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, len(f), len(f), 0x1000)
    return bytes(f)


def run(data):
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "qemu"), os.path.join(d, "qemu.patched")
        with open(src, "wb") as fh:
            fh.write(data)
        p = subprocess.run([sys.executable, PATCHER, src, dst], capture_output=True, text=True)
        out = None
        if os.path.exists(dst):
            with open(dst, "rb") as fh:
                out = fh.read()
        return p.returncode, p.stdout + p.stderr, out


class PatchTest(unittest.TestCase):
    def test_patches_exactly_the_two_jumps(self):
        data = build()
        rc, text, out = run(data)
        self.assertEqual(rc, 0, text)
        diff = [i for i in range(len(data)) if data[i] != out[i]]
        jcc1, jcc2 = CODE + 7, CODE + 13 + 7
        self.assertTrue(all(jcc1 <= i < jcc1 + 6 or jcc2 <= i < jcc2 + 6 for i in diff), diff)
        self.assertEqual(out[jcc1:jcc1 + 6], patcher.NOP6)
        self.assertEqual(out[jcc2:jcc2 + 6], patcher.NOP6)
        self.assertEqual(len(out), len(data))
        self.assertIn("kvm_allowed", text)
        self.assertIn("kvm_kernel_irqchip", text)

    def test_patched_output_is_refused_again(self):
        rc, _, out = run(build())
        self.assertEqual(rc, 0)
        rc, text, out2 = run(out)
        self.assertEqual(rc, 3)
        self.assertIn("REFUSED", text)
        self.assertIsNone(out2)

    def assertRefused(self, data, why):
        rc, text, out = run(data)
        self.assertEqual(rc, 3, text)
        self.assertIn("REFUSED", text)
        self.assertIn(why, text)
        self.assertIsNone(out, "nothing may be written for a refused build")

    def test_refuses_without_the_message(self):
        self.assertRefused(build(message=b"SMMUv3 accel=on requires something else"), "occurs 0 times")

    def test_refuses_without_a_reference_to_the_message(self):
        self.assertRefused(build(lea=False), "no RIP-relative lea")

    def test_refuses_without_the_symbol(self):
        self.assertRefused(build(symbols=("kvm_allowed",)), "kvm_kernel_irqchip")

    def test_refuses_a_test_that_jumps_elsewhere(self):
        self.assertRefused(build(jump_elsewhere=("kvm_kernel_irqchip",)), "kvm_kernel_irqchip(%rip)` followed by a jump to the error path: found 0")

    def test_refuses_two_candidates(self):
        self.assertRefused(build(duplicate=("kvm_allowed",)), "kvm_allowed(%rip)` followed by a jump to the error path: found 2")

    def test_refuses_a_missing_test(self):
        self.assertRefused(build(pairs=("kvm_allowed",)), "kvm_kernel_irqchip(%rip)` followed by a jump to the error path: found 0")

    def test_refuses_another_architecture(self):
        self.assertRefused(build(machine=183), "not an x86-64 binary")

    def test_refuses_garbage(self):
        self.assertRefused(b"\x7fELF" + b"\x00" * 10, "not a little-endian 64-bit ELF")

    def test_refuses_a_truncated_file(self):
        self.assertRefused(build()[:100], "malformed")
        self.assertRefused(build()[:0x1010], "malformed")


if __name__ == "__main__":
    unittest.main(verbosity=1)
