#!/usr/bin/env bash
# Builds libsmmu-bridge.so with the host's gcc and installs it in the real-QEMU chroot.
#
#   tools/qemu/preload/build.sh CHROOT     installs CHROOT/opt/smmu/libsmmu-bridge.so
#   tools/qemu/preload/build.sh -o FILE    builds FILE only (tests)
#
# Links libc alone (glibc is backward compatible: a bookworm-built library runs under sid's QEMU).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ ${1:-} == -o && -n ${2:-} ]]; then
	out=$2
elif [[ -n ${1:-} && -d $1 ]]; then
	mkdir -p "$1/opt/smmu"
	out=$1/opt/smmu/libsmmu-bridge.so
else
	echo "usage: $0 CHROOT | -o FILE" >&2
	exit 2
fi
command -v gcc >/dev/null || { echo "build.sh: gcc is missing (apt-get install gcc)" >&2; exit 1; }
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -std=gnu11 -o "$tmp" "$here/smmu-bridge.c" -lpthread
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "build.sh: built $out"
