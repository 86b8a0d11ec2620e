#!/usr/bin/env python3
"""Lift QEMU's "SMMUv3 accel=on requires KVM with kernel-irqchip=on support" check in a copy of
qemu-system-aarch64 (x86-64 ELF), so that arm-smmuv3,accel=on realizes under TCG.

    patch-kvm-check.py ORIGINAL PATCHED      writes PATCHED (ORIGINAL is only read)

hw/arm/virt.c, virt_machine_device_pre_plug_cb():

    if (!kvm_enabled() || !kvm_irqchip_in_kernel()) {
        error_setg(errp, "SMMUv3 accel=on requires KVM with kernel-irqchip=on support");
        return;
    }

kvm_enabled() and kvm_irqchip_in_kernel() are the globals kvm_allowed and kvm_kernel_irqchip (both
exported dynamic symbols), so the test compiles to

    cmpb $0x0, kvm_allowed(%rip)          80 3d <rel32> 00
    j<cc> <error path>                    0f 8<c> <rel32>
    ...
    cmpb $0x0, kvm_kernel_irqchip(%rip)   80 3d <rel32> 00
    j<cc> <error path>                    0f 8<c> <rel32>

and the error path loads the message with a RIP-relative lea. Located by pattern, never by offset:
  1. the message's address (a NUL-terminated string in a loaded segment, exactly once);
  2. its references: RIP-relative lea (REX.W 8d /r, mod 00 r/m 101) anywhere in the executable segment;
  3. kvm_allowed and kvm_kernel_irqchip from .dynsym;
  4. every `cmpb $0, sym(%rip)` immediately followed by a 6-byte jcc whose target lies at most
     ERROR_BLOCK bytes before one of those leas (the jump enters the error path that loads the message).
Exactly one such pair must exist for each symbol, else the build is refused. The two jccs become 6-byte
NOPs (66 0f 1f 44 00 00); nothing else changes (checked by comparing the files afterwards).
Standard library only.
"""
import hashlib
import os
import struct
import sys

MESSAGE = b"SMMUv3 accel=on requires KVM with kernel-irqchip=on support"
SYMBOLS = ("kvm_allowed", "kvm_kernel_irqchip")
NOP6 = bytes.fromhex("660f1f440000")
ERROR_BLOCK = 96  # bytes from a jcc target to the lea of the message (file/line/func loads come first)


class Refused(Exception):
    pass


class Elf:
    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise Refused("not a little-endian 64-bit ELF file")
        (e_type, e_machine) = struct.unpack_from("<HH", data, 16)
        if e_machine != 62:
            raise Refused("not an x86-64 binary (e_machine %d)" % e_machine)
        self.data = data
        e_phoff, e_shoff = struct.unpack_from("<QQ", data, 32)
        e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHHHH", data, 54)
        self.loads = []  # (vaddr, offset, filesz, flags)
        for i in range(e_phnum):
            p_type, p_flags, p_offset, p_vaddr, _p, p_filesz, _m, _a = struct.unpack_from(
                "<IIQQQQQQ", data, e_phoff + i * e_phentsize)
            if p_type == 1:
                self.loads.append((p_vaddr, p_offset, p_filesz, p_flags))
        self.sections = []
        for i in range(e_shnum):
            self.sections.append(struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize))

    def offset_to_vaddr(self, off):
        for vaddr, offset, size, _f in self.loads:
            if offset <= off < offset + size:
                return vaddr + off - offset
        return None

    def exec_ranges(self):
        return [(vaddr, offset, size) for vaddr, offset, size, flags in self.loads if flags & 1]

    def dynsym(self, names):
        found = {}
        for sh in self.sections:
            sh_name, sh_type, _fl, _addr, sh_offset, sh_size, sh_link, _info, _al, sh_entsize = sh
            if sh_type != 11:  # SHT_DYNSYM
                continue
            strtab = self.sections[sh_link]
            str_off = strtab[4]
            for i in range(sh_size // sh_entsize):
                st_name, _st_info, _o, st_shndx, st_value, _sz = struct.unpack_from(
                    "<IBBHQQ", self.data, sh_offset + i * sh_entsize)
                end = self.data.index(b"\0", str_off + st_name)
                name = self.data[str_off + st_name:end].decode("ascii", "replace")
                if name in names and st_shndx != 0:
                    found.setdefault(name, set()).add(st_value)
        return found


def locate(data):
    elf = Elf(data)
    # 1. the message
    hits = []
    start = 0
    while True:
        i = data.find(MESSAGE + b"\0", start)
        if i < 0:
            break
        if i == 0 or data[i - 1] == 0:
            hits.append(i)
        start = i + 1
    if len(hits) != 1:
        raise Refused("the message %r occurs %d times as a string (expected once)" % (MESSAGE.decode(), len(hits)))
    msg_addr = elf.offset_to_vaddr(hits[0])
    if msg_addr is None:
        raise Refused("the message is not in a loaded segment")

    # 2. RIP-relative lea references to it
    leas = []
    for vaddr, offset, size in elf.exec_ranges():
        seg = data[offset:offset + size]
        i = seg.find(b"\x8d", 1)
        while i >= 0:
            rex = seg[i - 1]
            modrm = seg[i + 1] if i + 1 < len(seg) else 0
            if rex in (0x48, 0x4C) and (modrm & 0xC7) == 0x05 and i + 6 <= len(seg):
                (rel,) = struct.unpack_from("<i", seg, i + 2)
                insn = vaddr + i - 1
                if insn + 7 + rel == msg_addr:
                    leas.append(insn)
            i = seg.find(b"\x8d", i + 1)
    if not leas:
        raise Refused("no RIP-relative lea of the message found")

    # 3. the two globals
    syms = elf.dynsym(set(SYMBOLS))
    addrs = {}
    for name in SYMBOLS:
        values = syms.get(name, set())
        if len(values) != 1:
            raise Refused("dynamic symbol %s: %d definitions (expected one)" % (name, len(values)))
        addrs[name] = values.pop()

    # 4. cmpb $0, sym(%rip) ; jcc rel32 -> error path
    patches = {}
    for name in SYMBOLS:
        matches = []
        for vaddr, offset, size in elf.exec_ranges():
            seg = data[offset:offset + size]
            i = seg.find(b"\x80\x3d")
            while i >= 0:
                if i + 13 <= len(seg) and seg[i + 6] == 0 and seg[i + 7] == 0x0F and 0x80 <= seg[i + 8] <= 0x8F:
                    (rel,) = struct.unpack_from("<i", seg, i + 2)
                    insn = vaddr + i
                    if insn + 7 + rel == addrs[name]:
                        (jrel,) = struct.unpack_from("<i", seg, i + 9)
                        target = insn + 13 + jrel
                        if any(0 <= lea - target <= ERROR_BLOCK for lea in leas):
                            matches.append((offset + i + 7, insn + 7, seg[i + 7:i + 13]))
                i = seg.find(b"\x80\x3d", i + 1)
        if len(matches) != 1:
            raise Refused("`cmpb $0, %s(%%rip)` followed by a jump to the error path: found %d times (expected once)"
                          % (name, len(matches)))
        patches[name] = matches[0]
    return msg_addr, leas, addrs, patches


def main(argv):
    try:
        if len(argv) != 3:
            print("usage: patch-kvm-check.py ORIGINAL PATCHED", file=sys.stderr)
            return 2
        src, dst = argv[1], argv[2]
        data = bytearray(open(src, "rb").read())
        msg_addr, leas, addrs, patches = locate(bytes(data))
        print("patch-kvm-check: message at 0x%x, referenced by lea at %s" % (msg_addr, ", ".join("0x%x" % a for a in leas)))
        for name in SYMBOLS:
            off, vaddr, old = patches[name]
            print("patch-kvm-check: %s at 0x%x: jcc at 0x%x (file offset 0x%x) %s -> %s"
                  % (name, addrs[name], vaddr, off, old.hex(" "), NOP6.hex(" ")))
            data[off:off + 6] = NOP6
        tmp = dst + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, os.stat(src).st_mode & 0o7777)
        os.replace(tmp, dst)
        print("patch-kvm-check: wrote %s (sha256 %s)" % (dst, hashlib.sha256(data).hexdigest()))
        return 0
    except (struct.error, IndexError, ValueError) as e:
        print("patch-kvm-check: REFUSED: malformed ELF file (%s)" % e, file=sys.stderr)
        return 3
    except Refused as e:
        print("patch-kvm-check: REFUSED: this qemu-system-aarch64 build is not one the patcher recognises: %s" % e,
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
