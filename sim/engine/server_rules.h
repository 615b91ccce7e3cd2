/*
 * server_rules.h: what a scenario's server does, decided once for both
 * engines: the simulated servers (simulate/simnet.c) and the loopback
 * servers (real/server.c) ask these functions and only carry out the answer.
 *
 * Rules (docs/model.md, "The servers"):
 *  - server_max_requests = N: the Nth response of a connection says
 *    `Connection: close` and the server closes after it (P10).
 *  - server_idle_timeout: the server's idle clock starts when it has written
 *    a response in full and the connection is kept; a connection that has not
 *    served yet has no idle clock (S1). A byte of a new request stops it.
 *  - close_idle spares a connection that is busy (a request read, its
 *    response not yet written) or has never served; restart closes every
 *    established connection and fails a TLS handshake under way.
 *  - down is the player's (server_actions.h): a connect completing while the
 *    host is down is refused.
 * Pure: no clock, no socket, no allocation.
 */
#ifndef POOLSIM_SERVER_RULES_H
#define POOLSIM_SERVER_RULES_H

#include "scenario.h"

/*
 * Go's http2 server closes a conn this long after the graceful GOAWAY of its
 * idle timeout, no stream being open (http2goAwayTimeout, h2_bundle.go:5474;
 * serve's shutDownIn, 5043): simnet.c and real mode's server_h2.c both wait it.
 */
#define SERVER_H2_GOAWAY_TIMEOUT PS_SEC

/* Where a server-side connection is, as far as the rules care. */
enum server_conn_phase {
	SERVER_CONN_HANDSHAKE, /* accepted, TLS handshake under way */
	SERVER_CONN_WAITING,   /* established, no request in progress */
	SERVER_CONN_BUSY,      /* a request is being read, served or answered */
};

/* What a close_idle or restart does to one connection. */
enum server_verdict {
	SERVER_SPARE,          /* leave it */
	SERVER_CLOSE,          /* close it (the client sees EOF or a reset) */
	SERVER_FAIL_HANDSHAKE, /* close it while its TLS handshake is under way */
};

/*
 * server_response_closes: the response to the request after `served` finished
 * ones says Connection: close, by server_max_requests or because the request
 * asked for it.
 */
bool server_response_closes(const struct host_spec *h, uint64_t served, bool asked_close);

/*
 * server_idle_clock_starts: a response has just been written in full (`served`
 * counts it) and the connection is kept: does the server now time its idleness?
 */
bool server_idle_clock_starts(const struct host_spec *h, uint64_t served);

/* server_is_idle: idle between requests, the only state close_idle and the idle timeout close. */
bool server_is_idle(enum server_conn_phase phase, uint64_t served);

/* server_action_verdict: what `action` (SRV_CLOSE_IDLE, SRV_SEND_408 or SRV_RESTART) does to a
 * connection: send_408 closes what close_idle closes. */
enum server_verdict server_action_verdict(enum ev_server_action action,
                                          enum server_conn_phase phase, uint64_t served);

#endif
