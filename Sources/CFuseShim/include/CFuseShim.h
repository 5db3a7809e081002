#ifndef CFUSESHIM_H
#define CFUSESHIM_H
// Must precede every libfuse include; 314 == FUSE_MAKE_VERSION(3, 14). Defined here, not in
// cSettings, so that Swift's importer sees the same API as the C compiler.
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <sys/stat.h>
/* Glibc's Swift module map omits sys/xattr.h; the xattr tests call getxattr/listxattr through here. */
#include <sys/xattr.h>

/// FUSE_ARGS_INIT is a function-like macro; Swift cannot import it.
struct fuse_args cfuse_args_init(int argc, char *_Nullable *_Nullable argv);

/// fuse_loop_config is opaque since API 3.12 and the loop entry point may be a versioned macro.
int cfuse_session_loop_mt(struct fuse_session *_Nonnull se, unsigned clone_fd,
                          unsigned max_threads, unsigned max_idle_threads);

/// FUSE_BUFVEC_INIT is a macro: reply `size` bytes at `pos` of `fd` (splice-capable).
int cfuse_reply_fd_range(fuse_req_t _Nonnull req, int fd, off_t pos, size_t size);

#endif
