#!/bin/sh
# The virtio-blk workload of issue 8 (run with -append 'smmu.workload="sh /virtio-workload.sh"').
# For each virtio disk /dev/vdX the guest's virtio_blk driver found (the runtime's smmu.virtio device
# behind a VFIO function, whose every DMA goes through the physical SMMU's nested walk):
#   smmu-virtio: disk vdX bytes=N serial=S
#   smmu-virtio: rawread vdX bytes=N seconds=T                  the whole disk, O_DIRECT, 1 MiB blocks, to /dev/null
#   smmu-virtio: read vdX bytes=N sha256=H seconds=T            the whole disk again, through sha256sum
#   smmu-virtio: write vdX offset=O bytes=N sha256=H seconds=T  a known pattern, O_DIRECT
#   smmu-virtio: readback vdX offset=O sha256=H match=yes|no     the pattern read back, O_DIRECT
# The pattern is the line "smmu-virtio pattern\n" (20 bytes) repeated over 1 MiB at offset 16 MiB
# (tools/qemu/check-virtio.sh computes the same bytes on the host and looks for them in the image file).
PAT_MIB=1
PAT_AT_MIB=16
up() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }'; }
n=0
for d in /sys/block/vd*; do
	[ -e "$d" ] || continue
	v=${d##*/}
	n=$((n + 1))
	bytes=$(($(cat "$d/size") * 512))
	echo "smmu-virtio: disk $v bytes=$bytes serial=$(cat "$d/serial" 2>/dev/null || echo -)"
	t=$(up)
	dd if=/dev/$v of=/dev/null bs=1M iflag=direct 2>/dev/null
	echo "smmu-virtio: rawread $v bytes=$bytes seconds=$(since "$t")"
	t=$(up)
	sum=$(dd if=/dev/$v bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	echo "smmu-virtio: read $v bytes=$bytes sha256=$sum seconds=$(since "$t")"
	yes "smmu-virtio pattern" | head -c $((PAT_MIB << 20)) >/tmp/pattern
	psum=$(sha256sum </tmp/pattern | cut -d' ' -f1)
	t=$(up)
	dd if=/tmp/pattern of=/dev/$v bs=1M seek=$PAT_AT_MIB oflag=direct conv=notrunc,fsync 2>/dev/null
	rc=$?
	echo "smmu-virtio: write $v offset=$((PAT_AT_MIB << 20)) bytes=$((PAT_MIB << 20)) sha256=$psum seconds=$(since "$t") rc=$rc"
	rsum=$(dd if=/dev/$v bs=1M skip=$PAT_AT_MIB count=$PAT_MIB iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	m=no
	[ "$rsum" = "$psum" ] && m=yes
	echo "smmu-virtio: readback $v offset=$((PAT_AT_MIB << 20)) sha256=$rsum match=$m"
done
echo "smmu-virtio: disks $n"
dmesg | grep -i -e virtio -e 'vd[a-z]' -e 'arm-smmu-v3.*event' | while IFS= read -r line; do
	echo "smmu-virtio: dmesg: $line"
done
