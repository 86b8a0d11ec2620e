/*
 * A stand-in for QEMU under libsmmu-bridge.so (PreloadLibraryTest): makes the calls QEMU makes on
 * its bridged fds (100: iommufd, 101: a VFIO device) and prints what came back, one line each.
 * argv[1]: a regular file to pass to IOAS_MAP_FILE; argv[2] "hold": only wait (for a signal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && strcmp(argv[2], "hold") == 0) {
		printf("holding\n");
		for (;;) {
			pause();
		}
	}
	struct { uint32_t size, flags, out_ioas_id; } alloc = { 12, 0, 0 };
	int r = ioctl(100, 0x3b81, &alloc);
	printf("ioas_alloc %d %u\n", r, alloc.out_ioas_id);
	r = ioctl(100, 0x3b81, (void *)16);
	printf("bad_pointer %d %s\n", r, strerror(errno));
	static const struct { uint32_t size, flags, out; } ro = { 12, 0, 0 };
	r = ioctl(100, 0x3b81, (void *)&ro); /* readable, not writable: copy_to_user fails */
	printf("read_only %d %s\n", r, strerror(errno));
	unsigned char id[4];
	ssize_t n = pread(101, id, 4, 0);
	printf("pread %zd %02x%02x\n", n, id[1], id[0]);
	n = pwrite(101, "\xff\xff\xff\xff", 4, 0x10);
	printf("pwrite %zd\n", n);
	r = ioctl(7, FIONREAD, &n); /* not bridged: the real ioctl */
	printf("real %d %s\n", r, strerror(errno));

	int efd = eventfd(0, 0);
	int32_t irq = efd;
	r = ioctl(101, 0x3b6e, &irq);
	uint64_t v = 0;
	ssize_t got = read(efd, &v, 8); /* blocks until the runtime signals it */
	printf("signal %d %zd %" PRIu64 "\n", r, got, v);

	int32_t out_fd = -1;
	r = ioctl(100, 0x3b93, &out_fd);
	printf("veventq %d fd_ok %d\n", r, out_fd > 2);
	int fl = fcntl(out_fd, F_GETFL);
	fcntl(out_fd, F_SETFL, fl | O_NONBLOCK);
	unsigned char rec[16];
	n = read(out_fd, rec, sizeof rec);
	printf("empty %zd %s\n", n, strerror(errno));
	printf("polling\n");
	struct pollfd p = { out_fd, POLLIN, 0 };
	r = poll(&p, 1, 10000);
	n = read(out_fd, rec, sizeof rec);
	printf("event %d %zd %u\n", r, n, rec[0]);
	p.revents = 0;
	r = poll(&p, 1, 0);
	printf("drained %d\n", r);
	printf("close_veventq %d\n", close(out_fd));

	int f = open(argv[1], O_RDWR);
	r = ioctl(100, 0x3b8f, (void *)(intptr_t)f);
	printf("map_file %d\n", r);
	printf("close_vfio %d\n", close(101));
	printf("close_iommufd %d\n", close(100));
	r = ioctl(100, 0x3b81, &alloc);
	printf("after_close %d %s\n", r, strerror(errno));
	return 0;
}
