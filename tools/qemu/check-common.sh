# Sourced by check.sh and check-virtio.sh (after REPO and CHECK_TITLE are set): the set-up's paths, the
# banner, "SKIPPED: why" when the set-up is absent, and setup.env read into E[KEY].
HOME_DIR=${SMMU_QEMU_HOME:-/var/lib/smmu-qemu}
ENV_FILE=$HOME_DIR/setup.env
TIMEOUT=${SMMU_QEMU_CHECK_TIMEOUT:-900}
JAR=${SMMU_RUNTIME_JAR:-$REPO/runtime/target/smmu.jar}

banner() {
	echo "================================================================================"
	echo "$CHECK_TITLE: $*"
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
