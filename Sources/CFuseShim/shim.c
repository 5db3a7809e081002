#include "CFuseShim.h"
#include <stddef.h> /* NULL for FUSE_BUFVEC_INIT: fuse_common.h does not include it */

struct fuse_args cfuse_args_init(int argc, char **argv) {
    struct fuse_args a = FUSE_ARGS_INIT(argc, argv);
    return a;
}

int cfuse_session_loop_mt(struct fuse_session *se, unsigned clone_fd,
                          unsigned max_threads, unsigned max_idle) {
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    if (!cfg) return -1;
    fuse_loop_cfg_set_clone_fd(cfg, clone_fd);
    fuse_loop_cfg_set_max_threads(cfg, max_threads);
    if (max_idle != (unsigned)-1) /* 3.14 logs "Ignoring invalid max threads value" for -1 */
        fuse_loop_cfg_set_idle_threads(cfg, max_idle);
    int rc = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
    return rc;
}

int cfuse_reply_fd_range(fuse_req_t req, int fd, off_t pos, size_t size) {
    struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
    buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
    buf.buf[0].fd = fd;
    buf.buf[0].pos = pos;
    return fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}
