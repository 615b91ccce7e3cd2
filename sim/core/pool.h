/*
 * pool.h: Go's HTTP/1.1 connection pool (net/http Transport), as pure logic.
 *
 * This module owns the pool rules of docs/model.md (ids G*, P*, C*, S3 from
 * the shared go-transport-pool.md): per-key idle lists (LIFO reuse), the idle
 * waiter queue (FIFO), dial permits under MaxConnsPerHost with hand-off, the
 * put-back rules (hand-off first, MaxIdleConnsPerHost, MaxIdleConns with LRU
 * eviction across hosts), idle timers and the retry decision; and for hosts
 * that speak HTTP/2 (pool_config.h2_max_streams) the rules H2-H11 of section 8:
 * the HTTP/2 pool asked first, conns carrying streams up to the server's
 * MAX_CONCURRENT_STREAMS, and the `alt` pconn ("ticket") in the idle list that
 * holds the MaxConnsPerHost permit.
 *
 * It never reads a clock, never touches a socket, never prints: every call
 * takes `now`, and every decision is pushed onto the event stream given at
 * creation (struct ps_event). The driver (simulator or real engine) pops those
 * records and carries them out:
 *   EV_DIAL_START    start connecting `conn` to `host`
 *   EV_REQ_GOT_CONN  start the exchange of request `req_slot` on `conn`
 *   EV_CONN_IDLE     arm the idle timer of `conn` for `value` (if not NEVER)
 *   EV_CONN_CLOSED   close `conn`'s socket and forget its timers
 *   EV_REQ_FAILED    the request `req_slot` failed in getConn (a dial error)
 * (EV_REQ_GOT_CONN with EVF_H2 is a stream on an HTTP/2 conn: more than one
 * request can hold the conn; each ends with pool_streamDone.)
 *
 * Pool keys: one Transport is one set of keys, one per host. Transport 0 is
 * the shared Transport of the scenario; pool_transport_new() makes a fresh one
 * (the "new http.Client per request" mistake); it is freed once it holds no
 * connection and no waiter, as Go's garbage collector would.
 *
 * Names follow transport.go (pool_queueForIdleConn, pool_tryPutIdleConn ...)
 * so the two can be read side by side. Go's mutex-held "Locked" variants are
 * the same functions here: the pool is single-threaded.
 */
#ifndef POOLSIM_POOL_H
#define POOLSIM_POOL_H

#include "event.h"
#include "config.h"

struct pool;

struct pool_config {
	struct transport_config transport;
	int go; /* the Go release modelled: GO_RELEASE_OLDEST..GO_RELEASE_CURRENT (config.h) */
	/* Per host (n_hosts entries, or NULL for none): 0 when its conns speak HTTP/1.1, else
	 * they speak HTTP/2 (ALPN chose h2 and the Transport attempts it, H1) and this is the
	 * server's SETTINGS_MAX_CONCURRENT_STREAMS. Copied at creation. */
	const uint32_t *h2_max_streams;
	/* Called (if set) with what broke when an internal invariant breaks, before abort(): the
	 * pool never prints, its driver does. */
	void (*on_broken)(const char *what, void *ctx);
	void *on_broken_ctx;
};

/* Why tryPutIdleConn refused (Go's error values, printed with Go's names). */
enum pool_put_result {
	POOL_PUT_IDLE,                /* now idle (P8) */
	POOL_PUT_HANDED_OFF,          /* given to a waiter (P5) */
	POOL_ERR_KEEPALIVES_DISABLED, /* P1 errKeepAlivesDisabled */
	POOL_ERR_CONN_BROKEN,         /* P2 errConnBroken */
	POOL_ERR_CLOSE_IDLE,          /* P6 errCloseIdle */
	POOL_ERR_TOO_MANY_IDLE_HOST,  /* P7 errTooManyIdleHost */
};

/* How an exchange on a conn failed, for the retry decision (S2/S3). */
enum pool_failure {
	POOL_FAIL_SERVER_CLOSED_IDLE, /* errServerClosedIdle */
	POOL_FAIL_READ_FROM_SERVER,   /* transportReadFromServerError: peer closed while a response
	                                 was due */
	POOL_FAIL_OTHER,              /* timeouts, cancellation, anything else */
};

struct pool *pool_create(const struct pool_config *cfg, uint32_t n_hosts, struct ev_stream *out);
void pool_destroy(struct pool *p);

/* pool_transport_new: a fresh Transport with the same config; returns its id. */
uint32_t pool_transport_new(struct pool *p);

/*
 * pool_getConn (G1-G4): request `req` (slot `req_slot`) wants a conn to `host`
 * through `transport`. On an HTTP/2 host the HTTP/2 pool is asked first (H2):
 * a conn with a free stream serves it at once (EV_REQ_GOT_CONN, EVF_H2). Either an idle conn is
 * delivered at once (EV_REQ_GOT_CONN pushed, returns PS_NONE) or the request waits: EV_REQ_WAIT,
 * then a dial (EV_DIAL_START) or a place in the permit queue (EV_PERMIT_WAIT). Returns the want
 * handle to pass to pool_cancelWant.
 */
uint32_t pool_getConn(struct pool *p, ps_time now, uint32_t transport, uint32_t host, uint32_t req,
                      uint32_t req_slot);

/* pool_cancelWant (G8): the waiting request gave up (Client.Timeout). No-op once served. */
void pool_cancelWant(struct pool *p, ps_time now, uint32_t want, enum ev_reason why);

/*
 * pool_requestContextDone (G8, [1.19]): the request `req` that made want
 * `want` has ended and its context is cancelled (Client.Timeout's context
 * ends with the body: cancelTimerBody). In Go 1.19 a dial still running for
 * it dies with that context; in current Go the dial is detached. No-op if
 * the want's dial already finished or the want has been reused.
 */
void pool_requestContextDone(struct pool *p, ps_time now, uint32_t want, uint32_t req);

/* pool_dialConnFor (G6): the dial of `conn` finished; deliver it, or put-or-close it. */
void pool_dialConnFor(struct pool *p, ps_time now, uint32_t conn);

/* pool_dialFailed (G6, T1, T2): the dial failed; its waiter (if still waiting) fails too. */
void pool_dialFailed(struct pool *p, ps_time now, uint32_t conn, enum ev_reason why);

/*
 * pool_readLoopDone (P10-P14): the caller is done with the response on
 * `conn`: it read the body to EOF (`body_eof`) or closed it before EOF. The
 * pool makes readLoop's keep-alive decision: a response with Connection:
 * close (`resp_close`), a request sent under DisableKeepAlives, or (Go 1.19)
 * an early Close closes the conn; otherwise putOrCloseIdleConn. Returns what
 * the put did; POOL_ERR_KEEPALIVES_DISABLED or POOL_ERR_CONN_BROKEN when the
 * conn was not kept alive.
 */
enum pool_put_result pool_readLoopDone(struct pool *p, ps_time now, uint32_t conn, bool resp_close,
                                       bool body_eof);

/*
 * pool_streamDone (H6, H10): the stream of one request on the HTTP/2 conn
 * `conn` ended: its response was read, its body closed early (a stream
 * reset, not a conn close), or it timed out. With no stream left the conn
 * is idle: EV_CONN_IDLE arms its IdleConnTimeout (H7), or, single-use (H9),
 * it closes. pool_readLoopDone calls it for HTTP/2 conns.
 */
void pool_streamDone(struct pool *p, ps_time now, uint32_t conn);

/*
 * pool_goAway (H8, graceful): the server sent GOAWAY on the HTTP/2 conn
 * `conn` (processGoAway): MarkDead takes it out of the HTTP/2 pool, so no new
 * request gets a stream on it (its ticket stays listed, as after H7: the next
 * request that finds it drops it and dials); the streams in flight run to
 * their end (the model's server names them all in LastStreamID); requests
 * waiting for a stream of it (H5b) retry. The socket stays open until the
 * server closes it (pool_closeConn) or its idle timer fires. EV_H2_GOAWAY.
 */
void pool_goAway(struct pool *p, ps_time now, uint32_t conn, enum ev_reason why);

/* pool_closeConn: `conn` is closed for `why` (server close, early close, timeout, error). */
void pool_closeConn(struct pool *p, ps_time now, uint32_t conn, enum ev_reason why);

/* pool_closeConnIfStillIdle (P9): the idle timer of `conn` fired. */
void pool_closeConnIfStillIdle(struct pool *p, ps_time now, uint32_t conn);

/* pool_closeIdleConnections (C1, C2): Transport.CloseIdleConnections. */
void pool_closeIdleConnections(struct pool *p, ps_time now, uint32_t transport);

/*
 * pool_shouldRetryRequest (S3): after `failure` on `conn`, is the request
 * retried on another conn? `nothing_written`: no byte of the request went out;
 * `replayable`: Request.isReplayable (request_is_replayable, config.h).
 */
bool pool_shouldRetryRequest(const struct pool *p, uint32_t conn, enum pool_failure failure,
                             bool nothing_written, bool replayable);

/* Observers (Go's export_test.go helpers, and what a driver needs). */
uint32_t pool_conn_host(const struct pool *p, uint32_t conn);
uint32_t pool_conn_id(const struct pool *p, uint32_t conn);
bool pool_conn_is_open(const struct pool *p, uint32_t conn);
bool pool_conn_is_idle(const struct pool *p, uint32_t conn);
bool pool_conn_is_reused(const struct pool *p, uint32_t conn);   /* G9: went through a put */
bool pool_conn_is_h2(const struct pool *p, uint32_t conn);       /* an HTTP/2 conn (a socket) */
uint32_t pool_conn_streams(const struct pool *p, uint32_t conn); /* its active streams */
uint32_t pool_conn_transport(const struct pool *p, uint32_t conn);
uint32_t pool_idle_count(const struct pool *p, uint32_t transport,
                         uint32_t host); /* IdleConnCountForTesting */
uint32_t pool_idle_total(const struct pool *p, uint32_t transport);
uint32_t pool_idle_wait_count(const struct pool *p, uint32_t transport, uint32_t host);
uint32_t pool_conns_per_host(const struct pool *p, uint32_t transport, uint32_t host);
uint32_t pool_open_count(const struct pool *p);
uint32_t pool_transport_count(const struct pool *p);
uint32_t pool_conn_capacity(const struct pool *p);
/* The number of want slots ever used (the most requests waiting or dialing at once). */
uint32_t pool_want_capacity(const struct pool *p); /* conn slots are < this */
/* pool_want_is_dialing: the waiting want `want` has a dial of its own under way. */
bool pool_want_is_dialing(const struct pool *p, uint32_t want);

/*
 * pool_check_invariants: NULL when every invariant holds, else what broke. It
 * allocates nothing (it tallies into the keys' scratch fields, hence not const)
 * and walks every conn once.
 */
const char *pool_check_invariants(struct pool *p);

#endif
