#!/usr/bin/env bash
# Real QEMU in the loop (issue 14): builds, once per machine, everything the real-QEMU checks need,
# outside any work tree so that every clone finds it:
#
#   $SMMU_QEMU_HOME (default /var/lib/smmu-qemu)
#     chroot/                         Debian sid (debootstrap minbase) with qemu-system-arm 11.1 and
#                                     qemu-efi-aarch64; QEMU runs here (it needs sid's glibc)
#     chroot/opt/smmu/qemu-system-aarch64   a copy of QEMU with the accel=on KVM check lifted
#     chroot/opt/smmu/guest/          the guest kernel and initramfs, as QEMU in the chroot sees them
#     guest/                          the same two files on the host, and the boot check's console log
#     setup.env                       KEY=VALUE lines for the other tools; SETUP_OK=1 comes last
#
# Needs root and apt (Debian's package registry); installs debootstrap and cpio (and gcc for the
# bridge's library) on the host when missing; never touches the host's glibc. Idempotent: a second run
# checks each step and skips what is done.
#
#   sudo tools/qemu/setup.sh
#
# Knobs: SMMU_QEMU_HOME, SMMU_DEBIAN_MIRROR (default: the Debian mirror the host's apt uses),
# SMMU_QEMU_SUITE (sid), SMMU_QEMU_BOOT_CHECK (auto: only when its inputs changed; 1: always; 0: never).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd -P)
export SMMU_QEMU_HOME=${SMMU_QEMU_HOME:-/var/lib/smmu-qemu}
CHROOT=$SMMU_QEMU_HOME/chroot
GUEST=$SMMU_QEMU_HOME/guest
SUITE=${SMMU_QEMU_SUITE:-sid}
BOOT_CHECK=${SMMU_QEMU_BOOT_CHECK:-auto}
ENV_FILE=$SMMU_QEMU_HOME/setup.env
# Paths inside the chroot
IN_OPT=/opt/smmu
IN_QEMU=$IN_OPT/qemu-system-aarch64
IN_GUEST=$IN_OPT/guest
IN_PRELOAD=$IN_OPT/libsmmu-bridge.so
ORIG_QEMU=/usr/bin/qemu-system-aarch64

T0=$(date +%s)
declare -A TIMES=()
step() { printf '\n==> [%4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\nsetup.sh: FAILED: %s\n' "$*" >&2; exit 1; }
timed() { # timed NAME command...: runs it and records its duration; returns its status
	local name=$1 s rc=0; shift
	s=$(date +%s)
	"$@" || rc=$?
	TIMES[$name]=$(($(date +%s) - s))
	return $rc
}
in_chroot() { chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
CHROOT_APT=(apt-get -q -y -o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0)

[[ $(id -u) -eq 0 ]] || die "run as root (it builds a chroot under $SMMU_QEMU_HOME and mounts /proc and /dev in it)"
[[ $(uname -m) == x86_64 ]] || die "the patcher knows x86-64 QEMU binaries only (this is $(uname -m))"
mkdir -p "$SMMU_QEMU_HOME" "$GUEST"
exec 9>"$SMMU_QEMU_HOME/.setup.lock"
flock -n 9 || die "another tools/qemu/setup.sh is running on $SMMU_QEMU_HOME"
# A stale setup.env must not say OK while we rebuild.
[[ -f $ENV_FILE ]] && sed -i '/^SETUP_OK=/d' "$ENV_FILE"

# ---------------------------------------------------------------------------------------------
step "1/8 host tools (debootstrap, cpio; gcc for the preload library)"
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils) # the guest's kernel modules are .ko.xz
command -v python3 >/dev/null || need+=(python3-minimal)
# The bridge's preload library (tools/qemu/preload/build.sh) is built with the host's C compiler.
if [[ -f $HERE/preload/build.sh ]]; then
	command -v gcc >/dev/null || need+=(gcc)
	[[ -f /usr/include/stdio.h ]] || need+=(libc6-dev)
fi
if ((${#need[@]})); then
	info "installing on the host: ${need[*]}"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } >"$SMMU_QEMU_HOME/host-apt.log" 2>&1 ||
		{ tail -n 20 "$SMMU_QEMU_HOME/host-apt.log" >&2; die "installing ${need[*]} on the host failed (log: $SMMU_QEMU_HOME/host-apt.log)"; }
else
	info "present"
fi

mirror() {
	if [[ -n ${SMMU_DEBIAN_MIRROR:-} ]]; then echo "$SMMU_DEBIAN_MIRROR"; return; fi
	local m
	m=$(apt-get indextargets --format '$(REPO_URI) $(LABEL)' 2>/dev/null | awk '$2 == "Debian" { print $1; exit }')
	if [[ -z $m ]]; then
		apt-get update -q >/dev/null 2>&1 || true
		m=$(apt-get indextargets --format '$(REPO_URI) $(LABEL)' 2>/dev/null | awk '$2 == "Debian" { print $1; exit }')
	fi
	[[ -n $m ]] || die "no Debian mirror found in the host's apt sources (set SMMU_DEBIAN_MIRROR)"
	echo "${m%/}"
}

# ---------------------------------------------------------------------------------------------
step "2/8 $SUITE chroot at $CHROOT"
if [[ -f $CHROOT/.smmu-debootstrap-ok ]]; then
	info "present ($(cat "$CHROOT/etc/debian_version"))"
else
	MIRROR=$(mirror)
	info "debootstrap --variant=minbase $SUITE (from the host's Debian mirror)"
	[[ -d $CHROOT/etc ]] && "$HERE/chroot-mounts.sh" umount "$CHROOT" >/dev/null 2>&1 || true
	if findmnt -rn -o TARGET | grep -q "^$CHROOT/"; then die "something is still mounted under $CHROOT: unmount it first"; fi
	rm -rf "$CHROOT"
	log=$SMMU_QEMU_HOME/debootstrap.log
	if ! timed debootstrap debootstrap --variant=minbase "$SUITE" "$CHROOT" "$MIRROR" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "debootstrap failed (log: $log)"
	fi
	touch "$CHROOT/.smmu-debootstrap-ok"
	info "done in ${TIMES[debootstrap]}s ($(cat "$CHROOT/etc/debian_version"))"
fi
"$HERE/chroot-mounts.sh" mount "$CHROOT" | sed 's/^/    /'
# A copy next to the chroot, so that a launcher finds it without a work tree.
cmp -s "$HERE/chroot-mounts.sh" "$SMMU_QEMU_HOME/chroot-mounts.sh" || install -m 755 "$HERE/chroot-mounts.sh" "$SMMU_QEMU_HOME/chroot-mounts.sh"
# The chroot's apt uses the same mirror debootstrap used (written by debootstrap in sources.list).

# ---------------------------------------------------------------------------------------------
step "3/8 packages in the chroot (qemu-system-arm, qemu-efi-aarch64; arm64 kernel and busybox-static)"
# Files nobody here reads: documentation, translations, and the 64 MiB AAVMF flash images
# (-bios takes qemu-efi-aarch64's QEMU_EFI.fd, 3 MiB): dpkg leaves them out of what it installs, and
# what is already there (debootstrap's packages, or a chroot from an older setup.sh) is pruned.
EXCLUDES=$CHROOT/etc/dpkg/dpkg.cfg.d/01-smmu-exclude
cat >"$EXCLUDES.tmp" <<-'EOF'
	# tools/qemu/setup.sh: not needed to run QEMU
	path-exclude=/usr/share/doc/*
	path-include=/usr/share/doc/*/copyright
	path-exclude=/usr/share/man/*
	path-exclude=/usr/share/locale/*
	path-exclude=/usr/share/AAVMF/*
EOF
mv "$EXCLUDES.tmp" "$EXCLUDES"
prune() {
	local before after
	[[ -d $CHROOT/usr/share && $CHROOT != / ]] || return 0
	compgen -G "$CHROOT/usr/share/AAVMF/*" >/dev/null || compgen -G "$CHROOT/usr/share/man/*" >/dev/null ||
		compgen -G "$CHROOT/usr/share/locale/*" >/dev/null ||
		[[ -n $(find "$CHROOT/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -print -quit 2>/dev/null) ]] || return 0
	before=$(du -sxm "$CHROOT" | cut -f1)
	rm -rf "$CHROOT"/usr/share/AAVMF/* "$CHROOT"/usr/share/man/* "$CHROOT"/usr/share/locale/*
	find "$CHROOT/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
	after=$(du -sxm "$CHROOT" | cut -f1)
	((before - after < 1)) || info "pruned documentation, translations and AAVMF images: $((before - after)) MB"
}
installed() { in_chroot dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -c '^install ok installed$' || true; }
DEBS=$CHROOT/var/cache/smmu-debs
# The kernel image's path in a kernel .deb: ./boot/vmlinuz-V (up to Linux 7.1's packaging) or
# ./usr/lib/modules/V/vmlinuz[.unsigned] (linux-binary[-unsigned]-V, newer).
kimage() { dpkg-deb -c "$1" | awk '{ print $6 }' | grep -E '^\./(boot/vmlinuz-[^/]+|usr/lib/modules/[^/]+/vmlinuz[^/]*)$' | head -n 1 | grep .; }
have_debs() { compgen -G "$DEBS/linux-*_arm64.deb" >/dev/null && compgen -G "$DEBS/busybox-static_*_arm64.deb" >/dev/null; }
if [[ $(installed qemu-system-arm qemu-efi-aarch64) -eq 2 ]] && have_debs; then
	info "present"
else
	s=$(date +%s)
	in_chroot dpkg --print-foreign-architectures | grep -qx arm64 || in_chroot dpkg --add-architecture arm64
	info "apt-get update (in the chroot)"
	in_chroot "${CHROOT_APT[@]}" update >"$SMMU_QEMU_HOME/apt.log" 2>&1 || { tail -n 20 "$SMMU_QEMU_HOME/apt.log" >&2; die "apt-get update in the chroot failed"; }
	info "apt-get install qemu-system-arm qemu-efi-aarch64 (and what they depend on)"
	in_chroot "${CHROOT_APT[@]}" install qemu-system-arm qemu-efi-aarch64 >>"$SMMU_QEMU_HOME/apt.log" 2>&1 ||
		{ tail -n 20 "$SMMU_QEMU_HOME/apt.log" >&2; die "installing QEMU in the chroot failed (log: $SMMU_QEMU_HOME/apt.log)"; }
	# The arm64 kernel and busybox are files for the guest, not programs for this chroot: download
	# the packages and take the files out (installing a foreign kernel would pull in arm64 kmod/initramfs-tools).
	# linux-image-arm64 -> linux-image-V-arm64 (signed); the image itself is in linux-image-V-arm64-unsigned
	# (older packaging) or in linux-binary-unsigned-V-arm64 (newer: linux-binary-V-arm64 is the signed one).
	deps() { in_chroot apt-cache depends "$1:arm64" 2>/dev/null | sed -n 's/^ *Depends: \([^:< ]*\).*/\1/p'; }
	kimg=$(deps linux-image-arm64 | grep '^linux-image-[0-9]' | head -n 1)
	[[ -n $kimg ]] || die "cannot resolve linux-image-arm64:arm64 to a versioned kernel package"
	kbin=$(deps "$kimg" | grep '^linux-binary-' | head -n 1 || true)
	kpkg=
	for c in ${kbin:+${kbin/linux-binary-/linux-binary-unsigned-}} "$kimg-unsigned" $kbin "$kimg"; do
		if in_chroot apt-cache show "$c:arm64" >/dev/null 2>&1; then kpkg=$c; break; fi
	done
	info "apt-get download $kpkg:arm64 busybox-static:arm64 (files for the guest, not installed)"
	rm -rf "$DEBS"; mkdir -p "$DEBS"
	in_chroot sh -c "cd /var/cache/smmu-debs && apt-get -q -o Acquire::Check-Valid-Until=false download $kpkg:arm64 busybox-static:arm64" >>"$SMMU_QEMU_HOME/apt.log" 2>&1 ||
		{ tail -n 20 "$SMMU_QEMU_HOME/apt.log" >&2; die "downloading the arm64 kernel and busybox failed"; }
	kimage "$DEBS/${kpkg}_"*_arm64.deb >/dev/null || die "$kpkg has no kernel image (boot/vmlinuz-V or usr/lib/modules/V/vmlinuz*)"
	TIMES[install]=$(($(date +%s) - s))
	info "done in ${TIMES[install]}s"
fi
if compgen -G "$CHROOT/var/lib/apt/lists/*_Packages*" >/dev/null || compgen -G "$CHROOT/var/cache/apt/archives/*.deb" >/dev/null; then
	info "deleting apt lists and caches in the chroot ($(du -sch "$CHROOT"/var/lib/apt/lists "$CHROOT"/var/cache/apt 2>/dev/null | tail -n 1 | cut -f1))"
	in_chroot apt-get clean
	rm -rf "$CHROOT"/var/lib/apt/lists/* "$CHROOT"/var/cache/apt/*.bin
fi
prune
QEMU_VERSION=$(in_chroot dpkg-query -W -f='${Version}' qemu-system-arm)
info "qemu-system-arm $QEMU_VERSION, qemu-efi-aarch64 $(in_chroot dpkg-query -W -f='${Version}' qemu-efi-aarch64)"
case $QEMU_VERSION in
1:11.1.*) ;;
*) die "qemu-system-arm $QEMU_VERSION in the chroot: 1:11.1.x expected (the version with hw/arm/smmuv3-accel.c)" ;;
esac

# ---------------------------------------------------------------------------------------------
step "4/8 QEMU with the accel=on KVM check lifted ($IN_QEMU)"
mkdir -p "$CHROOT$IN_OPT"
orig_sum=$(sha256sum "$CHROOT$ORIG_QEMU" | cut -d' ' -f1)
stamp=$CHROOT$IN_OPT/.patched-from
if [[ -x $CHROOT$IN_QEMU && -f $stamp && $(cat "$stamp") == "$orig_sum  $(sha256sum "$CHROOT$IN_QEMU" | cut -d' ' -f1)" ]]; then
	info "present (patched from $ORIG_QEMU sha256 ${orig_sum:0:16}...)"
else
	rm -f "$stamp"
	python3 "$HERE/patch-kvm-check.py" "$CHROOT$ORIG_QEMU" "$CHROOT$IN_QEMU" 2>&1 | sed 's/^/    /' ||
		die "patching QEMU refused (the original $ORIG_QEMU is unchanged)"
	# Only the two 6-byte jumps may differ: 12 bytes in two runs of 6.
	diffs=$(cmp -l "$CHROOT$ORIG_QEMU" "$CHROOT$IN_QEMU" | awk '{print $1}' || true)
	n=$(wc -w <<<"$diffs")
	runs=$(awk 'NR == 1 || $1 != prev + 1 { r++ } { prev = $1 } END { print r + 0 }' <<<"$diffs")
	[[ $(stat -c %s "$CHROOT$ORIG_QEMU") -eq $(stat -c %s "$CHROOT$IN_QEMU") ]] || die "patched QEMU has another size"
	((n >= 1 && n <= 12 && runs == 2)) || die "patched QEMU differs from the original in $n bytes ($runs runs): expected at most 12 in two runs"
	info "cmp: $n bytes differ, in $runs runs (the two jumps), nothing else"
	echo "$orig_sum  $(sha256sum "$CHROOT$IN_QEMU" | cut -d' ' -f1)" >"$stamp"
fi
# Verify: the original refuses accel=on under TCG, the patched one gets past that check.
ACCEL_ARGS=(-M virt -accel tcg -cpu max -m 256M -display none -nodefaults -S
	-device arm-smmuv3,primary-bus=pcie.0,id=smmuv3.1,accel=on)
KVM_ERROR="accel=on requires KVM"
out_orig=$(in_chroot timeout 20 "$ORIG_QEMU" "${ACCEL_ARGS[@]}" </dev/null 2>&1 || true)
out_patched=$(in_chroot timeout 20 "$IN_QEMU" "${ACCEL_ARGS[@]}" </dev/null 2>&1 || true)
grep -q "$KVM_ERROR" <<<"$out_orig" || info "(note: the original QEMU did not print the KVM error: $(head -n 1 <<<"$out_orig"))"
if grep -q "$KVM_ERROR" <<<"$out_patched"; then die "the patched QEMU still refuses: $out_patched"; fi
info "original: $(head -n 1 <<<"$out_orig")"
info "patched:  $(head -n 1 <<<"${out_patched:-<nothing: it started>}")"

# ---------------------------------------------------------------------------------------------
step "5/8 guest kernel and initramfs ($GUEST)"
kdeb=$(ls "$DEBS"/linux-*_arm64.deb | head -n 1)
bdeb=$(ls "$DEBS"/busybox-static_*_arm64.deb | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
KVER_FILE=$GUEST/kernel-version
if [[ -f $GUEST/vmlinuz && -f $KVER_FILE && $(cat "$GUEST/kernel-deb" 2>/dev/null) == "$(basename "$kdeb")" ]]; then
	info "kernel present ($(cat "$KVER_FILE"))"
else
	member=$(kimage "$kdeb") || die "no kernel image in $(basename "$kdeb")"
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work" "$member"
	vmlinuz=$work/$member
	case $member in
	./boot/*) basename "$member" | sed 's/^vmlinuz-//' >"$KVER_FILE" ;;
	*) basename "$(dirname "$member")" >"$KVER_FILE" ;;
	esac
	cp "$vmlinuz" "$GUEST/vmlinuz"
	basename "$kdeb" >"$GUEST/kernel-deb"
	info "kernel $(cat "$KVER_FILE") from $(basename "$kdeb")"
fi
KERNEL_VERSION=$(cat "$KVER_FILE")
# initramfs: busybox + tools/qemu/guest/* (init, and workload.sh if someone adds one); reproducible,
# so an unchanged input gives the same bytes and the file is left alone.
mkdir -p "$work/bb" "$work/root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc}
dpkg-deb -x "$bdeb" "$work/bb"
bb=
for f in "$work"/bb/usr/bin/busybox "$work"/bb/bin/busybox; do [[ -f $f ]] && bb=$f; done
[[ -n $bb ]] || die "no busybox binary in $(basename "$bdeb")"
file_arch=$(od -An -tx1 -j18 -N2 "$bb" | tr -d ' ')
[[ $file_arch == b700 ]] || die "$bb is not an arm64 binary (e_machine $file_arch)"
cp "$bb" "$work/root/bin/busybox"
# Guest kernel modules the init loads (issue 8: virtio_pci is built in, virtio_blk is a module; it
# depends on nothing else). They come from linux-modules-V, downloaded once into $DEBS with apt lists of
# its own (the chroot's lists are pruned); decompressed, so busybox insmod loads them as they are.
GUEST_MODULES=(kernel/drivers/block/virtio_blk.ko)
mdeb=$(ls "$DEBS"/linux-modules-"$KERNEL_VERSION"_*_arm64.deb 2>/dev/null | head -n 1 || true)
if [[ -z $mdeb ]]; then
	info "apt-get download linux-modules-$KERNEL_VERSION:arm64 (for ${GUEST_MODULES[*]##*/})"
	lists=/var/cache/smmu-debs/lists
	mkdir -p "$CHROOT$lists/partial"
	in_chroot sh -c "cd /var/cache/smmu-debs && apt-get -q -o Acquire::Check-Valid-Until=false -o Dir::State::Lists=$lists update && apt-get -q -o Acquire::Check-Valid-Until=false -o Dir::State::Lists=$lists download linux-modules-$KERNEL_VERSION:arm64" >>"$SMMU_QEMU_HOME/apt.log" 2>&1 ||
		{ rm -rf "${CHROOT:?}$lists"; tail -n 20 "$SMMU_QEMU_HOME/apt.log" >&2; die "downloading linux-modules-$KERNEL_VERSION:arm64 failed"; }
	rm -rf "${CHROOT:?}$lists"
	mdeb=$(ls "$DEBS"/linux-modules-"$KERNEL_VERSION"_*_arm64.deb | head -n 1)
fi
mkdir -p "$work/mods" "$work/root/lib/modules"
dpkg-deb --fsys-tarfile "$mdeb" | tar -x -C "$work/mods" --wildcards $(printf "*/%s* " "${GUEST_MODULES[@]}") ||
	die "$(basename "$mdeb") lacks ${GUEST_MODULES[*]}"
for m in "${GUEST_MODULES[@]}"; do
	f=$(find "$work/mods" -path "*/$m*" -type f | head -n 1)
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -dcq "$f" ;;
	*.gz) gzip -dc "$f" ;;
	*) cat "$f" ;;
	esac >"$work/root/lib/modules/$(basename "$m")"
done
cp -r "$HERE/guest/." "$work/root/"
rm -f "$work/root/README.md"
chmod 755 "$work/root/init" "$work/root/bin/busybox"
[[ -f $work/root/workload.sh ]] && chmod 755 "$work/root/workload.sh"
find "$work/root" -exec touch -h -d @0 {} +
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$work/initrd.cpio.gz"
if cmp -s "$work/initrd.cpio.gz" "$GUEST/initrd.cpio.gz"; then
	info "initramfs unchanged ($(stat -c %s "$GUEST/initrd.cpio.gz") bytes, busybox $(basename "$bdeb"))"
else
	mv "$work/initrd.cpio.gz" "$GUEST/initrd.cpio.gz"
	info "initramfs built ($(stat -c %s "$GUEST/initrd.cpio.gz") bytes: busybox from $(basename "$bdeb"), init from tools/qemu/guest/init)"
fi
mkdir -p "$CHROOT$IN_GUEST"
for f in vmlinuz initrd.cpio.gz; do
	cmp -s "$GUEST/$f" "$CHROOT$IN_GUEST/$f" || cp "$GUEST/$f" "$CHROOT$IN_GUEST/$f"
done

# ---------------------------------------------------------------------------------------------
step "6/8 UEFI firmware"
BIOS=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
[[ -f $CHROOT$BIOS ]] || BIOS=$(in_chroot dpkg -L qemu-efi-aarch64 | grep '/QEMU_EFI\.fd$' | head -n 1)
[[ -n $BIOS && -f $CHROOT$BIOS ]] || die "QEMU_EFI.fd not found in qemu-efi-aarch64"
info "$BIOS ($(stat -c %s "$CHROOT$BIOS") bytes)"
# With UEFI + ACPI the patched QEMU passes the DT gate too; what stops it now is the missing VFIO device
# (accel=on's 'auto' properties come from one), which the bridge provides.
out_bios=$(in_chroot timeout 20 "$IN_QEMU" "${ACCEL_ARGS[@]}" -bios "$BIOS" </dev/null 2>&1 || true)
if grep -q -e "$KVM_ERROR" -e "not supported for DT" <<<"$out_bios"; then die "the patched QEMU with -bios still refuses accel=on: $out_bios"; fi
info "patched QEMU, accel=on with -bios: $(head -n 1 <<<"${out_bios:-<nothing: it started>}")"

# ---------------------------------------------------------------------------------------------
step "7/8 bridge preload library ($IN_PRELOAD)"
if [[ -x $HERE/preload/build.sh ]] || [[ -f $HERE/preload/build.sh ]]; then
	bash "$HERE/preload/build.sh" "$CHROOT" 2>&1 | sed 's/^/    /' || die "tools/qemu/preload/build.sh failed"
	[[ -f $CHROOT$IN_PRELOAD ]] || info "note: build.sh did not install $IN_PRELOAD"
else
	info "tools/qemu/preload/build.sh does not exist yet: no preload library (the boot check needs none)"
fi

# ---------------------------------------------------------------------------------------------
step "8/8 boot check: patched QEMU, TCG, UEFI, emulated SMMUv3, the busybox guest"
boot_inputs=$( (sha256sum "$CHROOT$IN_QEMU" "$GUEST/vmlinuz" "$GUEST/initrd.cpio.gz" "$CHROOT$BIOS"; echo boot-check-v1) | sha256sum | cut -d' ' -f1)
BOOT_LOG=$GUEST/boot-check.log
if [[ $BOOT_CHECK == 0 ]]; then
	info "skipped (SMMU_QEMU_BOOT_CHECK=0)"
	BOOT_SECONDS=$(sed -n 's/^BOOT_SECONDS=//p' "$ENV_FILE" 2>/dev/null || true)
elif [[ $BOOT_CHECK == auto && -f $GUEST/boot-check.ok && $(cat "$GUEST/boot-check.ok") == "$boot_inputs" ]]; then
	BOOT_SECONDS=$(sed -n 's/^BOOT_SECONDS=//p' "$ENV_FILE" 2>/dev/null || true)
	info "passed before with the same QEMU, kernel, initramfs and firmware (${BOOT_SECONDS:-?}s; SMMU_QEMU_BOOT_CHECK=1 reruns it)"
else
	rm -f "$GUEST/boot-check.ok"
	s=$(date +%s%N)
	set +e
	in_chroot timeout 300 "$IN_QEMU" -M virt,iommu=smmuv3 -accel tcg -cpu max -smp 2 -m 512M \
		-bios "$BIOS" -kernel "$IN_GUEST/vmlinuz" -initrd "$IN_GUEST/initrd.cpio.gz" \
		-append 'console=ttyAMA0 panic=-1' -nographic -no-reboot -nic none </dev/null >"$BOOT_LOG" 2>&1
	rc=$?
	set -e
	ms=$((($(date +%s%N) - s) / 1000000))
	BOOT_SECONDS=$((ms / 1000)).$((ms % 1000 / 100))
	tr -d '\r' <"$BOOT_LOG" >"$BOOT_LOG.tmp" && mv "$BOOT_LOG.tmp" "$BOOT_LOG"
	grep -E '^smmu-guest: (init|dmesg: .*(IORT|arm-smmu-v3)|iommu-group|pci|done)' "$BOOT_LOG" | head -n 12 | sed 's/^/    /'
	((rc != 124)) || die "the guest did not power off within 300 s (console: $BOOT_LOG)"
	grep -q '^smmu-guest: done' "$BOOT_LOG" || die "the guest did not reach 'smmu-guest: done' (QEMU exit $rc; console: $BOOT_LOG)"
	# arm-smmu-v3 probed: it allocated its command queue, and put a device into an IOMMU group.
	grep -Eq '^smmu-guest: dmesg: .*arm-smmu-v3 .*allocated [0-9]+ entries for cmdq' "$BOOT_LOG" ||
		die "the guest's arm-smmu-v3 driver did not probe (console: $BOOT_LOG)"
	grep -q '^smmu-guest: iommu-group ' "$BOOT_LOG" || die "the guest has no IOMMU group (console: $BOOT_LOG)"
	echo "$boot_inputs" >"$GUEST/boot-check.ok"
	up=$(sed -n 's/^smmu-guest: uptime \([0-9.]*\) s at init.*/\1/p' "$BOOT_LOG")
	info "passed: QEMU exit $rc, ${BOOT_SECONDS}s from QEMU start to power-off; the guest kernel reached init after ${up:-?}s of its uptime (TCG, -smp 2; host: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
fi

# ---------------------------------------------------------------------------------------------
{
	echo "# written by tools/qemu/setup.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); paths IN_CHROOT are as QEMU in the chroot sees them"
	echo "SMMU_QEMU_HOME=$SMMU_QEMU_HOME"
	echo "CHROOT=$CHROOT"
	echo "QEMU=$IN_QEMU"
	echo "QEMU_ORIGINAL=$ORIG_QEMU"
	echo "QEMU_VERSION=$QEMU_VERSION"
	echo "BIOS=$BIOS"
	echo "KERNEL=$GUEST/vmlinuz"
	echo "INITRD=$GUEST/initrd.cpio.gz"
	echo "KERNEL_IN_CHROOT=$IN_GUEST/vmlinuz"
	echo "INITRD_IN_CHROOT=$IN_GUEST/initrd.cpio.gz"
	echo "KERNEL_VERSION=$KERNEL_VERSION"
	echo "PRELOAD=$IN_PRELOAD"
	echo "PRELOAD_PRESENT=$([[ -f $CHROOT$IN_PRELOAD ]] && echo 1 || echo 0)"
	echo "RUN_DIR=$SMMU_QEMU_HOME/run"
	echo "MOUNTS=$SMMU_QEMU_HOME/chroot-mounts.sh"
	echo "BOOT_SECONDS=${BOOT_SECONDS:-}"
	echo "SETUP_OK=1"
} >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"

step "made"
du_total=$(du -sh --one-file-system "$SMMU_QEMU_HOME" 2>/dev/null | cut -f1)
du_chroot=$(du -sh --one-file-system "$CHROOT" 2>/dev/null | cut -f1)
info "chroot      $CHROOT ($SUITE, $du_chroot)"
info "QEMU        $CHROOT$IN_QEMU  (qemu-system-arm $QEMU_VERSION, KVM check lifted; original $ORIG_QEMU kept)"
info "firmware    $CHROOT$BIOS"
info "kernel      $GUEST/vmlinuz  ($KERNEL_VERSION; in the chroot: $IN_GUEST/vmlinuz)"
info "initramfs   $GUEST/initrd.cpio.gz  (in the chroot: $IN_GUEST/initrd.cpio.gz)"
info "preload     $IN_PRELOAD in the chroot: $([[ -f $CHROOT$IN_PRELOAD ]] && echo present || echo 'not built yet')"
info "settings    $ENV_FILE"
info "mounts      $SMMU_QEMU_HOME/chroot-mounts.sh mount|umount|status   (mounted now; same as tools/qemu/chroot-mounts.sh)"
info "disk        $du_total in $SMMU_QEMU_HOME"
info "next        tools/qemu/check.sh (the end-to-end check, also run by .ci/run); qemu:* in ./smmu"
t="total $(($(date +%s) - T0))s"
[[ -n ${TIMES[debootstrap]:-} ]] && t="$t; debootstrap ${TIMES[debootstrap]}s"
[[ -n ${TIMES[install]:-} ]] && t="$t; packages ${TIMES[install]}s"
[[ -n ${BOOT_SECONDS:-} ]] && t="$t; guest boot ${BOOT_SECONDS}s"
info "time        $t"
echo "SETUP_OK"
