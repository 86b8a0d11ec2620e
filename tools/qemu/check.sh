#!/usr/bin/env bash
# The end-to-end check of issue 14: Debian's real QEMU 11.1 (the set-up's patched copy, in its chroot)
# boots the arm64 guest with two accel vSMMUs on two pxb-pcie buses, over the host's two physical
# SMMUs, one VFIO function behind each; its iommufd and VFIO calls go through the bridge to the
# runtime's host kernel model. Driven by a Gogo script (tools/qemu/check.gosh: qemu:start, qemu:await,
# qemu:list, qemu:console, iommufd:objects, smmu:ste, smmu:cd, smmu:walk, report:vm, qemu:stats,
# qemu:stop, report:host), judged here from what the shell printed; a second QEMU boots while this
# script sends the first one SIGKILL.
#
#   tools/qemu/check.sh            (root; after tools/qemu/setup.sh and a build of runtime/target/smmu.jar)
#
# Prints "SKIPPED: <why>" and exits 0 when the set-up is absent ($SMMU_QEMU_HOME/setup.env without
# SETUP_OK=1), when not root, or when the tree has no bridge bundle (smmu.qemu). Otherwise exits 0
# only when every assertion passed; the shell's whole output is kept in $SMMU_QEMU_HOME/check.log.
# Knobs: SMMU_QEMU_HOME, SMMU_QEMU_CHECK_TIMEOUT (seconds for the whole runtime run, default 900),
# SMMU_RUNTIME_JAR (default runtime/target/smmu.jar).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
CHECK_TITLE="real-QEMU check (issue 14)"
# shellcheck source=tools/qemu/check-common.sh
source "$REPO/tools/qemu/check-common.sh"
LOG=$HOME_DIR/check.log

if [[ ! -f $JAR ]]; then
	echo "real-QEMU check: building the runtime (runtime/target/smmu.jar)"
	(cd "$REPO" && mvn -B -q -o -DskipTests verify -pl runtime -am) || (cd "$REPO" && mvn -B -q -DskipTests verify -pl runtime -am) ||
		{ banner "FAILED: cannot build runtime/target/smmu.jar"; exit 1; }
fi
if ! grep -q 'smmu\.qemu' <<<"$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$JAR" 2>/dev/null)"; then
	banner "FAILED: $JAR has no smmu.qemu bundle (the runtime cannot start real QEMU)"
	exit 1
fi

"$HERE/chroot-mounts.sh" mount "$CHROOT" >/dev/null || { banner "FAILED: cannot mount the chroot's /proc and /dev"; exit 1; }

# This run's QEMUs have names of their own (NAME, NAMEb): only their processes are ours to end.
NAME=check$$
SCRIPT=$(mktemp --suffix=.gosh)
sed "s/@NAME@/$NAME/g" "$HERE/check.gosh" >"$SCRIPT"
# qemu_pids REGEX: the QEMU processes in the chroot whose guest RAM file name matches
qemu_pids() {
	local p root
	for p in /proc/[0-9]*; do
		root=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $root == "$CHROOT" ]] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -Eq "smmu-qemu-$1\.ram" && echo "${p#/proc/}"
	done
}
ours() { qemu_pids "${NAME}(b|k-shared|k-per-smmu)?"; }
killer=
cleanup() {
	local p
	rm -f "$SCRIPT" "$SCRIPT.diag"
	[[ -n $killer ]] && kill "$killer" 2>/dev/null
	for p in $(ours); do
		echo "real-QEMU check: ending process $p left in the chroot ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60))"
		kill -9 "$p" 2>/dev/null
	done
}
trap cleanup EXIT
: >"$LOG"
# The kill: when the script starts the second QEMU, the first one gets SIGKILL (as a crash would).
(
	for ((i = 0; i < TIMEOUT * 5; i++)); do
		if grep -q "^g! qemu:start ${NAME}b " "$LOG" 2>/dev/null; then
			for p in $(qemu_pids "$NAME"); do
				kill -9 "$p" && echo "$p" >"$LOG.killed"
			done
			exit 0
		fi
		sleep 0.2
	done
) &
killer=$!
rm -f "$LOG.killed"

banner "booting Debian's QEMU ${E[QEMU_VERSION]:-?} with two accel vSMMUs (guest kernel ${E[KERNEL_VERSION]:-?})"
start=$(date +%s)
timeout --kill-after=10 "$TIMEOUT" java -Dsmmu.scenarios="$REPO/scenarios" -Dgosh.home="$REPO/runtime" \
	-Dsmmu.script="$SCRIPT" -Dgosh.args=--nointeractive -Dorg.jline.terminal.dumb=true \
	-Dsmmu.qemu.home="$HOME_DIR" -jar "$JAR" </dev/null >"$LOG" 2>&1
rc=$?
[[ $rc -eq 117 ]] && rc=0
elapsed=$(($(date +%s) - start))
cat "$LOG"

# ---- judge what the shell printed -------------------------------------------------------------
# section NAME: the output of the script's first command that starts with NAME (up to the next g!)
section() { awk -v cmd="g! $1" 'index($0, cmd) == 1 && !seen { on = 1; seen = 1; next } /^g! / { on = 0 } on' "$LOG"; }
# the n-th (1-based) section of a command
section_n() { awk -v cmd="g! $1" -v n="$2" 'index($0, cmd) == 1 { k++; on = (k == n); next } /^g! / { on = 0 } on' "$LOG"; }
# the last section of a command
section_last() { awk -v cmd="g! $1" 'index($0, cmd) == 1 { out = ""; on = 1; next } /^g! / { on = 0 } on { out = out $0 "\n" } END { printf "%s", out }' "$LOG"; }
# QEMU ended before the guest finished: the script stopped at qemu:await, before qemu:console. Start it
# once more, wait for QEMU's own message (bounded), and show its console, so the log says why.
if grep -q "^error: $NAME: no console line with 'smmu-guest: done' (exited" "$LOG"; then
	echo
	banner "QEMU ended early: once more, to show its console"
	{
		grep -m1 '^qemu:start ' "$SCRIPT"
		echo "qemu:await --timeout 120 $NAME qemu-system-aarch64:"
		echo "qemu:console $NAME 200"
		echo "qemu:stats $NAME"
	} >"$SCRIPT.diag"
	timeout --kill-after=10 180 java -Dsmmu.script="$SCRIPT.diag" -Dgosh.args=--nointeractive -Dorg.jline.terminal.dumb=true \
		-Dsmmu.qemu.home="$HOME_DIR" -jar "$JAR" </dev/null 2>&1 | grep -v '^commandLine ' | tee "$LOG.diag"
	rm -f "$SCRIPT.diag"
fi
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then
		echo "PASS $what"; passed=$((passed + 1))
	else
		echo "FAIL $what"; failed=$((failed + 1))
	fi
}
count() { grep -Ec "$1" <<<"$2"; }
has() { grep -Eq "$1" <<<"$2"; }
field() { awk -v f="$1" '$1 == f { print $2; exit }' <<<"$2"; } # field NAME TEXT: a "name value" row's value

console=$(section "qemu:console")
objects=$(section "iommufd:objects")
ste0=$(section "smmu:ste smmu0 ")
ste1=$(section "smmu:ste smmu1 ")
cd0=$(section "smmu:cd smmu0 ")
walk=$(section "smmu:walk smmu0 ")
stats=$(section "qemu:stats")
list_mid=$(section_n "qemu:list" 2)
host_mid=$(section_n "report:host" 1)
list_after=$(section_last "qemu:list")
host_after=$(section_last "report:host")

# the guest: arm-smmu-v3 instances that probed; endpoint functions (not bridges) in IOMMU groups and their RIDs
probes=$(grep -Eo 'arm-smmu-v3 [^ ]+: allocated [0-9]+ entries for cmdq' <<<"$console" | sort -u)
endpoints=$(grep -E '^smmu-guest: pci ' <<<"$console" | grep -Ev 'class=06' | grep -E 'group=[0-9]+')
guest_rids=$(while read -r _ _ bdf _; do # DOMAIN:BUS:DEV.FN -> BUS << 8 | DEV << 3 | FN
	[[ $bdf =~ ^[0-9a-f]+:([0-9a-f]+):([0-9a-f]+)\.([0-7])$ ]] && printf '0x%x\n' $((0x${BASH_REMATCH[1]} << 8 | 0x${BASH_REMATCH[2]} << 3 | BASH_REMATCH[3]))
done <<<"$endpoints" | sort)
vsids=$(awk '$2 == "VDEVICE" { for (i = 1; i <= NF; i++) if ($i == "vsid") print $(i + 1) }' <<<"$objects" | sort)
# the nested STE a physical SMMU holds for a device must carry the guest's CD pointer: the vSTE's word 0
# of the nested HWPT the device is attached to (iommufd:objects), bits [51:6]
ste_matches_vste() { # SMMU SID STE-TEXT
	local ref vste
	ref=$(awk -v at="on $1 sid $2" '$2 == "DEVICE" && index($0, at) { gsub(/\[/, "", $4); gsub(/\]/, "", $4); print $4 }' <<<"$objects")
	[[ -n $ref ]] || return 1
	vste=$(awk -v id="$ref" '$1 == id && $2 == "HWPT_NESTED" && /vSTE s1/ { for (i = 1; i <= NF; i++) if ($i ~ /^ste\[0\]=/) { sub(/^ste\[0\]=/, "", $i); print $i } }' <<<"$objects")
	[[ -n $vste ]] || return 1
	[[ $(field Config "$3") == 0x7 ]] || return 1
	(($(field S1ContextPtr "$3") == (vste & 0xffffffffffffc0))) || return 1
}
s2ttb0=$(field S2TTB "$ste0")
s2ttb1=$(field S2TTB "$ste1")
killed=$(cat "$LOG.killed" 2>/dev/null)
kernels=$(section "report:kernels")
kernel_after=$(section_last "host:kernel")
# metric ROW-NAME COLUMN: a value of report:kernels' table (columns: metric words, unit, shared, per-smmu)
metric() { awk -v name="$1" -v col="$2" 'index($0, name "  ") == 1 { n = split($0, f, /  +/); print f[n - 2 + col]; exit }' <<<"$kernels"; }

echo
banner "assertions (runtime exit $rc after ${elapsed}s; log $LOG)"
check "the script ran to its end (runtime exit status 0)" test "$rc" -eq 0
check "the guest's init ran (smmu-guest: init)" has '^smmu-guest: init' "$console"
check "the guest found its vSMMUs through the IORT (UEFI + ACPI, as accel=on needs)" has '^smmu-guest: dmesg: .*ACPI: IORT' "$console"
check "the guest's arm-smmu-v3 driver probed both vSMMUs" test -n "$probes" -a "$(wc -l <<<"$probes")" -eq 2
check "both VFIO functions sit in guest IOMMU groups" test "$(count . "$endpoints")" -eq 2
check "the guest finished its init (smmu-guest: done)" has '^smmu-guest: done' "$console"
check "QEMU's objects in the host kernel model: one IOAS" test "$(count '^ *[0-9]+ +IOAS ' "$objects")" -eq 1
check "... one nest-parent HWPT over both physical SMMUs (sharing kernel)" has '^ *[0-9]+ +HWPT_PAGING .*nest-parent smmu0:.* smmu1:' "$objects"
check "... two VFIO devices bound (one per physical SMMU)" test "$(count '^ *[0-9]+ +DEVICE .* on smmu[01] ' "$objects")" -eq 2
check "... two vIOMMUs" test "$(count '^ *[0-9]+ +VIOMMU ' "$objects")" -eq 2
check "... abort and bypass proxy HWPTs per vIOMMU" test "$(count 'HWPT_NESTED .*vSTE (abort|bypass)' "$objects")" -eq 4
check "... a nested HWPT from each guest STE (stage 1), the devices attached to them" test "$(count 'HWPT_NESTED .*vSTE s1 ' "$objects")" -eq 2
check "... two vEVENTQs" test "$(count '^ *[0-9]+ +VEVENTQ ' "$objects")" -eq 2
check "every vDEVICE's virtual ID is the guest's StreamID (RID) of its function" test -n "$vsids" -a "$vsids" == "$guest_rids"
check "smmu0's STE for 0000:01:00.0 is nested and points at the guest's CD" ste_matches_vste smmu0 0x100 "$ste0"
check "smmu1's STE for 0000:02:00.0 is nested and points at the guest's CD" ste_matches_vste smmu1 0x200 "$ste1"
check "both STEs carry the one nest parent's S2TTB" test -n "$s2ttb0" -a "$s2ttb0" == "$s2ttb1" -a "${s2ttb0:-0}" != 0x0
check "the guest's CD, read through stage 2 from the guest's RAM, is valid (V=1, a TTB0)" test "$(field V "$cd0")" == 0x1 -a -n "$(field TTB0 "$cd0")"
check "a walk goes through stage 2 into the guest's stage-1 tables" has '^S1 +[0-9]' "$walk"
check "the guest's invalidations arrived as IOMMU_HWPT_INVALIDATE, none refused" has '^ioctl IOMMU_HWPT_INVALIDATE +[1-9][0-9]* +0 ' "$stats"
check "SIGKILL reached the first QEMU" test -n "$killed"
check "... which the runtime saw exit (status 137)" has "^$NAME +[0-9]+ +exited 137 " "$list_mid"
check "... leaving no object: only the second QEMU's context is left" test "$(field contexts "$host_mid")" == 1
check "the second QEMU ran meanwhile (its guest finished its init)" grep -q "^${NAME}b: 'smmu-guest: done' seen" "$LOG"
check "both stopped: qemu:list has none left" has '^no real QEMUs' "$list_after"
check "both stopped: no iommufd context or object left on the host" bash -c '[[ $(awk '"'"'$1 ~ /^(contexts|ioas|hwptPaging|hwptNested|viommu|vdevice)$/ && $2 != 0'"'"' <<<"$1") == "" && -n $1 ]]' _ "$host_after"
check "report:kernels compared the kernel modes (columns shared, per-smmu)" has '^metric +unit +shared +per-smmu$' "$kernels"
check "... sharing kernel: one nest-parent HWPT for both vSMMUs" test "$(metric 'nest-parent HWPTs' 1)" == 1
check "... per-SMMU kernel: QEMU's fallback made a second nest parent" test "$(metric 'nest-parent HWPTs' 2)" == 2
check "... one IOAS under both kernels" test "$(metric IOAS 1)" == 1 -a "$(metric IOAS 2)" == 1
check "... two vIOMMUs under both kernels" test "$(metric vIOMMUs 1)" == 2 -a "$(metric vIOMMUs 2)" == 2
check "... the per-SMMU kernel's stage 2 costs more page-table bytes" test "$(metric 'stage-2 page-table bytes' 2)" -gt "$(metric 'stage-2 page-table bytes' 1)"
check "... the user's kernel mode is back (shared)" has '^kernel shared$' "$kernel_after"
check "no QEMU process of this check left in the chroot" test -z "$(ours)"

echo
echo "real-qemu: ${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
