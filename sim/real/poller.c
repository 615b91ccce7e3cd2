/*
 * poller.c: epoll behind poller.h's fixed interface, for the loopback servers'
 * thread (server.c) and the real network's loop (realnet.c).
 */
#include "poller.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct poller {
	int epfd;
	bool no_pwait2; /* the kernel lacks epoll_pwait2: fall back to ms timeouts */
	struct epoll_event buf[POLLER_BATCH];
};

struct poller *poller_create(void)
{
	struct poller *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void poller_destroy(struct poller *p)
{
	if (!p)
		return;
	close(p->epfd);
	free(p);
}

static int poller_ctl(struct poller *p, int op, int fd, uint64_t tag, unsigned want)
{
	struct epoll_event ev = {0};
	ev.events = ((want & POLLER_READ) ? EPOLLIN : 0u) | ((want & POLLER_WRITE) ? EPOLLOUT : 0u);
	ev.data.u64 = tag;
	return epoll_ctl(p->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

int poller_add(struct poller *p, int fd, uint64_t tag, unsigned want)
{
	return poller_ctl(p, EPOLL_CTL_ADD, fd, tag, want);
}

int poller_mod(struct poller *p, int fd, uint64_t tag, unsigned want)
{
	return poller_ctl(p, EPOLL_CTL_MOD, fd, tag, want);
}

int poller_del(struct poller *p, int fd)
{
	return epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

static int poller_wait_ms(struct poller *p, int64_t timeout_ns, int max)
{
	int ms = -1;
	if (timeout_ns >= 0) /* round up: waking early would only spin */
		ms = timeout_ns > (int64_t)1000 * 1000 * 1000 * 1000
		         ? 1000 * 1000
		         : (int)((timeout_ns + 999999) / 1000000);
	return epoll_wait(p->epfd, p->buf, max, ms);
}

int poller_wait(struct poller *p, int64_t timeout_ns, struct poller_event *out, int max)
{
	if (max > POLLER_BATCH)
		max = POLLER_BATCH;
	int n;
	if (p->no_pwait2) {
		n = poller_wait_ms(p, timeout_ns, max);
	} else {
		struct timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
		n = epoll_pwait2(p->epfd, p->buf, max, timeout_ns < 0 ? NULL : &ts, NULL);
		if (n < 0 && errno == ENOSYS) {
			p->no_pwait2 = true;
			n = poller_wait_ms(p, timeout_ns, max);
		}
	}
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint32_t e = p->buf[i].events;
		bool fail = (e & (EPOLLERR | EPOLLHUP)) != 0;
		out[i].tag = p->buf[i].data.u64;
		out[i].readable = fail || (e & EPOLLIN);
		out[i].writable = fail || (e & EPOLLOUT);
	}
	return n;
}

int64_t poller_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
