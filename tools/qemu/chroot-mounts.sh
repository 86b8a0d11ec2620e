#!/usr/bin/env bash
# Mounts what QEMU needs inside the real-QEMU chroot (idempotent), or takes it away again.
#
#   tools/qemu/chroot-mounts.sh [mount|umount|status] [CHROOT]
#
# CHROOT defaults to $SMMU_QEMU_HOME/chroot (SMMU_QEMU_HOME defaults to /var/lib/smmu-qemu).
# mount:  proc           -> CHROOT/proc
#         /dev (bind)    -> CHROOT/dev
#         /dev/shm (bind)-> CHROOT/dev/shm   (guest RAM files: the runtime maps the same file outside)
#         /dev/pts (bind)-> CHROOT/dev/pts
#         SMMU_QEMU_HOME/run (bind) -> CHROOT/SMMU_QEMU_HOME/run   (same absolute path inside and
#                           outside: sockets and files put there by the runtime are seen by QEMU as is)
# Every mount is checked first, so calling it again changes nothing. Exit status 0 when all are there.
set -euo pipefail

action=${1:-mount}
HOME_DIR=${SMMU_QEMU_HOME:-/var/lib/smmu-qemu}
CHROOT=${2:-$HOME_DIR/chroot}
RUN_DIR=$HOME_DIR/run

die() { echo "chroot-mounts: $*" >&2; exit 1; }
[[ $action == mount || $action == umount || $action == status ]] || die "usage: $0 [mount|umount|status] [CHROOT]"
[[ -d $CHROOT/etc ]] || die "no chroot at $CHROOT (run tools/qemu/setup.sh first)"
CHROOT=$(cd "$CHROOT" && pwd -P)

mounted() { findmnt -rn --mountpoint "$1" >/dev/null 2>&1 || grep -qs " $1 " /proc/self/mounts; }

# target source kind (kind: proc or bind), in mount order
TABLE=(
	"$CHROOT/proc proc proc"
	"$CHROOT/dev /dev bind"
	"$CHROOT/dev/shm /dev/shm bind"
	"$CHROOT/dev/pts /dev/pts bind"
	"$CHROOT$RUN_DIR $RUN_DIR bind"
)

case $action in
mount)
	mkdir -p "$RUN_DIR"
	chmod 1777 "$RUN_DIR"
	for row in "${TABLE[@]}"; do
		read -r target source kind <<<"$row"
		if mounted "$target"; then continue; fi
		mkdir -p "$target"
		if [[ $kind == proc ]]; then
			mount -t proc proc "$target"
		else
			[[ -e $source ]] || continue
			mount --bind "$source" "$target"
			# Where / is a shared mount (systemd), keep mounts under the chroot from propagating back.
			mount --make-rslave "$target"
		fi
		echo "chroot-mounts: mounted $source on $target"
	done
	;;
umount)
	for ((i = ${#TABLE[@]} - 1; i >= 0; i--)); do
		read -r target _ _ <<<"${TABLE[$i]}"
		if mounted "$target"; then
			umount "$target" 2>/dev/null || umount -l "$target"
			echo "chroot-mounts: unmounted $target"
		fi
	done
	;;
status)
	missing=0
	for row in "${TABLE[@]}"; do
		read -r target source _ <<<"$row"
		if mounted "$target"; then echo "mounted  $target ($source)"; else echo "missing  $target ($source)"; missing=1; fi
	done
	exit $missing
	;;
esac
