#include "CFuseShim.h"
#include <stddef.h> /* NULL for FUSE_BUFVEC_INIT: fuse_common.h does not include it */
#include <errno.h>
#include <sys/epoll.h>

struct fuse_args cfuse_args_init(int argc, char **argv) {
    struct fuse_args a = FUSE_ARGS_INIT(argc, argv);
    return a;
}

int cfuse_epoll_add(int epoll_fd, int fd, int exclusive) {
    struct epoll_event event = { .events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0), .data.fd = fd };
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0 ? 0 : -errno;
}

int cfuse_epoll_wait(int epoll_fd, int device_fd, int stop_fd) {
    struct epoll_event events[2];
    int count = epoll_wait(epoll_fd, events, 2, -1);
    if (count < 0) return -errno;
    int ready = 0;
    for (int i = 0; i < count; i++) {
        if (events[i].data.fd == device_fd) ready |= CFUSE_DEVICE_READY;
        if (events[i].data.fd == stop_fd) ready |= CFUSE_STOP_READY;
    }
    return ready;
}

int cfuse_reply_fd_range(fuse_req_t req, int fd, off_t pos, size_t size) {
    struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
    buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
    buf.buf[0].fd = fd;
    buf.buf[0].pos = pos;
    return fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}
