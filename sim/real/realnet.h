/*
 * realnet.h: the real network (net.h) for the shared client (client.h):
 * non-blocking TCP to the loopback servers of server.h, OpenSSL for https,
 * HTTP/1.1 on the wire (HTTP/2 streams on an h2 host's conns, realnet_h2.c), and the loop that
 * turns the monotonic clock into scenario time for des.h.
 *
 * Scenario time = real time since realnet_start / time_scale. dial_latency is
 * waited on a des timer before connect(); tls_latency and service_time are
 * the servers' (server.c). Like simnet.c it has the scenario's server actions
 * played (server_actions.h) against the servers, and pushes EV_KERNEL_SAMPLE
 * records (kernel.h) if asked.
 *
 * Connects only to 127.0.0.1. Reports to the client only from realnet_run
 * (des handlers and socket readiness), never from inside a net_ops call.
 */
#ifndef POOLSIM_REALNET_H
#define POOLSIM_REALNET_H

#include "client.h"
#include "des.h"
#include "event.h"
#include "net.h"
#include "scenario.h"
#include "server.h"

struct realnet;

/*
 * realnet_create: registers des types from `first_type` up and returns the
 * next free one in *next_type. `servers` (already started, with the same
 * time_scale), `des` and `stream` must outlive it. NULL if out of memory.
 */
struct realnet *realnet_create(const struct scenario *sc, struct server_set *servers,
                               struct des *des, struct ev_stream *stream, double time_scale,
                               unsigned first_type, unsigned *next_type);
void realnet_attach_client(struct realnet *n, struct client *c);
const struct net_ops *realnet_ops(void);

/*
 * realnet_start: scenario time 0 is now. Starts the attached client
 * (client_start), then schedules the server actions, in the simulator's
 * order (sim.c), and, with kernel_samples, kernel records every
 * KERNEL_SAMPLE_PERIOD_NS of wall time (kernel.h): one EV_KERNEL_SAMPLE per
 * host and one with host = PS_NONE for the total (value = ESTABLISHED,
 * conn = TIME_WAIT, flags = open fds; client side). The samples are taken on
 * a thread of kernel.h's (kernel_monitor); so that a burst between two of
 * them is never missed, the loop itself takes ESTABLISHED (the kernel's
 * TCP_INFO state of each of its sockets) at every connect and counts the
 * descriptors at every socket(), connect and close; when those peaks since
 * the last records exceed the newest sample, records with the peaks come first.
 * 0, or -errno if that thread could not start (then nothing has started).
 */
int realnet_start(struct realnet *n, bool kernel_samples);

/*
 * realnet_run: wait for sockets and timers and dispatch them, in scenario
 * time, until the client has finished or scenario time reaches `limit`.
 * Returns 1 when `limit` was reached, 0 when the client has finished, or
 * -errno when waiting failed. A caller may pass a small step (the dashboard)
 * or the scenario's duration.
 */
int realnet_run(struct realnet *n, ps_time limit);

/*
 * realnet_pause: with `paused`, scenario time stands still: realnet_run still
 * serves the sockets (responses in flight arrive, their requests finish and
 * their conns go idle or close) but runs no timer later than the pause, so
 * no new request starts, no dial_latency ends and no timeout fires; it
 * returns after waiting at most `limit - now` of scenario time in wall time.
 * Resuming moves the clock's origin by the pause, so scenario time goes on
 * from where it stood. The servers' clock is held beside it (real_pause:
 * server_set_hold), so no response is answered and no server_idle_timeout
 * runs out during the pause.
 */
void realnet_pause(struct realnet *n, bool paused);
bool realnet_paused(const struct realnet *n);

/* The current scenario time (real elapsed / time_scale, less any pauses). */
ps_time realnet_now(const struct realnet *n);

/*
 * realnet_lag_ns: schedule lag, the q-quantile (0 < q <= 1) of how late, in
 * wall nanoseconds, each scheduled request (an arrival, a worker's next)
 * started after its due time. Bucketed to 1/8 of a power of two; q = 1 is
 * the exact max.
 */
int64_t realnet_lag_ns(const struct realnet *n, double q);

/* Closes every socket still open. NULL is fine. */
void realnet_destroy(struct realnet *n);

#endif
