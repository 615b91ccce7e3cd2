/*
 * kernel.h: what the kernel itself says about real mode's sockets.
 *
 * kernel_sample reads /proc/net/tcp and /proc/net/tcp6 and counts, per server
 * port, the loopback sockets talking to it: client side (remote port = the
 * server's) by TCP state, and server side in TIME_WAIT (the server closed
 * first). It also counts the process's open descriptors (/proc/self/fd).
 * Buffers are made once by kernel_sampler_create, so sampling allocates
 * nothing. kernel_monitor runs the same sampler on a thread of its own.
 * Read-only; never prints.
 */
#ifndef POOLSIM_KERNEL_H
#define POOLSIM_KERNEL_H

#include "common.h"

struct kernel_host_sample {
	uint32_t established; /* client side, ESTABLISHED */
	uint32_t time_wait;   /* client side, TIME_WAIT: the client closed first */
	uint32_t other; /* client side, any other state (SYN_SENT, FIN_WAIT*, CLOSE_WAIT ...) */
	uint32_t server_time_wait; /* server side, TIME_WAIT: the server closed first */
};

struct kernel_sample {
	struct kernel_host_sample *hosts; /* n_hosts entries, owned by the sampler */
	uint32_t n_hosts;
	uint32_t established, time_wait, other, server_time_wait; /* sums over hosts */
	uint32_t fds; /* open descriptors of this process */
};

struct kernel_sampler;

/* ports[i]: the server port of host i. NULL if out of memory. */
struct kernel_sampler *kernel_sampler_create(const uint16_t *ports, uint32_t n_hosts);
void kernel_sampler_destroy(struct kernel_sampler *k);

/* kernel_sample: fill *out (its `hosts` points into the sampler). 0, or -errno if /proc is
 * unreadable. */
int kernel_sample(struct kernel_sampler *k, struct kernel_sample *out);

/* kernel_count_fds: open descriptors of this process, or -errno. Allocates nothing. */
int kernel_count_fds(void);

/*
 * kernel_monitor: a sampler on its own thread. Reading /proc/net/tcp walks the
 * kernel's whole established-socket hash (about 1 ms per file on a machine
 * with 256k buckets, however few sockets there are), which would stall real
 * mode's event loop; the monitor samples every period_ns (monotonic) and
 * keeps the newest sample and the peak of every count since the last read.
 * A burst shorter than the period can fall between two scans: real mode takes
 * the peaks of ESTABLISHED and fds at its own transitions (realnet.c). NULL
 * with *err = -errno.
 */
struct kernel_monitor;

/* The one sampling period of real mode (wall time). */
#define KERNEL_SAMPLE_PERIOD_NS (100 * 1000 * 1000)

struct kernel_monitor *kernel_monitor_start(const uint16_t *ports, uint32_t n_hosts,
                                            int64_t period_ns, int *err);
/* Stops and joins the thread; NULL is fine. */
void kernel_monitor_stop(struct kernel_monitor *m);
/*
 * kernel_monitor_latest: copy the newest sample into *out and, if `peak` is
 * not NULL, the highest value of each count seen since the previous call
 * into *peak; both `hosts` arrays are the caller's (n_hosts entries). False
 * until the first sample.
 */
bool kernel_monitor_latest(struct kernel_monitor *m, struct kernel_sample *out,
                           struct kernel_sample *peak);

#endif
