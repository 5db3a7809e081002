#ifndef CFUSESHIM_H
#define CFUSESHIM_H
// Must precede every libfuse include; 314 == FUSE_MAKE_VERSION(3, 14). Defined here, not in
// cSettings, so that Swift's importer sees the same API as the C compiler.
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <sys/stat.h>
/* Glibc's Swift module map omits sys/xattr.h; the xattr tests call getxattr/listxattr through here. */
#include <sys/xattr.h>
/* Nor epoll and eventfd, which FuseWorkerLoop waits on. */
#include <sys/epoll.h>
#include <sys/eventfd.h>

/// FUSE_ARGS_INIT is a function-like macro; Swift cannot import it.
struct fuse_args cfuse_args_init(int argc, char *_Nullable *_Nullable argv);

/// struct epoll_event is packed on x86-64, which Swift imports unpacked: add `fd` for EPOLLIN
/// (EPOLLEXCLUSIVE when `exclusive`: one waiter woken per event). 0, or -errno.
int cfuse_epoll_add(int epoll_fd, int fd, int exclusive);

#define CFUSE_DEVICE_READY 1
#define CFUSE_STOP_READY 2
/// The same packing: waits for `device_fd` or `stop_fd`; CFUSE_DEVICE_READY | CFUSE_STOP_READY bits,
/// or -errno (-EINTR when a signal interrupted the wait).
int cfuse_epoll_wait(int epoll_fd, int device_fd, int stop_fd);

/// FUSE_BUFVEC_INIT is a macro: reply `size` bytes at `pos` of `fd` (splice-capable).
int cfuse_reply_fd_range(fuse_req_t _Nonnull req, int fd, off_t pos, size_t size);

#endif
