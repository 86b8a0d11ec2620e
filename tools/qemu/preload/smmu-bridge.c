/*
 * libsmmu-bridge.so: preloaded into a real QEMU, it turns the calls QEMU makes on its iommufd and
 * VFIO device file descriptors into messages to the smmu runtime, which answers them from its host
 * kernel model (bundle smmu.qemu). See protocol.h for the wire format and docs/real-qemu.md.
 *
 * Environment (read and removed by the constructor, so QEMU's children do not inherit it):
 *   SMMU_BRIDGE_SOCKET  path of the runtime's Unix socket (without it the library does nothing)
 *   SMMU_BRIDGE_FDS     the fds QEMU is told about: "100=iommufd,101=vfio:0000:01:00.0,..."
 *   SMMU_BRIDGE_DEBUG   1: one line per forwarded call on stderr
 *   SMMU_BRIDGE_KEEP    1: keep running when the runtime goes (calls fail with EIO); by default the
 *                       process gets SIGTERM then, as nothing can serve its iommufd any more
 *
 * The constructor opens a placeholder (/dev/null) at each of those numbers before QEMU's main runs,
 * so calls the bridge does not forward (fcntl, fstat) still see a valid file. Forwarded: ioctl,
 * read, pread, pwrite and close on those fds and on the files the runtime installs (a vEVENTQ: a
 * real eventfd that is readable while the runtime says the queue is). The runtime reads and writes
 * the process's memory by asking back (MEM_READ / MEM_WRITE), served with process_vm_readv/writev
 * on our own pid: a bad pointer is EFAULT, never SIGSEGV. One call at a time; a receiver thread
 * takes every message off the socket and handles the async ones (SIGNAL, READABLE) itself.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol.h"

#define MAX_FD 65536
#define KIND_FILE 3
#define SOCKET_FD_MIN 1000

struct msg {
	struct msg *next;
	uint32_t length;
	uint16_t type;
	uint32_t seq;
	unsigned char *payload; /* length - HEADER_BYTES bytes */
};

static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread64)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_close)(int);

static unsigned char kinds[MAX_FD];     /* 0: not ours; KIND_IOMMUFD, KIND_VFIO, KIND_FILE */
static unsigned char signalled[MAX_FD]; /* KIND_FILE: the eventfd's counter is non-zero */
static int sock = -1;
static int debug;
static int keep_on_loss;
static volatile int hello_done; /* before it, the constructor reports a refusal itself */
static volatile int dead;
static uint32_t next_seq;

static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;
static struct msg *queue_head, *queue_tail;

static void resolve(void)
{
	if (real_close) {
		return;
	}
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	real_read = dlsym(RTLD_NEXT, "read");
	real_pread64 = dlsym(RTLD_NEXT, "pread64");
	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	__atomic_store_n(&real_close, dlsym(RTLD_NEXT, "close"), __ATOMIC_RELEASE);
}

static int kind_of(int fd)
{
	if (fd < 0 || fd >= MAX_FD) {
		return 0;
	}
	return __atomic_load_n(&kinds[fd], __ATOMIC_ACQUIRE);
}

static void put16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a runtime gone mid-write is EPIPE, not SIGPIPE (the hello runs before QEMU ignores it) */
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	return 0;
}

/* Sends one message: the header, the fixed payload and optional data. */
static int send_msg(uint16_t type, uint32_t seq, const void *fixed, size_t fixed_len, const void *data, size_t data_len)
{
	unsigned char h[HEADER_BYTES];
	put32(h, HEADER_BYTES + fixed_len + data_len);
	put16(h + 4, BRIDGE_VERSION);
	put16(h + 6, type);
	put32(h + 8, seq);
	struct iovec iov[3] = { { h, HEADER_BYTES }, { (void *)fixed, fixed_len }, { (void *)data, data_len } };
	pthread_mutex_lock(&send_lock);
	int r = dead ? -1 : write_all(sock, iov, data_len ? 3 : 2);
	pthread_mutex_unlock(&send_lock);
	return r;
}

static int read_all(int fd, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = real_read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			return -1;
		}
		done += r;
	}
	return 0;
}

static int is_eventfd(int fd)
{
	char link[64], target[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n < 0) {
		return 0;
	}
	target[n] = 0;
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* The installed file's readiness: its eventfd holds 1 while the runtime says it is readable. */
static void set_readable(int fd, int readable)
{
	pthread_mutex_lock(&file_lock);
	if (kind_of(fd) == KIND_FILE && readable != signalled[fd]) {
		uint64_t v = 1;
		if (readable) {
			if (write(fd, &v, 8) == 8) {
				signalled[fd] = 1;
			}
		} else {
			ssize_t r = real_read(fd, &v, 8);
			(void)r;
			signalled[fd] = 0;
		}
	}
	pthread_mutex_unlock(&file_lock);
}

static void async_msg(struct msg *m)
{
	size_t n = m->length - HEADER_BYTES;
	if (m->type == MSG_SIGNAL && n >= 4) {
		int fd = (int)get32(m->payload);
		uint64_t one = 1;
		if (is_eventfd(fd) && write(fd, &one, 8) != 8 && debug) {
			fprintf(stderr, "smmu-bridge: signal of eventfd %d failed: %s\n", fd, strerror(errno));
		}
	} else if (m->type == MSG_READABLE && n >= 8) {
		set_readable((int)get32(m->payload), get32(m->payload + 4) != 0);
	} else {
		fprintf(stderr, "smmu-bridge: ignored async message type %u (%zu bytes)\n", m->type, n);
	}
}

static void *receiver(void *unused)
{
	(void)unused;
	for (;;) {
		unsigned char h[HEADER_BYTES];
		if (read_all(sock, h, HEADER_BYTES) < 0) {
			break;
		}
		uint32_t length = get32(h);
		uint16_t version, type;
		memcpy(&version, h + 4, 2);
		memcpy(&type, h + 6, 2);
		if (version != BRIDGE_VERSION || length < HEADER_BYTES || length > MAX_MESSAGE) {
			fprintf(stderr, "smmu-bridge: bad message from the runtime (version %u, length %u): closing the bridge\n", version, length);
			break;
		}
		struct msg *m = calloc(1, sizeof *m);
		unsigned char *payload = malloc(length - HEADER_BYTES + 1);
		if (!m || !payload || read_all(sock, payload, length - HEADER_BYTES) < 0) {
			free(m);
			free(payload);
			break;
		}
		m->length = length;
		m->type = type;
		m->seq = get32(h + 8);
		m->payload = payload;
		if (m->seq == 0) {
			async_msg(m);
			free(payload);
			free(m);
			continue;
		}
		pthread_mutex_lock(&queue_lock);
		if (queue_tail) {
			queue_tail->next = m;
		} else {
			queue_head = m;
		}
		queue_tail = m;
		pthread_cond_broadcast(&queue_cond);
		pthread_mutex_unlock(&queue_lock);
	}
	pthread_mutex_lock(&queue_lock);
	int was_dead = dead;
	dead = 1;
	pthread_cond_broadcast(&queue_cond);
	pthread_mutex_unlock(&queue_lock);
	if (!was_dead) {
		/* the host kernel this process runs on is gone: calls on its fds fail with EIO from now on,
		 * and the process is asked to terminate (SIGTERM: QEMU shuts down cleanly) unless told to stay */
		if (hello_done) {
			fprintf(stderr, "smmu-bridge: the runtime closed the bridge: calls on its fds fail with EIO%s\n",
				keep_on_loss ? "" : "; terminating");
		}
		if (!keep_on_loss && hello_done) {
			kill(getpid(), SIGTERM);
		}
	}
	return NULL;
}

static struct msg *next_msg(void)
{
	pthread_mutex_lock(&queue_lock);
	while (!queue_head && !dead) {
		pthread_cond_wait(&queue_cond, &queue_lock);
	}
	struct msg *m = queue_head;
	if (m) {
		queue_head = m->next;
		if (!queue_head) {
			queue_tail = NULL;
		}
	}
	pthread_mutex_unlock(&queue_lock);
	return m;
}

/* The runtime's requests during a call. */
static void serve(struct msg *m, uint32_t seq)
{
	size_t n = m->length - HEADER_BYTES;
	unsigned char r[8];
	int32_t err = 0;
	if (m->type == MSG_MEM_READ && n >= 12) {
		uint64_t va = get64(m->payload);
		uint32_t len = get32(m->payload + 8);
		if (len > MAX_DATA) {
			len = 0;
			err = EINVAL;
		}
		unsigned char *buf = malloc(len ? len : 1);
		if (!buf) {
			err = ENOMEM;
			len = 0;
		} else if (!err && len) {
			struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)va, len };
			ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
			if (got != (ssize_t)len) {
				err = EFAULT;
				len = 0;
			}
		}
		put32(r, err);
		send_msg(MSG_MEM_DATA, seq, r, 4, buf, len);
		free(buf);
	} else if (m->type == MSG_MEM_WRITE && n >= 8) {
		uint64_t va = get64(m->payload);
		size_t len = n - 8;
		if (len) {
			struct iovec local = { m->payload + 8, len }, remote = { (void *)(uintptr_t)va, len };
			ssize_t put = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
			if (put != (ssize_t)len) {
				err = EFAULT;
			}
		}
		put32(r, err);
		send_msg(MSG_MEM_DONE, seq, r, 4, NULL, 0);
	} else if (m->type == MSG_FD_PATH && n >= 4) {
		char link[64], target[4096];
		snprintf(link, sizeof link, "/proc/self/fd/%d", (int)get32(m->payload));
		ssize_t len = readlink(link, target, sizeof target);
		if (len < 0) {
			err = EBADF;
			len = 0;
		}
		put32(r, err);
		send_msg(MSG_PATH, seq, r, 4, target, len);
	} else if (m->type == MSG_FD_INSTALL) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0) {
			err = errno;
		} else if (fd >= MAX_FD) {
			real_close(fd);
			fd = -1;
			err = EMFILE;
		} else {
			pthread_mutex_lock(&file_lock);
			signalled[fd] = 0;
			__atomic_store_n(&kinds[fd], KIND_FILE, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&file_lock);
		}
		put32(r, err);
		put32(r + 4, fd);
		send_msg(MSG_INSTALLED, seq, r, 8, NULL, 0);
	} else {
		fprintf(stderr, "smmu-bridge: unexpected message type %u (%zu bytes) during call %u\n", m->type, n, seq);
	}
}

/*
 * One call: sends it, serves the runtime's requests until RESULT, returns its ret (errno set when
 * ret is negative: -1 is returned then). Data of the RESULT goes to out (at most out_len bytes).
 */
static long call(uint16_t type, const void *fixed, size_t fixed_len, const void *data, size_t data_len, void *out, size_t out_len,
		 char *text, size_t text_len)
{
	pthread_mutex_lock(&call_lock);
	uint32_t seq = ++next_seq;
	if (seq == 0) {
		seq = next_seq = 1;
	}
	long ret = -1;
	int err = EIO;
	if (send_msg(type, seq, fixed, fixed_len, data, data_len) == 0) {
		for (;;) {
			struct msg *m = next_msg();
			if (!m) {
				break;
			}
			if (m->seq != seq) {
				fprintf(stderr, "smmu-bridge: dropped message type %u of call %u during call %u\n", m->type, m->seq, seq);
			} else if (m->type == MSG_RESULT && m->length - HEADER_BYTES >= 16) {
				size_t n = m->length - HEADER_BYTES - 16;
				ret = (long)get64(m->payload);
				err = (int)get32(m->payload + 8);
				if (out && n) {
					memcpy(out, m->payload + 16, n < out_len ? n : out_len);
				}
				if (text && text_len) {
					size_t t = n < text_len - 1 ? n : text_len - 1;
					memcpy(text, m->payload + 16, t);
					text[t] = 0;
				}
				free(m->payload);
				free(m);
				break;
			} else {
				serve(m, seq);
			}
			free(m->payload);
			free(m);
		}
	}
	pthread_mutex_unlock(&call_lock);
	if (ret < 0) {
		errno = err ? err : EIO;
		return -1;
	}
	return ret;
}

static long forward_ioctl(int fd, unsigned long request, void *arg)
{
	unsigned char p[24];
	put32(p, fd);
	put32(p + 4, 0);
	put64(p + 8, request);
	put64(p + 16, (uintptr_t)arg);
	long r = call(MSG_IOCTL, p, sizeof p, NULL, 0, NULL, 0, NULL, 0);
	if (debug) {
		fprintf(stderr, "smmu-bridge: ioctl(%d, 0x%lx, %p) = %ld%s%s\n", fd, request, arg, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	}
	return r;
}

static ssize_t forward_read(int fd, void *buf, size_t count, off_t offset, int positional)
{
	unsigned char p[16];
	if (count > MAX_DATA) {
		count = MAX_DATA;
	}
	put32(p, fd);
	put32(p + 4, count);
	put64(p + 8, offset);
	long r = call(positional ? MSG_PREAD : MSG_READ, p, positional ? 16 : 8, NULL, 0, buf, count, NULL, 0);
	if (debug) {
		fprintf(stderr, "smmu-bridge: %s(%d, %zu, 0x%lx) = %ld\n", positional ? "pread" : "read", fd, count, (long)offset, r);
	}
	return r;
}

static ssize_t forward_pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	unsigned char p[16];
	if (count > MAX_DATA) {
		count = MAX_DATA;
	}
	put32(p, fd);
	put32(p + 4, 0);
	put64(p + 8, offset);
	long r = call(MSG_PWRITE, p, sizeof p, buf, count, NULL, 0, NULL, 0);
	if (debug) {
		fprintf(stderr, "smmu-bridge: pwrite(%d, %zu, 0x%lx) = %ld\n", fd, count, (long)offset, r);
	}
	return r;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (kind_of(fd)) {
		return (int)forward_ioctl(fd, request, arg);
	}
	resolve();
	return real_ioctl(fd, request, arg);
}

ssize_t read(int fd, void *buf, size_t count)
{
	if (kind_of(fd)) {
		return forward_read(fd, buf, count, 0, 0);
	}
	resolve();
	return real_read(fd, buf, count);
}

ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen) {
		abort();
	}
	return read(fd, buf, count);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset)
{
	if (kind_of(fd)) {
		return forward_read(fd, buf, count, offset, 1);
	}
	resolve();
	return real_pread64(fd, buf, count, offset);
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset) __attribute__((alias("pread64")));

ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen)
{
	if (count > buflen) {
		abort();
	}
	return pread64(fd, buf, count, offset);
}

ssize_t __pread_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen) __attribute__((alias("__pread64_chk")));

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset)
{
	if (kind_of(fd)) {
		return forward_pwrite(fd, buf, count, offset);
	}
	resolve();
	return real_pwrite64(fd, buf, count, offset);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) __attribute__((alias("pwrite64")));

int close(int fd)
{
	resolve();
	int kind = kind_of(fd);
	if (kind) {
		unsigned char p[4];
		put32(p, fd);
		long r = call(MSG_CLOSE, p, 4, NULL, 0, NULL, 0, NULL, 0);
		if (debug) {
			fprintf(stderr, "smmu-bridge: close(%d) = %ld\n", fd, r);
		}
		pthread_mutex_lock(&file_lock);
		__atomic_store_n(&kinds[fd], 0, __ATOMIC_RELEASE);
		signalled[fd] = 0;
		pthread_mutex_unlock(&file_lock);
	}
	return real_close(fd);
}

static void fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "smmu-bridge: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	_exit(1);
}

/* Opens /dev/null at fd, which must be free. */
static void placeholder(int fd)
{
	char n[16];
	snprintf(n, sizeof n, "%d", fd);
	if (fcntl(fd, F_GETFD) >= 0) {
		fail("fd %s is taken already: pick free numbers in SMMU_BRIDGE_FDS", n);
	}
	int t = open("/dev/null", O_RDWR);
	if (t < 0) {
		fail("cannot open /dev/null for fd %s", n);
	}
	if (t != fd) {
		if (dup2(t, fd) != fd) {
			fail("dup2: %s", strerror(errno));
		}
		real_close(t);
	}
}

__attribute__((constructor)) static void bridge_init(void)
{
	resolve();
	const char *path = getenv("SMMU_BRIDGE_SOCKET");
	if (!path || !*path) {
		return;
	}
	const char *fds = getenv("SMMU_BRIDGE_FDS");
	debug = getenv("SMMU_BRIDGE_DEBUG") && strcmp(getenv("SMMU_BRIDGE_DEBUG"), "1") == 0;
	keep_on_loss = getenv("SMMU_BRIDGE_KEEP") && strcmp(getenv("SMMU_BRIDGE_KEEP"), "1") == 0;
	char spec[4096];
	snprintf(spec, sizeof spec, "%s", fds ? fds : "");
	char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	if (strlen(path) >= sizeof sockpath) {
		fail("socket path too long: %s", path);
	}
	strcpy(sockpath, path);
	unsetenv("SMMU_BRIDGE_SOCKET");
	unsetenv("SMMU_BRIDGE_FDS");
	unsetenv("SMMU_BRIDGE_DEBUG");
	unsetenv("SMMU_BRIDGE_KEEP");
	unsetenv("LD_PRELOAD");

	/* HELLO: pid, then the fds with their kinds and names */
	unsigned char hello[8192];
	size_t len = 8;
	uint32_t count = 0;
	int placed[256], placed_kind[256];
	for (char *save = NULL, *item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq || count == 256) {
			fail("bad SMMU_BRIDGE_FDS entry '%s' (want N=iommufd or N=vfio:BDF)", item);
		}
		*eq = 0;
		char *end;
		long fd = strtol(item, &end, 10);
		const char *what = eq + 1, *name = "";
		int kind;
		if (*end || fd < 3 || fd >= MAX_FD) {
			fail("bad fd number '%s' in SMMU_BRIDGE_FDS", item);
		}
		if (strcmp(what, "iommufd") == 0) {
			kind = KIND_IOMMUFD;
		} else if (strncmp(what, "vfio:", 5) == 0 && what[5]) {
			kind = KIND_VFIO;
			name = what + 5;
		} else {
			fail("bad kind '%s' in SMMU_BRIDGE_FDS (want iommufd or vfio:BDF)", what);
		}
		size_t nlen = strlen(name);
		if (len + 8 + nlen > sizeof hello) {
			fail("SMMU_BRIDGE_FDS too long%s", "");
		}
		placeholder((int)fd);
		placed[count] = (int)fd;
		placed_kind[count++] = kind;
		put32(hello + len, (uint32_t)fd);
		put16(hello + len + 4, kind);
		put16(hello + len + 6, nlen);
		memcpy(hello + len + 8, name, nlen);
		len += 8 + nlen;
	}
	put32(hello, getpid());
	put32(hello + 4, count);

	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	strcpy(addr.sun_path, sockpath);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
		fail("cannot connect to the runtime at %s", sockpath);
	}
	sock = fcntl(s, F_DUPFD_CLOEXEC, SOCKET_FD_MIN);
	if (sock < 0) {
		fail("cannot move the bridge socket: %s", strerror(errno));
	}
	real_close(s);

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int rc = pthread_create(&t, NULL, receiver, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		fail("cannot start the receiver thread: %s", strerror(rc));
	}
	pthread_detach(t);

	char message[512] = "";
	if (call(MSG_HELLO, hello, len, NULL, 0, NULL, 0, message, sizeof message) < 0) {
		fail("the runtime refused this process: %s", message[0] ? message : strerror(errno));
	}
	hello_done = 1;
	for (uint32_t i = 0; i < count; i++) {
		__atomic_store_n(&kinds[placed[i]], placed_kind[i], __ATOMIC_RELEASE);
	}
}
