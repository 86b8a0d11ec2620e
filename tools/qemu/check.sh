#!/usr/bin/env bash
# The end-to-end check of issue 14: Debian's real QEMU 11.1 (the set-up's patched copy, in its chroot)
# boots the arm64 guest with two accel vSMMUs on two pxb-pcie buses, over the host's two physical
# SMMUs, one VFIO function behind each; its iommufd and VFIO calls go through the bridge to the
# runtime's host kernel model. Driven by the shell commands qemu:start / qemu:list / qemu:console /
# qemu:stop (tools/qemu/check.gosh), judged here from what the shell printed.
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
HOME_DIR=${SMMU_QEMU_HOME:-/var/lib/smmu-qemu}
ENV_FILE=$HOME_DIR/setup.env
TIMEOUT=${SMMU_QEMU_CHECK_TIMEOUT:-900}
JAR=${SMMU_RUNTIME_JAR:-$REPO/runtime/target/smmu.jar}
LOG=$HOME_DIR/check.log

banner() {
	echo "================================================================================"
	echo "real-QEMU check (issue 14): $*"
	echo "================================================================================"
}
skip() { banner "SKIPPED: $*"; exit 0; }

[[ -f $ENV_FILE ]] || skip "real QEMU is not set up on this machine (no $ENV_FILE): run sudo tools/qemu/setup.sh"
grep -qx 'SETUP_OK=1' "$ENV_FILE" || skip "real QEMU's set-up did not finish ($ENV_FILE has no SETUP_OK=1): run sudo tools/qemu/setup.sh"
[[ $(id -u) -eq 0 ]] || skip "QEMU runs in a chroot: the check needs root"
[[ -f $REPO/smmu.qemu/pom.xml ]] || skip "this tree has no bridge bundle (smmu.qemu): nothing serves real QEMU's calls"

# setup.env: KEY=VALUE lines
declare -A E=()
while IFS='=' read -r k v; do
	[[ $k =~ ^[A-Z_]+$ ]] && E[$k]=$v
done <"$ENV_FILE"
CHROOT=${E[CHROOT]:-$HOME_DIR/chroot}

if [[ ! -f $JAR ]]; then
	echo "real-QEMU check: building the runtime (runtime/target/smmu.jar)"
	(cd "$REPO" && mvn -B -q -o -DskipTests verify -pl runtime -am) || (cd "$REPO" && mvn -B -q -DskipTests verify -pl runtime -am) ||
		{ banner "FAILED: cannot build runtime/target/smmu.jar"; exit 1; }
fi
if ! grep -q 'smmu\.qemu' <<<"$(unzip -Z1 "$JAR" 2>/dev/null)"; then
	banner "FAILED: $JAR has no smmu.qemu bundle (the runtime cannot start real QEMU)"
	exit 1
fi

"$HERE/chroot-mounts.sh" mount "$CHROOT" >/dev/null || { banner "FAILED: cannot mount the chroot's /proc and /dev"; exit 1; }

# This run's QEMU has a name of its own; processes in the chroot with it (and not there before) are ours to end.
NAME=check$$
SCRIPT=$(mktemp --suffix=.gosh)
sed "s/@NAME@/$NAME/g" "$HERE/check.gosh" >"$SCRIPT"
chroot_pids() {
	local p root
	for p in /proc/[0-9]*; do
		root=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $root == "$CHROOT" ]] || continue
		# this run's QEMU only: its guest RAM file carries the run's name
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "smmu-qemu-$NAME\.ram" && echo "${p#/proc/}"
	done
}
before=" $(chroot_pids | tr '\n' ' ') "
new_chroot_pids() {
	local p
	for p in $(chroot_pids); do
		[[ $before == *" $p "* ]] || echo "$p"
	done
}
cleanup() {
	local p
	rm -f "$SCRIPT"
	for p in $(new_chroot_pids); do
		echo "real-QEMU check: ending process $p left in the chroot ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60))"
		kill -9 "$p" 2>/dev/null
	done
}
trap cleanup EXIT

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
count_ge() { [[ $(grep -Ec "$2" <<<"$3") -ge $1 ]]; }
has() { grep -Eq "$1" <<<"$2"; }

console=$(section "qemu:console")
objects=$(section "iommufd:objects")
report=$(section "report:vm")
stats=$(section "qemu:stats")
list_after=$(section_last "qemu:list")
host_after=$(section_last "report:host")
probes=$(grep -Eo 'arm-smmu-v3 [^ ]+: allocated [0-9]+ entries for cmdq' <<<"$console" | sort -u)

echo
banner "assertions (runtime exit $rc after ${elapsed}s; log $LOG)"
check "the script ran to its end (runtime exit status 0)" test "$rc" -eq 0
check "the guest's init ran (smmu-guest: init)" has '^smmu-guest: init' "$console"
check "the guest saw an IORT (UEFI + ACPI, as accel=on needs)" has '^smmu-guest: dmesg: .*ACPI: IORT' "$console"
check "the guest's arm-smmu-v3 driver probed both vSMMUs" test -n "$probes" -a "$(wc -l <<<"$probes")" -eq 2
check "both VFIO functions are in guest IOMMU groups" count_ge 2 '^smmu-guest: iommu-group ' "$console"
check "the guest finished its init (smmu-guest: done)" has '^smmu-guest: done' "$console"
check "QEMU's iommufd in the host kernel model: an IOAS" has '^ *[0-9]+ +IOAS ' "$objects"
check "... a nest-parent HWPT" has 'HWPT_PAGING .*nest-parent' "$objects"
check "... two VFIO devices bound" count_ge 2 '^ *[0-9]+ +DEVICE ' "$objects"
check "... two vIOMMUs (one per accel vSMMU)" count_ge 2 '^ *[0-9]+ +VIOMMU ' "$objects"
check "... nested HWPTs (the abort/bypass proxies, the guest's STEs)" count_ge 2 '^ *[0-9]+ +HWPT_NESTED ' "$objects"
check "... two vDEVICEs (the guest driver's StreamIDs)" count_ge 2 '^ *[0-9]+ +VDEVICE ' "$objects"
check "report:vm shows the real QEMU" has '.' "$report"
check "the bridge counted round trips" has '[0-9]' "$stats"
check "QEMU stopped: qemu:list has no running QEMU" bash -c '! grep -Eqi "running|starting" <<<"$1"' _ "$list_after"
check "QEMU stopped: no iommufd object left on the host" bash -c '! grep -Eq "\b(IOAS|VIOMMU|VDEVICE|HWPT_NESTED)\b.*[0-9]" <<<"$1"' _ "$host_after"
check "no QEMU process left in the chroot" test -z "$(new_chroot_pids)"
echo
echo "real-qemu: ${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
