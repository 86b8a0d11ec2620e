/*
 * The smmu bridge protocol: QEMU's process (libsmmu-bridge.so) <-> the runtime (bundle smmu.qemu).
 * One Unix stream socket per QEMU process. Every message is little-endian:
 *
 *   u32 length    bytes of the whole message, header included (HEADER_BYTES .. MAX_MESSAGE)
 *   u16 version   BRIDGE_VERSION
 *   u16 type      one of the MSG_* below
 *   u32 seq       the call a message belongs to (the library numbers its calls from 1); 0: async
 *   ...           the payload of the type
 *
 * A call (HELLO, IOCTL, PREAD, PWRITE, READ, CLOSE) from the library is answered by zero or more
 * requests of the runtime (MEM_READ, MEM_WRITE, FD_PATH, FD_INSTALL: the kernel's copy_from_user,
 * copy_to_user, fget + d_path, fd_install), each answered by the library with the matching reply,
 * then by RESULT. The library makes one call at a time. Async messages (SIGNAL, READABLE) come from
 * the runtime at any time, with seq 0. The Java side (smmu.qemu.impl.Wire) is the other copy of this
 * table; docs/real-qemu.md describes it.
 */
#ifndef SMMU_BRIDGE_PROTOCOL_H
#define SMMU_BRIDGE_PROTOCOL_H

#define BRIDGE_VERSION 1
#define HEADER_BYTES 12
#define MAX_DATA (1u << 20)
#define MAX_MESSAGE (MAX_DATA + 64)

/* library -> runtime: calls ("fd" is always an s32) */
#define MSG_HELLO 1        /* u32 pid, u32 n, n x {s32 fd, u16 kind, u16 len, name[len]} */
#define MSG_IOCTL 2        /* s32 fd, u32 0, u64 request, u64 arg */
#define MSG_PREAD 3        /* s32 fd, u32 count, u64 offset */
#define MSG_PWRITE 4       /* s32 fd, u32 0, u64 offset, data */
#define MSG_READ 5         /* s32 fd, u32 count */
#define MSG_CLOSE 6        /* s32 fd */
/* library -> runtime: replies to the runtime's requests */
#define MSG_MEM_DATA 16    /* s32 errno, data (MEM_READ) */
#define MSG_MEM_DONE 17    /* s32 errno (MEM_WRITE) */
#define MSG_PATH 18        /* s32 errno, path (FD_PATH) */
#define MSG_INSTALLED 19   /* s32 errno, s32 fd (FD_INSTALL) */
/* runtime -> library: requests during a call */
#define MSG_MEM_READ 32    /* u64 va, u32 len */
#define MSG_MEM_WRITE 33   /* u64 va, data */
#define MSG_FD_PATH 34     /* s32 fd */
#define MSG_FD_INSTALL 35  /* nothing: a new pollable file, readable when the runtime says so */
#define MSG_RESULT 36      /* s64 ret, s32 errno, u32 0, data (PREAD, READ; HELLO: a message on failure) */
/* runtime -> library: async */
#define MSG_SIGNAL 48      /* s32 fd: eventfd_signal on an eventfd of the process */
#define MSG_READABLE 49    /* s32 fd, u32 readable: the installed file's poll state */

#define KIND_IOMMUFD 1
#define KIND_VFIO 2

#endif
