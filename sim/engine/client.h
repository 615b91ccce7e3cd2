/*
 * client.h: the client program a scenario describes: its loads (workers,
 * open-loop rates, bursts), its requests and what each does with the body,
 * Client.Timeout and the Transport's own timers (DialTimeout,
 * TLSHandshakeTimeout, ResponseHeaderTimeout, IdleConnTimeout).
 *
 * It owns requests, not connections: every pool decision is the pool's
 * (pool.h). It owns the draining of the event stream: after each entry point
 * it pops every record, carries it out (through the pool, the timers of des.h
 * and the network of net.h) and hands it to the sinks; then each think-0
 * worker whose request ended in that entry point asks the pool again, so a
 * report (a response, a failure) is carried out whole, the worker's next
 * request included, before the network reports anything else. The simulator and the
 * real engine both run this one client; only the network differs.
 */
#ifndef POOLSIM_CLIENT_H
#define POOLSIM_CLIENT_H

#include "des.h"
#include "event.h"
#include "net.h"
#include "pool.h"
#include "scenario.h"

struct client;

/*
 * client_create registers its des event types from `first_type` upwards and
 * returns the next free type through *next_type (networks take theirs after).
 */
struct client *client_create(const struct scenario *sc, struct des *des, struct ev_stream *stream,
                             const struct net_ops *net, void *net_ctx, unsigned first_type,
                             unsigned *next_type);
void client_destroy(struct client *c);

/* Schedule every load's first arrival and the end of the run. */
void client_start(struct client *c);

/* Reports from the network (net.h). */
void client_on_tls_start(struct client *c, uint32_t conn);
/* why = R_NONE on success, else R_DIAL_REFUSED, R_IO_ERROR, R_RESOURCE ... */
void client_on_dial_done(struct client *c, uint32_t conn, enum ev_reason why);
/* The whole response arrived; server_close: it carried Connection: close. */
void client_on_response(struct client *c, uint32_t conn, bool server_close);
/* client_on_stream_response: the response of request slot `req_slot` (id `req_id`) on the
 * HTTP/2 conn `conn` arrived; a stale one (the request ended otherwise) is ignored. */
void client_on_stream_response(struct client *c, uint32_t conn, uint32_t req_slot, uint32_t req_id);
/* client_on_goaway (H8): the server sent GOAWAY on HTTP/2 conn `conn` (why: R_SERVER_*). */
void client_on_goaway(struct client *c, uint32_t conn, enum ev_reason why);
/*
 * The peer closed `conn` (why: R_SERVER_*), or it failed (R_IO_ERROR).
 * nothing_written: no byte of the current request had gone out.
 */
void client_on_conn_broken(struct client *c, uint32_t conn, enum ev_reason why,
                           bool nothing_written);
/*
 * client_on_action: a client [event] is due: close_idle_connections
 * (Transport.CloseIdleConnections on every Transport: C1, C2) or cancel (the
 * load's requests in flight, in the phase named, fail with context.Canceled).
 */
void client_on_action(struct client *c, const struct server_action_spec *a);
/* The network pushed records of its own (EV_SERVER_ACTION, EV_KERNEL_SAMPLE): drain them. */
void client_flush(struct client *c);

/*
 * Check the pool's invariants after every record (tests, --check-invariants,
 * debug builds) while the pool has at most 20,000 conn slots (the check walks
 * them all); aborts with a message on a break.
 */
void client_set_check_invariants(struct client *c, bool on);
/* The service time the request on `conn` brings from its replay row, or REPLAY_NONE (-1):
 * the host's service_time. */
ps_time client_service_of(const struct client *c, uint32_t conn);
/* The same for the request in slot `req_slot` (an HTTP/2 stream's: send_stream's req_slot). */
ps_time client_service_of_request(const struct client *c, uint32_t req_slot);

/*
 * A live replay load: a LOAD_REPLAY whose `replay` is NULL reads no file; its
 * caller feeds it rows as it learns them (`poolsim watch --attach
 * --compare-sim`: each request a Go program's probe reported). client_feed_row
 * schedules a request of `load` at row->start (scenario time, not before the
 * clock nor the row fed before it, before the duration) with the row's own
 * service time and body; it starts as a file's row would (EV_REQ_START at that
 * instant). 0, or -1: not a live load, a row out of order, the run ended, or
 * out of memory.
 */
struct replay_row;
int client_feed_row(struct client *c, uint32_t load, const struct replay_row *row);

/* Does a des event of `type` start a request (a worker's next, an arrival)? For lag figures. */
bool client_starts_requests(const struct client *c, unsigned type);

/*
 * A run may hold at most CLIENT_MAX_LIVE requests in flight plus open conns
 * at once (240-320 bytes each, so at most about 1.25 GB: docs/performance.md,
 * "Memory at the live limit", tests/bench-memory.sh): past that it ends early
 * instead of thrashing, and client_overflowed() says so. A scenario gets
 * there only with an open-loop rate far above what its server can serve, or
 * with per-request Transports whose conns never expire.
 */
#define CLIENT_MAX_LIVE 4000000
bool client_overflowed(const struct client *c);

/* client_stop: end the run now, before its duration: EV_RUN_END at the current clock with
 * `why`; requests in flight count as unfinished. Nothing runs after it. */
void client_stop(struct client *c, enum run_stop why);
enum run_stop client_stopped(const struct client *c);

/* True once the run's end has been reached (EV_RUN_END delivered). */
bool client_finished(const struct client *c);

#endif
