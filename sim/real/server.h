/*
 * server.h: real mode's loopback HTTP/1.1 servers, one per [host]; an h2 host's
 * speaks HTTP/2 to a client whose ALPN offers it (server_h2.c).
 *
 * server_set_start binds one listener per host on 127.0.0.1 with an ephemeral
 * port and serves them all from ONE background thread with its own epoll loop:
 * keep-alive GETs answered with a 1 KiB body after a sampled `service_time`,
 * `Connection: close` on the `server_max_requests`th response,
 * `server_idle_timeout`, TLS with `tls_latency` emulated by holding back the
 * server's first handshake flight. Every duration is multiplied by
 * `time_scale` (real ns = scenario ns * time_scale).
 *
 * The calls below are for the main thread. They never block on the server
 * thread: commands are flags plus a wake-up on an eventfd, so close_idle and
 * restart take effect a moment later, on the server thread. Counters are
 * atomics. Nothing here prints or exits.
 */
#ifndef POOLSIM_SERVER_H
#define POOLSIM_SERVER_H

#include <openssl/ssl.h>

#include "event.h"
#include "scenario.h"

/* The body every response carries. */
#define SERVER_BODY_SIZE 1024

struct server_set;

/* Per host, since start. "Closes" count the server's own closes only. */
struct server_counters {
	uint64_t accepted;            /* connections accepted */
	uint64_t requests;            /* responses written in full */
	uint64_t closes;              /* the sum of the four below */
	uint64_t closes_idle_timeout; /* server_idle_timeout */
	uint64_t closes_conn_close;   /* after a Connection: close response (server_max_requests) */
	uint64_t closes_close_idle;   /* server_close_idle */
	uint64_t closes_restart;      /* server_restart */
	uint64_t peer_closes;         /* the client closed, reset, or sent what we do not serve */
	uint64_t open;                /* connections open now */
};

/*
 * server_set_start: listen for every host of `sc` (which must outlive the set)
 * and start the thread. NULL on failure with *err set to a negative errno.
 */
struct server_set *server_set_start(const struct scenario *sc, double time_scale, int *err);
/* server_set_stop: stop and join the thread, close every descriptor, free. NULL is fine. */
void server_set_stop(struct server_set *s);

/* The listening port of `host` (host byte order). */
uint16_t server_port(const struct server_set *s, uint32_t host);
/* The client-side TLS context trusting exactly the servers' certificate; NULL if no host has tls.
 */
SSL_CTX *server_client_tls(const struct server_set *s);

/* [event] close_idle: close every conn of `host` idle between requests (not a never-used one). */
void server_close_idle(struct server_set *s, uint32_t host);
/* [event] send_408: write a 408 on every conn close_idle would close, then close it. */
void server_send_408(struct server_set *s, uint32_t host);
/* [event] restart: close every conn of `host`, idle or busy; keep listening. */
void server_restart(struct server_set *s, uint32_t host);

/*
 * server_set_hold: with `hold`, the servers' clock stands still (a dashboard
 * pause, with realnet_pause): no response is answered, no TLS handshake ends
 * and no server_idle_timeout fires until it is released, when every timer
 * goes on from where it stood. Sockets are still read and written.
 */
void server_set_hold(struct server_set *s, bool hold);

void server_counters(const struct server_set *s, uint32_t host, struct server_counters *out);

/*
 * server_close_reason: why the server closed the conn whose client side is
 * bound to local port `client_port`: R_SERVER_IDLE_TIMEOUT, R_SERVER_CONN_CLOSE,
 * R_SERVER_CLOSE_IDLE, R_SERVER_RESTART, or R_SERVER when unknown. The server
 * stores the reason before it closes, so a client that has read EOF sees it.
 */
enum ev_reason server_close_reason(const struct server_set *s, uint32_t host, uint16_t client_port);

#endif
