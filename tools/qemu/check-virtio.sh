#!/usr/bin/env bash
# The end-to-end check of issue 8: a host PCI function whose device model is the runtime's virtio-blk
# (smmu.virtio, every DMA through the physical SMMU), passed through by Debian's real QEMU 11.1 to a
# real arm64 guest behind two accel vSMMUs over two physical SMMUs, two disks at once; under both host
# kernel modes (shared, per-smmu). Driven by tools/qemu/check-virtio.gosh, judged here from what the
# shell printed and from the image files.
#
#   tools/qemu/check-virtio.sh        (root; after tools/qemu/setup.sh and a build of runtime/target/smmu.jar)
#
# Prints "SKIPPED: <why>" and exits 0 when the set-up is absent (as tools/qemu/check.sh does) or the
# guest's initramfs has no virtio_blk module (a set-up from before issue 8: rerun setup.sh). Otherwise
# exits 0 only when every assertion passed. Logs: $SMMU_QEMU_HOME/check-virtio-MODE.log.
# Knobs: SMMU_QEMU_HOME, SMMU_VIRTIO_MODES (default "shared per-smmu"), SMMU_QEMU_CHECK_TIMEOUT
# (seconds per mode, default 900), SMMU_RUNTIME_JAR.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
MODES=${SMMU_VIRTIO_MODES:-shared per-smmu}
CHECK_TITLE="real-QEMU virtio check (issue 8)"
# shellcheck source=tools/qemu/check-common.sh
source "$REPO/tools/qemu/check-common.sh"
[[ -f $REPO/smmu.virtio/pom.xml ]] || skip "this tree has no virtio device model (smmu.virtio)"
INITRD=${E[INITRD]:-$HOME_DIR/guest/initrd.cpio.gz}
gzip -dc "$INITRD" 2>/dev/null | cpio -t --quiet 2>/dev/null | grep -q 'lib/modules/virtio_blk.ko' ||
	skip "the guest's initramfs ($INITRD) has no virtio_blk module: rerun sudo tools/qemu/setup.sh"
gzip -dc "$INITRD" 2>/dev/null | cpio -t --quiet 2>/dev/null | grep -q '^virtio-workload.sh' ||
	skip "the guest's initramfs ($INITRD) has no virtio-workload.sh: rerun sudo tools/qemu/setup.sh"

if [[ ! -f $JAR ]]; then
	echo "real-QEMU virtio check: building the runtime (runtime/target/smmu.jar)"
	(cd "$REPO" && mvn -B -q -o -DskipTests verify -pl runtime -am) || { banner "FAILED: cannot build runtime/target/smmu.jar"; exit 1; }
fi
python3 -c 'import sys, zipfile; sys.exit(0 if any("smmu.virtio" in n for n in zipfile.ZipFile(sys.argv[1]).namelist()) else 1)' "$JAR" ||
	{ banner "FAILED: $JAR has no smmu.virtio bundle"; exit 1; }
"$HERE/chroot-mounts.sh" mount "$CHROOT" >/dev/null || { banner "FAILED: cannot mount the chroot's /proc and /dev"; exit 1; }

WORK=$(mktemp -d /var/tmp/smmu-virtio-check.XXXXXX)
SCRIPT=$WORK/check.gosh
NAME=virtio$$
cleanup() {
	local p root
	for p in /proc/[0-9]*; do # only this run's QEMUs (their guest RAM file carries our name)
		root=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $root == "$CHROOT" ]] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "smmu-qemu-$NAME" && kill -9 "${p#/proc/}" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then
		echo "PASS $what"; passed=$((passed + 1))
	else
		echo "FAIL $what"; failed=$((failed + 1))
	fi
}
has() { grep -Eq "$1" <<<"$2"; }
# section LOG CMD [N]: the output of the N-th (default first) command of the script that starts with CMD
section() { awk -v cmd="g! $2" -v n="${3:-1}" 'index($0, cmd) == 1 { k++; on = (k == n); next } /^g! / { on = 0 } on' "$1"; }
# value SECTION KEY: the value of a "key value" line
value() { awk -v k="$2" '$1 == k { print $2; exit }' <<<"$1"; }
# tlbHits SECTION: hits of the tlb row of smmu:stats
tlb() { awk -v col="$2" '$1 == "tlb" { print $col; exit }' <<<"$1"; }
cmdcount() { awk -v k="$2" '$1 == k { print $2; exit }' <<<"$1"; }

for MODE in $MODES; do
	LOG=$HOME_DIR/check-virtio-$MODE.log
	img0=$WORK/disk0-$MODE.img img1=$WORK/disk1-$MODE.img
	head -c $((64 << 20)) /dev/urandom >"$img0"
	head -c $((64 << 20)) /dev/urandom >"$img1"
	sum0=$(sha256sum <"$img0" | cut -d' ' -f1) sum1=$(sha256sum <"$img1" | cut -d' ' -f1)
	sed -e "s/@NAME@/$NAME$MODE/g" -e "s/@MODE@/$MODE/g" -e "s|@IMG0@|$img0|g" -e "s|@IMG1@|$img1|g" "$HERE/check-virtio.gosh" >"$SCRIPT"
	banner "kernel $MODE: two virtio-blk disks (64 MiB each) behind two accel vSMMUs, QEMU ${E[QEMU_VERSION]:-?}"
	start=$(date +%s)
	timeout --kill-after=10 "$TIMEOUT" java -Dsmmu.scenarios="$REPO/scenarios" -Dgosh.home="$REPO/runtime" \
		-Dsmmu.script="$SCRIPT" -Dgosh.args=--nointeractive -Dorg.jline.terminal.dumb=true \
		-Dsmmu.qemu.home="$HOME_DIR" -jar "$JAR" </dev/null >"$LOG" 2>&1
	rc=$?
	[[ $rc -eq 117 ]] && rc=0
	echo "runtime exit $rc after $(($(date +%s) - start)) s; log: $LOG"
	grep -E '^smmu-virtio: (rawread|read|write|readback|disks)|F_TRANSLATION client|event 0x10 received' "$LOG" | sed 's/^/    /'

	console=$(section "$LOG" "qemu:console")
	devices=$(section "$LOG" "host:devices")
	s0=$(section "$LOG" "smmu:stats smmu0") s1=$(section "$LOG" "smmu:stats smmu1")
	objects=$(section "$LOG" "iommufd:objects")
	fault=$(section "$LOG" "host:dma")
	faultConsole=$(section "$LOG" "qemu:console" 2)
	echo "$devices" | sed 's/^/    /'

	check "[$MODE] the runtime said kernel $MODE" has "^kernel $MODE" "$(section "$LOG" "host:kernel")"
	check "[$MODE] the guest's virtio_blk driver found two 64 MiB disks" test "$(grep -Ec '^smmu-virtio: disk vd[a-z] bytes=67108864' <<<"$console")" -eq 2
	for s in "$sum0" "$sum1"; do
		check "[$MODE] the guest read a whole disk (O_DIRECT) with the checksum of its image file (${s:0:16}...)" has "^smmu-virtio: read vd[a-z] bytes=67108864 sha256=$s " "$console"
	done
	check "[$MODE] both disks: the guest's pattern read back equal" test "$(grep -c '^smmu-virtio: readback .* match=yes' <<<"$console")" -eq 2
	pat=$(python3 - "$img0" "$img1" <<'PY'
import sys
pat = (b"smmu-virtio pattern\n" * 52429)[:1 << 20]
ok = 0
for f in sys.argv[1:]:
    with open(f, "rb") as h:
        h.seek(16 << 20)
        ok += h.read(1 << 20) == pat
print(ok)
PY
)
	check "[$MODE] both image files hold the guest's pattern at 16 MiB" test "$pat" -eq 2
	check "[$MODE] both devices: DRIVER_OK, >= 128 MiB read for the guest, no DMA fault" test "$(awk '$2 == "virtio-blk" && $5 ~ /DRIVER_OK/ && $7 >= 134217728 && $10 == 0' <<<"$devices" | wc -l)" -eq 2
	for i in 0 1; do
		st=$([[ $i == 0 ]] && echo "$s0" || echo "$s1")
		bdf=$(printf '0000:%02x:00.0' $((i + 1)))
		dmas=$(awk -v b="$bdf" '$1 == b { print $9 }' <<<"$devices")
		tr=$(value "$st" translations) hits=$(tlb "$st" 3) misses=$(tlb "$st" 4)
		s1l3=$(awk '$1 == "S1" { print $5; exit }' <<<"$st") s2l0=$(awk '$1 == "S2" { print $2; exit }' <<<"$st")
		tlbi=$(cmdcount "$st" TLBI_NH_VA) cds=$(value "$st" cdFetches)
		echo "    smmu$i: device DMAs $dmas, translations $tr, TLB hits $hits, misses $misses, S1 leaf reads $s1l3, S2 level-0 reads $s2l0, TLBI_NH_VA $tlbi"
		check "[$MODE] smmu$i: one translation per device DMA ($dmas)" test "${tr:-0}" -eq "${dmas:--1}"
		check "[$MODE] smmu$i: at least one translation per 4 KiB page moved (>= 2 x 16384 + 512)" test "${tr:-0}" -ge $((2 * 16384 + 512))
		check "[$MODE] smmu$i: every TLB miss is one nested walk (a stage-1 leaf read each)" test "${s1l3:-0}" -eq "${misses:--1}"
		# 4 stage-1 table descriptors and the output address, each an IPA walked by stage 2; the first of the five
		# reads level 0, the other four resume below it from the walk's own stage-2 walk cache (guest RAM lies in one
		# 512 GiB level-0 range); plus the CD fetch(es) through stage 2 (docs/hw.md, issue 11)
		check "[$MODE] smmu$i: each nested walk starts one stage-2 walk at level 0, its walk cache serves the other four (S2 level-0 reads = walks + $cds CD fetch)" test "${s2l0:-0}" -eq $((${misses:-0} + ${cds:-0}))
		check "[$MODE] smmu$i: the guest's unmaps arrived as TLBI_NH_VA (> 100)" test "${tlbi:-0}" -gt 100
	done
	qstats=$(section "$LOG" "qemu:stats")
	inv=$(awk '$1 == "ioctl" && $2 == "IOMMU_HWPT_INVALIDATE" { print $3; exit }' <<<"$qstats")
	nhva=$(($(cmdcount "$s0" TLBI_NH_VA) + $(cmdcount "$s1" TLBI_NH_VA)))
	echo "    the guest's invalidations: $inv IOMMU_HWPT_INVALIDATE calls from QEMU, $nhva TLBI_NH_VA on the physical SMMUs"
	# QEMU forwards the guest's commands in batches of up to the guest's queue run: at least one call per 64 commands
	check "[$MODE] the guest's TLBI_NH_VAs reached the physical SMMUs through QEMU's IOMMU_HWPT_INVALIDATE" test "${inv:-0}" -gt 100 -a "$((${inv:-0} * 64))" -ge "$nhva"
	if [[ $MODE == shared ]]; then
		check "[$MODE] one nest-parent HWPT over both SMMUs" has '^ *[0-9]+ +HWPT_PAGING .*nest-parent smmu0:.* smmu1:' "$objects"
	else
		check "[$MODE] two nest-parent HWPTs (one per SMMU)" test "$(grep -Ec '^ *[0-9]+ +HWPT_PAGING .*nest-parent' <<<"$objects")" -eq 2
	fi
	check "[$MODE] host:dma to an unmapped IOVA: F_TRANSLATION on the physical SMMU (pSID 0x100)" has 'F_TRANSLATION sid=0x100 iova=0x7770000' "$fault"
	ev=$(grep -E 'event: F_TRANSLATION client: [0-9a-f:.]+ sid: 0x[0-9a-f]+ .*iova: 0x7770000' <<<"$faultConsole" | head -n 1)
	check "[$MODE] the guest's arm-smmu-v3 driver reported the event (iova 0x7770000)" test -n "$ev"
	if [[ -n $ev ]]; then
		client=$(sed -E 's/.*client: ([0-9a-f:.]+) .*/\1/' <<<"$ev") vsid=$(sed -E 's/.* sid: (0x[0-9a-f]+) .*/\1/' <<<"$ev")
		b=${client#*:}; bus=$((16#${b%%:*})); df=${b#*:}; dev=$((16#${df%.*})); fn=${df#*.}
		check "[$MODE] ... with the vSID = the guest's RID of the device ($client = $(printf '0x%x' $(((bus << 8) | (dev << 3) | fn))), pSID 0x100)" test "$((vsid))" -eq $(((bus << 8) | (dev << 3) | fn))
	fi
	for v in $(grep -Eo '^smmu-virtio: rawread vd[a-z] bytes=[0-9]+ seconds=[0-9.]+' <<<"$console" | sed -E 's/.*bytes=([0-9]+) seconds=([0-9.]+)/\1:\2/'); do
		awk -v b="${v%%:*}" -v s="${v##*:}" -v m="$MODE" 'BEGIN { if (s > 0) printf "    [%s] guest throughput (O_DIRECT, 1 MiB reads to /dev/null): %.1f MiB/s\n", m, b / 1048576 / s }'
	done
	awk -v m="$MODE" '$2 == "virtio-blk" { printf "    [%s] %s: %s DMAs, %s ns per DMA in the model (translation + copy, <= 4 KiB each)\n", m, $1, $9, $12 }' <<<"$devices"
done
banner "$passed passed, $failed failed"
((failed == 0))
