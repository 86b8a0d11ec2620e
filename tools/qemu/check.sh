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
# Knobs: SMMU_QEMU_HOME, SMMU_QEMU_CHECK_TIMEOUT (seconds for the whole runtime run, default 900).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
HOME_DIR=${SMMU_QEMU_HOME:-/var/lib/smmu-qemu}
ENV_FILE=$HOME_DIR/setup.env
TIMEOUT=${SMMU_QEMU_CHECK_TIMEOUT:-900}
JAR=$REPO/runtime/target/smmu.jar
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
if ! unzip -l "$JAR" 2>/dev/null | grep -q 'smmu\.qemu'; then
	banner "FAILED: runtime/target/smmu.jar has no smmu.qemu bundle (the runtime cannot start real QEMU)"
	exit 1
fi

"$HERE/chroot-mounts.sh" mount "$CHROOT" >/dev/null || { banner "FAILED: cannot mount the chroot's /proc and /dev"; exit 1; }

# QEMU processes (by pid) in the chroot before the run: only those started during the run are ours to end.
chroot_pids() {
	local p root
	for p in /proc/[0-9]*; do
		root=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $root == "$CHROOT" ]] && echo "${p#/proc/}"
	done
}
before=" $(chroot_pids | tr '\n' ' ') "
cleanup() {
	local p
	for p in $(chroot_pids); do
		[[ $before == *" $p "* ]] && continue
		echo "real-QEMU check: ending process $p left in the chroot ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60))"
		kill -9 "$p" 2>/dev/null
	done
}
trap cleanup EXIT

banner "booting Debian's QEMU ${E[QEMU_VERSION]:-?} with two accel vSMMUs (guest kernel ${E[KERNEL_VERSION]:-?})"
start=$(date +%s)
timeout --kill-after=10 "$TIMEOUT" java -Dsmmu.scenarios="$REPO/scenarios" -Dgosh.home="$REPO/runtime" \
	-Dsmmu.script="$HERE/check.gosh" -Dgosh.args=--nointeractive -Dorg.jline.terminal.dumb=true \
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
running=$(section_n "report:host" 1)
after=$(section_n "report:host" 2)
probes=$(grep -Eo 'arm-smmu-v3 [^ ]+: allocated [0-9]+ entries for cmdq' <<<"$console" | sort -u)

echo
banner "assertions (runtime exit $rc after ${elapsed}s; log $LOG)"
check "the script ran to its end (runtime exit status 0)" test "$rc" -eq 0
check "the guest's init ran (smmu-guest: init)" has '^smmu-guest: init' "$console"
check "the guest saw an IORT (ACPI, as accel=on needs)" has 'smmu-guest: dmesg: .*ACPI: IORT' "$console"
check "the guest's arm-smmu-v3 driver probed both vSMMUs" test "$(wc -l <<<"$probes" | tr -d ' ')" -eq 2 -a -n "$probes"
check "both VFIO functions are in guest IOMMU groups" count_ge 2 '^smmu-guest: iommu-group ' "$console"
check "the guest finished its init (smmu-guest: done)" has '^smmu-guest: done' "$console"
check "the host kernel model holds QEMU's IOAS" has 'IOAS' "$running"
check "... a nest-parent HWPT" has 'nest-parent' "$running"
check "... two vIOMMUs (one per accel vSMMU)" count_ge 2 'VIOMMU' "$running"
check "... two vDEVICEs (the guest driver's StreamIDs)" count_ge 2 'VDEVICE' "$running"
check "... nested HWPTs (abort/bypass proxies and the guest's STEs)" has 'HWPT_NESTED|nested' "$running"
check "QEMU stopped: no iommufd object left" bash -c '! grep -Eq "IOAS|VIOMMU|VDEVICE|HWPT" <<<"$1"' _ "$after"
check "no QEMU left running in the chroot" bash -c "[[ -z \$(for p in /proc/[0-9]*; do [[ \$(readlink \$p/root 2>/dev/null) == '$CHROOT' && '$before' != *\" \${p#/proc/} \"* ]] && echo \$p; done) ]]"

echo
echo "real-qemu: ${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
