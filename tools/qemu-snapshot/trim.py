#!/usr/bin/env python3
"""Trims a QEMU SMMUv3 snapshot into a small test fixture.

Input: a raw RAM image as HMP `pmemsave` writes it, its guest-physical base, and the QEMU trace log
(-trace smmuv3_write_mmio, smmuv3_read_mmio, smmuv3_translate_success and the invalidation events).

It rebuilds the register state from the smmuv3_write_mmio lines (last write per offset, 32-bit
halves of 64-bit registers merged, as QEMU's smmu_writel does), then keeps only the 4 KiB pages
holding SMMU structures: stream table (L1 and L2 tables), CD tables and CDs of every valid STE,
every stage-1 and stage-2 translation table page reachable from them, command and event queues.
Every other page is zeroed; the full-size image is written gzip-compressed.

It also selects the QEMU translations still valid when the VM stopped: the last translation of
each (sid, IOVA page) that no later invalidation (TLBI, CFGI) covers. Each one is checked by an
independent stage-1/stage-2 walk over the trimmed image; a mismatch aborts the run.

Outputs in --out: ram.img.gz, regs.trace, regs.txt, idregs.txt, translations.trace.
"""
import argparse
import gzip
import os
import re
import struct
import sys

PAGE = 4096
PREFIX = r'^(?:\d+@\d+\.\d+:)?'
WRITE_RE = re.compile(PREFIX + r'smmuv3_write_mmio addr: 0x([0-9a-f]+) val:0x([0-9a-f]+) size: 0x([0-9a-f]+)(?:\((-?\d+)\))?\s*$')
READ_RE = re.compile(PREFIX + r'smmuv3_read_mmio addr: 0x([0-9a-f]+) val:0x([0-9a-f]+) size: 0x([0-9a-f]+)(?:\((-?\d+)\))?\s*$')
XLATE_RE = re.compile(PREFIX + r'smmuv3_translate_success (\S+) sid=0x([0-9a-f]+) iova=0x([0-9a-f]+) translated=0x([0-9a-f]+) perm=0x([0-9a-f]+)\s*$')
RANGE_INV_RE = re.compile(PREFIX + r'smmuv3_s1_range_inval vmid=(\d+) asid=(-?\d+) addr=0x([0-9a-f]+) tg=(\d+) num_pages=0x([0-9a-f]+)')
GLOBAL_INV_RE = re.compile(PREFIX + r'(smmuv3_cmdq_tlbi_nh\b|smmuv3_cmdq_tlbi_nh_asid|smmuv3_cmdq_tlbi_s12_vmid|smmu_iotlb_inv_all|smmu_iotlb_inv_asid|smmu_iotlb_inv_vmid|smmuv3_cmdq_cfgi_)')

REG64 = {0x68: 'GERROR_IRQ_CFG0', 0x80: 'STRTAB_BASE', 0x90: 'CMDQ_BASE', 0xa0: 'EVENTQ_BASE',
         0xb0: 'EVENTQ_IRQ_CFG0', 0xc0: 'PRIQ_BASE', 0xd0: 'PRIQ_IRQ_CFG0'}
REG32 = {0x00: 'IDR0', 0x04: 'IDR1', 0x08: 'IDR2', 0x0c: 'IDR3', 0x10: 'IDR4', 0x14: 'IDR5', 0x18: 'IIDR',
         0x1c: 'AIDR', 0x20: 'CR0', 0x28: 'CR1', 0x2c: 'CR2', 0x44: 'GBPA', 0x48: 'AGBPA', 0x50: 'IRQ_CTRL',
         0x64: 'GERRORN', 0x74: 'GERROR_IRQ_CFG1', 0x78: 'GERROR_IRQ_CFG2', 0x88: 'STRTAB_BASE_CFG',
         0x98: 'CMDQ_PROD', 0x9c: 'CMDQ_CONS', 0xa8: 'EVENTQ_PROD', 0xac: 'EVENTQ_CONS',
         0xb8: 'EVENTQ_IRQ_CFG1', 0xbc: 'EVENTQ_IRQ_CFG2', 0xc8: 'PRIQ_PROD', 0xcc: 'PRIQ_CONS'}


def bits(v, hi, lo):
	return (v >> lo) & ((1 << (hi - lo + 1)) - 1)


def ranges(values):
	out = []
	for v in sorted(values):
		if out and out[-1][1] == v - 1:
			out[-1][1] = v
		else:
			out.append([v, v])
	return ', '.join('0x%x' % a if a == b else '0x%x-0x%x' % (a, b) for a, b in out)


class Memory:
	def __init__(self, data, base):
		self.data = data
		self.base = base

	def contains(self, pa, n=1):
		return self.base <= pa and pa + n <= self.base + len(self.data)

	def read64(self, pa):
		if not self.contains(pa, 8):
			raise LookupError('0x%x outside the image' % pa)
		off = pa - self.base
		return struct.unpack_from('<Q', self.data, off)[0]

	def words(self, pa, n):
		return [self.read64(pa + 8 * i) for i in range(n)]


class Keeper:
	"""The set of image pages to keep, with a reason per page for the report."""

	def __init__(self, mem):
		self.mem = mem
		self.pages = {}
		self.outside = []

	def keep(self, pa, size, what):
		if size <= 0:
			return
		if not self.mem.contains(pa, size):
			self.outside.append((pa, size, what))
			return
		for p in range(pa // PAGE, (pa + size - 1) // PAGE + 1):
			self.pages.setdefault(p * PAGE, what)


def parse_trace(path):
	regs = {}
	idregs = {}
	write_lines = []
	xlates = []
	invals = []
	with open(path, errors='replace') as f:
		for seq, line in enumerate(f):
			m = WRITE_RE.match(line)
			if m:
				write_lines.append(line if line.endswith('\n') else line + '\n')
				off, val, size, r = int(m[1], 16), int(m[2], 16), int(m[3], 16), int(m[4] or 0)
				if r != 0:
					continue
				if size == 8:
					if off in REG64:
						regs[off] = val
				elif size == 4:
					if off in REG64:
						regs[off] = (regs.get(off, 0) & ~0xffffffff) | (val & 0xffffffff)
					elif off - 4 in REG64:
						regs[off - 4] = (regs.get(off - 4, 0) & 0xffffffff) | ((val & 0xffffffff) << 32)
					else:
						regs[off] = val & 0xffffffff
				continue
			m = READ_RE.match(line)
			if m:
				off, val, size = int(m[1], 16), int(m[2], 16), int(m[3], 16)
				if size == 4 and off < 0x20 and off not in idregs:
					idregs[off] = val
				continue
			m = XLATE_RE.match(line)
			if m:
				xlates.append((seq, int(m[2], 16), int(m[3], 16), int(m[4], 16), int(m[5], 16), line))
				continue
			m = RANGE_INV_RE.match(line)
			if m:
				addr, tg, n = int(m[3], 16), int(m[4]), int(m[5], 16)
				if tg == 0:
					# no range hint: the granule is unknown, so cover the largest one (conservative)
					addr &= ~0xffff
					length = 0x10000 * max(n, 1)
				else:
					length = (1 << (12 + 2 * (tg - 1))) * max(n, 1)
				invals.append((seq, addr, addr + length))
				continue
			if GLOBAL_INV_RE.match(line):
				invals.append((seq, 0, 1 << 64))
	return regs, idregs, write_lines, xlates, invals


class Walker:
	"""VMSAv8-64 walks over the image, stage 1 and stage 2, recording table pages."""

	def __init__(self, mem, keeper):
		self.mem = mem
		self.keeper = keeper

	@staticmethod
	def granule_bits(granule):
		return {4096: 12, 16384: 14, 65536: 16}[granule]

	def s1_start(self, tsz, gbits):
		ia = 64 - tsz
		stride = gbits - 3
		levels = (ia - gbits + stride - 1) // stride
		return 4 - levels, ia

	def collect(self, table, level, gbits, ia_bits, entries, what, s2=None, stage2=False):
		"""Visits every valid table descriptor below table (a PA), keeping table pages."""
		self.keeper.keep(table, entries * 8, what)
		stride = gbits - 3
		if level == 3:
			return
		for i in range(entries):
			d = self.mem.read64(table + 8 * i) if self.mem.contains(table + 8 * i, 8) else 0
			if d & 3 != 3:
				continue
			nxt = d & 0x0000fffffffff000 & ~((1 << gbits) - 1)
			if s2 is not None:
				nxt = s2(nxt)
				if nxt is None:
					continue
			self.collect(nxt, level + 1, gbits, ia_bits, 1 << stride, what, s2, stage2)

	def walk(self, table, level, gbits, va, ia_bits, s2=None):
		"""Returns (pa, writable) or None for a fault."""
		stride = gbits - 3
		writable = True
		while True:
			shift = gbits + stride * (3 - level)
			idx_bits = ia_bits - shift if level == self.start_level else stride  # concatenated S2 tables may exceed stride
			idx = (va >> shift) & ((1 << idx_bits) - 1)
			d = self.mem.read64(table + 8 * idx)
			if d & 1 == 0:
				return None
			if level < 3 and d & 3 == 3:
				if d >> 62 & 1:  # APTable[1]: no writes below
					writable = False
				table = d & 0x0000fffffffff000 & ~((1 << gbits) - 1)
				if s2 is not None:
					table = s2(table)
					if table is None:
						return None
				level += 1
				continue
			if level == 3 and d & 3 != 3:
				return None
			if level < 3 and d & 3 != 1:
				return None
			if not d >> 10 & 1:  # AF
				return None
			oa = d & 0x0000ffffffffffff & ~((1 << shift) - 1)
			if d >> 7 & 1:  # AP[2]: read-only
				writable = False
			return oa | (va & ((1 << shift) - 1)), writable, d


class Smmu:
	def __init__(self, mem, keeper, regs):
		self.mem = mem
		self.keeper = keeper
		self.regs = regs
		self.walker = Walker(mem, keeper)
		self.notes = []

	def strtab(self):
		base = self.regs.get(0x80, 0) & 0x000fffffffffffc0
		cfg = self.regs.get(0x88, 0)
		return base, bits(cfg, 5, 0), bits(cfg, 17, 16), bits(cfg, 10, 6)

	def ste_addr(self, sid):
		base, log2size, fmt, split = self.strtab()
		if sid >= 1 << log2size:
			return None
		if fmt == 0:
			return base + 64 * sid
		l1 = self.mem.read64(base + 8 * (sid >> split))
		span = l1 & 0x1f
		l2 = l1 & 0x000fffffffffffc0
		if span == 0 or (sid & ((1 << split) - 1)) >= 1 << (span - 1):
			return None
		return l2 + 64 * (sid & ((1 << split) - 1))

	def collect_all(self):
		base, log2size, fmt, split = self.strtab()
		sids = []
		if fmt == 0:
			self.keeper.keep(base, 64 << log2size, 'stream table')
			sids = range(1 << log2size)
			self.notes.append('stream table: linear, %d STEs at 0x%x' % (1 << log2size, base))
		else:
			n1 = 1 << max(log2size - split, 0)
			self.keeper.keep(base, 8 * n1, 'stream table L1')
			self.notes.append('stream table: 2-level, SPLIT=%d, LOG2SIZE=%d, L1 at 0x%x (%d descriptors)' % (split, log2size, base, n1))
			for i in range(n1):
				d = self.mem.read64(base + 8 * i)
				span = d & 0x1f
				if span == 0:
					continue
				l2 = d & 0x000fffffffffffc0
				self.keeper.keep(l2, 64 << (span - 1), 'stream table L2')
				self.notes.append('  L1[%d] -> L2 at 0x%x, span %d' % (i, l2, span))
				sids.extend((i << split) + j for j in range(1 << (span - 1)))
		self.ste_configs = {}
		for sid in sids:
			a = self.ste_addr(sid)
			if a is None or not self.mem.contains(a, 64):
				continue
			ste = self.mem.words(a, 8)
			if ste[0] & 1 == 0:
				continue
			self.collect_ste(sid, a, ste)
		for name, sids in sorted(self.ste_configs.items()):
			self.notes.append('valid STEs with Config=%s: %d (%s)' % (name, len(sids), ranges(sids)))
		for off, name, entry in ((0x90, 'command queue', 16), (0xa0, 'event queue', 32), (0xc0, 'PRI queue', 16)):
			if off in self.regs:
				b = self.regs[off]
				addr, log2 = b & 0x000fffffffffffe0, b & 0x1f
				if addr:
					self.keeper.keep(addr, entry << log2, name)
					self.notes.append('%s: 0x%x, %d entries' % (name, addr, 1 << log2))

	def s2_ctx(self, ste):
		w2, ttb = ste[2], ste[3] & 0x000ffffffffffff0
		t0sz, sl0, tg = bits(w2, 37, 32), bits(w2, 39, 38), bits(w2, 47, 46)
		gbits = {0: 12, 1: 16, 2: 14}[tg]
		if gbits == 12:
			start = 2 - sl0
		else:
			start = 3 - sl0
		ia = 64 - t0sz
		stride = gbits - 3
		shift = gbits + stride * (3 - start)
		entries = 1 << (ia - shift)  # concatenated tables at the start level when ia - shift > stride
		return ttb, start, gbits, ia, entries

	def s2_translate(self, ste, ipa):
		ttb, start, gbits, ia, entries = self.s2_ctx(ste)
		self.walker.start_level = start
		r = self.walker.walk(ttb, start, gbits, ipa, ia)
		return None if r is None else r[0]

	def collect_ste(self, sid, addr, ste):
		config = bits(ste[0], 3, 1)
		names = {0: 'abort', 4: 'bypass', 5: 'S1 translate', 6: 'S2 translate', 7: 'nested'}
		self.ste_configs.setdefault(names.get(config, 'reserved %d' % config), []).append(sid)
		if config in (0, 4):
			return
		self.notes.append('STE sid=0x%x at 0x%x: V=1 Config=%s, S1Fmt=%d, S1CDMax=%d, S1ContextPtr=0x%x'
				% (sid, addr, names.get(config, 'reserved %d' % config), bits(ste[0], 5, 4), bits(ste[0], 63, 59), ste[0] & 0x000fffffffffffc0))
		s2 = None
		if config in (6, 7):
			ttb, start, gbits, ia, entries = self.s2_ctx(ste)
			self.notes.append('  S2: VMID=%d TTB=0x%x granule %dK IAS %d start level %d (%d concatenated)'
					% (bits(ste[2], 15, 0), ttb, (1 << gbits) // 1024, ia, start, max(1, entries >> (gbits - 3))))
			self.walker.collect(ttb, start, gbits, ia, entries, 'S2 tables sid=0x%x' % sid, stage2=True)
			if config == 7:
				s2 = lambda ipa: self.s2_translate(ste, ipa)
		if config not in (5, 7):
			return
		ctx = ste[0] & 0x000fffffffffffc0
		cdmax, s1fmt = bits(ste[0], 63, 59), bits(ste[0], 5, 4)
		tr = (lambda x: x) if s2 is None else s2
		cds = []
		if cdmax == 0:
			cds.append((0, tr(ctx)))
		elif s1fmt == 0:
			p = tr(ctx)
			if p is not None:
				self.keeper.keep(p, 64 << cdmax, 'CD table sid=0x%x' % sid)
			cds.extend((i, None if p is None else p + 64 * i) for i in range(1 << cdmax))
		else:
			split = 6 if s1fmt == 1 else 10
			n1 = 1 << max(cdmax - split, 0)
			p = tr(ctx)
			if p is None:
				return
			self.keeper.keep(p, 8 * n1, 'CD L1 table sid=0x%x' % sid)
			for i in range(n1):
				d = self.mem.read64(p + 8 * i)
				if d & 1 == 0:
					continue
				l2 = tr(d & 0x000ffffffffff000)
				if l2 is None:
					continue
				self.keeper.keep(l2, 64 << split, 'CD L2 table sid=0x%x' % sid)
				cds.extend(((i << split) + j, l2 + 64 * j) for j in range(1 << split))
		for ssid, cda in cds:
			if cda is None or not self.mem.contains(cda, 64):
				continue
			cd = self.mem.words(cda, 8)
			if not cd[0] >> 31 & 1:
				continue
			self.keeper.keep(cda, 64, 'CD sid=0x%x ssid=%d' % (sid, ssid))
			self.collect_cd(sid, ssid, cda, cd, s2)

	def collect_cd(self, sid, ssid, cda, cd, s2):
		asid = bits(cd[0], 63, 48)
		for n, (tsz, tg, epd, ttb) in enumerate(((bits(cd[0], 5, 0), bits(cd[0], 7, 6), bits(cd[0], 14, 14), cd[1]),
				(bits(cd[0], 21, 16), bits(cd[0], 23, 22), bits(cd[0], 30, 30), cd[2]))):
			gran = ({0: 4096, 1: 65536, 2: 16384} if n == 0 else {1: 16384, 2: 4096, 3: 65536}).get(tg)
			if epd or gran is None:
				self.notes.append('CD sid=0x%x ssid=%d at 0x%x: ASID=%d TT%d disabled' % (sid, ssid, cda, asid, n))
				continue
			gbits = Walker.granule_bits(gran)
			start, ia = self.walker.s1_start(tsz, gbits)
			base = ttb & 0x000ffffffffffff0 & ~7
			self.notes.append('CD sid=0x%x ssid=%d at 0x%x: ASID=%d TT%d=0x%x granule %dK T%dSZ=%d (%d-bit VA, start level %d)'
					% (sid, ssid, cda, asid, n, base, gran // 1024, n, tsz, ia, start))
			pa = base if s2 is None else s2(base)
			if pa is None:
				continue
			stride = gbits - 3
			shift = gbits + stride * (3 - start)
			self.walker.collect(pa, start, gbits, ia, 1 << (ia - shift), 'S1 tables sid=0x%x ssid=%d' % (sid, ssid), s2)

	def translate(self, sid, iova):
		"""Returns (pa, writable) for ssid 0 / no SSID, or None."""
		a = self.ste_addr(sid)
		if a is None:
			return None
		ste = self.mem.words(a, 8)
		config = bits(ste[0], 3, 1)
		if ste[0] & 1 == 0 or config == 0:
			return None
		if config == 4:
			return iova, True
		s2 = (lambda ipa: self.s2_translate(ste, ipa)) if config == 7 else None
		if config == 6:
			ttb, start, gbits, ia, entries = self.s2_ctx(ste)
			self.walker.start_level = start
			r = self.walker.walk(ttb, start, gbits, iova, ia)
			return None if r is None else (r[0], r[1])
		ctx = ste[0] & 0x000fffffffffffc0
		if s2:
			ctx = s2(ctx)
		cd = self.mem.words(ctx, 8)  # SSID 0: first CD (linear or single); 2-level CD tables not needed here
		if bits(ste[0], 63, 59) and bits(ste[0], 5, 4):
			l1 = self.mem.read64(ctx)
			cd = self.mem.words((l1 & 0x000ffffffffff000) if s2 is None else s2(l1 & 0x000ffffffffff000), 8)
		if not cd[0] >> 31 & 1:
			return None
		top = iova >> 55 & 1
		tsz = bits(cd[0], 21, 16) if top else bits(cd[0], 5, 0)
		tg = bits(cd[0], 23, 22) if top else bits(cd[0], 7, 6)
		gran = ({1: 16384, 2: 4096, 3: 65536} if top else {0: 4096, 1: 65536, 2: 16384}).get(tg)
		ttb = (cd[2] if top else cd[1]) & 0x000ffffffffffff0
		gbits = Walker.granule_bits(gran)
		start, ia = self.walker.s1_start(tsz, gbits)
		if s2:
			ttb = s2(ttb)
		self.walker.start_level = start
		r = self.walker.walk(ttb, start, gbits, iova & ((1 << ia) - 1), ia, s2)
		if r is None:
			return None
		pa, writable, _ = r
		if s2:
			r2 = self.s2_translate(ste, pa)
			return None if r2 is None else (r2, writable)
		return pa, writable


def live_translations(xlates, invals):
	"""The last translation of each (sid, IOVA page) that no later invalidation covers."""
	last = {}
	for x in xlates:
		last[(x[1], x[2] >> 12)] = x
	live = []
	for key, x in sorted(last.items()):
		seq, iova = x[0], x[2]
		if any(s > seq and lo <= iova < hi for s, lo, hi in invals):
			continue
		live.append(x)
	return live


def write_regs_txt(path, regs, header):
	with open(path, 'w') as f:
		f.write(header)
		for off in sorted(regs):
			name = REG64.get(off) or REG32.get(off) or ''
			f.write('0x%x=0x%x%s\n' % (off, regs[off], ('  # ' + name) if name else ''))


def main():
	ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
	ap.add_argument('--image', required=True)
	ap.add_argument('--base', required=True, type=lambda s: int(s, 0))
	ap.add_argument('--trace', required=True)
	ap.add_argument('--out', required=True)
	ap.add_argument('--max-translations', type=int, default=300)
	a = ap.parse_args()

	regs, idregs, write_lines, xlates, invals = parse_trace(a.trace)
	with open(a.image, 'rb') as f:
		data = f.read()
	if a.base % PAGE:
		sys.exit('base must be 4 KiB aligned')
	mem = Memory(data, a.base)
	keeper = Keeper(mem)
	smmu = Smmu(mem, keeper, regs)
	smmu.collect_all()

	trimmed = bytearray(len(data))
	for pa in sorted(keeper.pages):
		off = pa - a.base
		trimmed[off:off + PAGE] = data[off:off + PAGE]
	tmem = Memory(bytes(trimmed), a.base)
	tsmmu = Smmu(tmem, Keeper(tmem), regs)

	live = live_translations(xlates, invals)
	checked = []
	for seq, sid, iova, pa, perm, line in live:
		r = tsmmu.translate(sid, iova)
		want_w = bool(perm & 2)
		if r is None or r[0] != pa or r[1] != want_w:
			sys.exit('walk of sid=0x%x iova=0x%x over the trimmed image gives %s, QEMU said 0x%x perm=%d'
					% (sid, iova, 'a fault' if r is None else '0x%x writable=%s' % r, pa, perm))
		checked.append(line)
	if len(checked) > a.max_translations:
		step = len(checked) / a.max_translations
		checked = [checked[int(i * step)] for i in range(a.max_translations)]

	os.makedirs(a.out, exist_ok=True)
	with open(os.path.join(a.out, 'ram.img.gz'), 'wb') as raw:
		with gzip.GzipFile(filename='', mode='wb', fileobj=raw, compresslevel=9, mtime=0) as gz:
			gz.write(trimmed)
	with open(os.path.join(a.out, 'regs.trace'), 'w') as f:
		f.writelines(write_lines)
	write_regs_txt(os.path.join(a.out, 'regs.txt'), regs,
			'# SMMUv3 registers derived from regs.trace: last write per offset, 64-bit registers whole.\n')
	write_regs_txt(os.path.join(a.out, 'idregs.txt'), idregs,
			'# ID registers as the guest read them (smmuv3_read_mmio lines of the same run).\n')
	with open(os.path.join(a.out, 'translations.trace'), 'w') as f:
		f.writelines(checked)

	kinds = {}
	for what in keeper.pages.values():
		k = what.split(' sid=')[0]
		kinds[k] = kinds.get(k, 0) + 1
	print('registers:')
	for off in sorted(regs):
		print('  0x%03x %-16s 0x%x' % (off, REG64.get(off) or REG32.get(off) or '', regs[off]))
	print('ID registers: ' + ', '.join('%s=0x%x' % (REG32.get(o, hex(o)), v) for o, v in sorted(idregs.items())))
	print('\n'.join(smmu.notes))
	print('kept %d pages of %d: %s' % (len(keeper.pages), len(data) // PAGE, ', '.join('%s %d' % kv for kv in sorted(kinds.items()))))
	for pa, size, what in keeper.outside:
		print('outside the image (not kept): %s at 0x%x, %d bytes' % (what, pa, size))
	print('translations: %d traced, %d distinct (sid, page), %d still valid at the snapshot, %d written; '
			'all checked by a walk over the trimmed image' % (len(xlates), len({(x[1], x[2] >> 12) for x in xlates}), len(live), len(checked)))
	print('register writes: %d lines' % len(write_lines))


if __name__ == '__main__':
	main()
