#!/bin/sh
# Boots a Debian arm64 kernel under QEMU TCG on the virt machine with an emulated SMMUv3, lets a
# virtio-blk device DMA through it, stops the VM while reads are in flight, saves guest RAM with
# pmemsave, and trims the result into a test fixture (see README.md next to this script).
#
# Usage: make-snapshot.sh [fixture-dir]
#   WORK    scratch directory for downloads, kernel, images and logs (default /tmp/qemu-snapshot)
#   RAM_MB  guest RAM in MiB (default 128)
#   SETTLE  seconds of background DMA between the marker and the snapshot (default 1)
#   IOPS    disk throttling, so that reads are in flight when the VM stops (default 5)
# Needs root for apt-get (Debian bookworm host); everything else runs unprivileged.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FIXTURE=${1:-$REPO/smmu.hw/src/test/resources/snapshots/virtio-blk}
WORK=${WORK:-/tmp/qemu-snapshot}
RAM_MB=${RAM_MB:-128}
SETTLE=${SETTLE:-1}
IOPS=${IOPS:-5}
RAM_BASE=0x40000000

mkdir -p "$WORK" "$FIXTURE"
cd "$WORK"

step() { printf '== %s\n' "$*"; }

# ---- 1. packages -------------------------------------------------------------------------------
if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
	step "installing qemu-system-arm"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-arm cpio
fi
if [ ! -d debs ] || [ -z "$(ls debs/linux-image-*_arm64.deb 2>/dev/null)" ]; then
	step "downloading linux-image-arm64 and busybox-static:arm64"
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	apt-get update
	KPKG=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
	[ -n "$KPKG" ] || { echo "cannot resolve the versioned kernel package" >&2; exit 1; }
	mkdir -p debs
	(cd debs && apt-get download "$KPKG:arm64" busybox-static:arm64)
fi
rm -rf kpkg bb
mkdir -p kpkg bb
dpkg-deb -x debs/linux-image-*_arm64.deb kpkg
dpkg-deb -x debs/busybox-static_*_arm64.deb bb
KVER=$(ls kpkg/lib/modules)
VMLINUZ=kpkg/boot/vmlinuz-$KVER

# ---- 2. initramfs and disk ---------------------------------------------------------------------
step "building initramfs for $KVER"
rm -rf initrd
mkdir -p initrd/bin initrd/proc initrd/sys initrd/dev initrd/lib/modules
cp bb/bin/busybox initrd/bin/busybox
# virtio and virtio_ring are built in, so is arm-smmu-v3; virtio-pci and virtio-blk are modules.
MODDIR=kpkg/lib/modules/$KVER/kernel/drivers
for m in virtio/virtio_pci_modern_dev virtio/virtio_pci_legacy_dev virtio/virtio_pci block/virtio_blk; do
	cp "$MODDIR/$m.ko" initrd/lib/modules/
done
cat >initrd/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
	insmod /lib/modules/$m.ko
done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
for d in /sys/bus/pci/devices/*; do
	echo "PCI $(basename $d) $(cat $d/vendor):$(cat $d/device) group=$(basename $(readlink $d/iommu_group 2>/dev/null) 2>/dev/null)"
done
echo "DISK-MD5 $(md5sum /dev/vda | cut -d' ' -f1)"
for i in 1 2 3 4; do
	(while true; do dd if=/dev/vda of=/dev/null bs=256k iflag=direct 2>/dev/null; done) &
done
echo SNAPSHOT-READY
while true; do sleep 3600; done
EOF
chmod +x initrd/init
(cd initrd && find . | cpio -o -H newc --quiet) | gzip -9 >initrd.gz

# A 1 MiB disk whose content the guest checks.
seq -f 'smmu-snapshot-disk-line-%08g' 1 50000 | head -c 1048576 >disk.img
DISK_MD5=$(md5sum disk.img | cut -d' ' -f1)

# ---- 3. boot, wait for the marker, snapshot ----------------------------------------------------
step "booting (TCG)"
rm -f trace.log console.log mon.sock ram.img
QEMU_CMD="qemu-system-aarch64 -M virt,iommu=smmuv3,gic-version=3 -cpu cortex-a57 -smp 1 -m ${RAM_MB}M -nographic \
 -kernel $VMLINUZ -initrd initrd.gz -append console=ttyAMA0 \
 -device virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on -nic none \
 -drive if=none,id=d0,file=disk.img,format=raw,throttling.iops-total=$IOPS \
 -msg timestamp=on -trace smmuv3_write_mmio -trace smmuv3_read_mmio -trace smmuv3_translate_success \
 -trace smmuv3_s1_range_inval -trace smmuv3_cmdq_tlbi_nh -trace smmuv3_cmdq_tlbi_nh_asid \
 -trace 'smmuv3_cmdq_cfgi_*' -trace smmuv3_record_event -trace smmuv3_translate_abort -trace smmuv3_decode_cd_tt \
 -D trace.log -monitor unix:mon.sock,server,nowait"
echo "$QEMU_CMD" >qemu-cmdline.txt
# shellcheck disable=SC2086
timeout 900 $QEMU_CMD </dev/null >console.log 2>&1 &
QPID=$!

n=0
until grep -q '^SNAPSHOT-READY' console.log 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 3000 ] || ! kill -0 $QPID 2>/dev/null; then
		echo "no marker after $((n / 5))s; console tail:" >&2
		tail -n 30 console.log >&2
		kill $QPID 2>/dev/null || true
		exit 1
	fi
	sleep 0.2
done
sleep "$SETTLE"

monitor() {
	python3 - "$WORK/mon.sock" "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(300)
s.connect(sys.argv[1])
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")
until_prompt()
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\n")
    if cmd == "quit":
        break
    out = until_prompt()
    sys.stdout.write(out.replace("(qemu) ", ""))
EOF
}

step "stopping the VM and saving RAM"
RAM_BYTES=$((RAM_MB * 1024 * 1024))
monitor stop "pmemsave $RAM_BASE $RAM_BYTES ram.img" >monitor.log
monitor quit >/dev/null || true
wait $QPID || true

grep -q "DISK-MD5 $DISK_MD5" console.log || { echo "guest read the disk wrongly (expected $DISK_MD5)" >&2; exit 1; }
[ "$(stat -c %s ram.img)" -eq "$RAM_BYTES" ] || { echo "ram.img has the wrong size" >&2; exit 1; }

# ---- 4. trim into the fixture ------------------------------------------------------------------
step "trimming into $FIXTURE"
python3 "$HERE/trim.py" --image ram.img --base $RAM_BASE --trace trace.log --out "$FIXTURE" >trim.log
cat trim.log
QEMU_VERSION=$(qemu-system-aarch64 --version | head -n 1)
KDEB=$(basename debs/linux-image-*_arm64.deb)
BDEB=$(basename debs/busybox-static_*_arm64.deb)
{
	cat <<EOT
# QEMU SMMUv3 snapshot: virtio-blk DMA under a Debian arm64 guest

Made by \`tools/qemu-snapshot/make-snapshot.sh\` on $(date -u +%Y-%m-%d); run it again to remake
this folder (the guest's addresses and timing will differ).

## Versions

- QEMU: \`$QEMU_VERSION\` (Debian package qemu-system-arm, TCG, x86-64 host)
- Guest kernel: Debian \`$KDEB\` (\`$KVER\`), 4 KiB pages; arm-smmu-v3 built in,
  virtio_pci_modern_dev, virtio_pci_legacy_dev, virtio_pci, virtio_blk loaded from the package
- Guest user space: \`$BDEB\` as a busybox initramfs

## Command line

\`\`\`
$QEMU_CMD
\`\`\`

The disk is 1 MiB of text lines (\`seq -f 'smmu-snapshot-disk-line-%08g' 1 50000\`, md5
$DISK_MD5). The guest's /init mounts proc, sys and devtmpfs, loads the four modules, prints
\`md5sum /dev/vda\` (checked against the host's), starts four loops of
\`dd if=/dev/vda of=/dev/null bs=256k iflag=direct\`, prints \`SNAPSHOT-READY\` and sleeps. The disk is
throttled to $IOPS requests/s so that reads are in flight (mapped) when the VM stops. ${SETTLE}s
after the marker the host sends, through the monitor socket: \`stop\`,
\`pmemsave $RAM_BASE $RAM_BYTES ram.img\`, then \`quit\`. Default kernel IOMMU settings: DMA domain,
strict invalidation.

## Files

- \`ram.img.gz\`: the ${RAM_MB} MiB pmemsave image (base $RAM_BASE) trimmed by
  \`tools/qemu-snapshot/trim.py\`: every 4 KiB page zeroed except the stream table (L1 and L2), the
  CD tables and CDs of valid STEs, every stage-1/stage-2 table page reachable from them, and the
  command and event queues; gzip -9.
- \`regs.trace\`: every \`smmuv3_write_mmio\` line of the trace log, unchanged (\`-msg timestamp=on\`
  prefix included). Queued commands are not replayed: CMDQ_CONS and EVENTQ_PROD are the values the
  driver wrote at init.
- \`regs.txt\`: the same state as \`offset=value\` lines (last write per offset, 64-bit registers whole).
- \`idregs.txt\`: the ID registers as the guest read them (\`smmuv3_read_mmio\`), \`offset=value\`.
- \`translations.trace\`: \`smmuv3_translate_success\` lines, one per (sid, 4 KiB IOVA page): the last
  translation of that page, kept only if no later invalidation in the trace (TLBI_NH_VA range, ASID,
  ALL, CFGI) covers it, i.e. the mapping was still live when the VM stopped. trim.py checked each
  against its own walk over the trimmed image.

## What trim.py found

\`\`\`
$(cat trim.log)
\`\`\`
EOT
} >"$FIXTURE/README.md"
ls -l "$FIXTURE"
