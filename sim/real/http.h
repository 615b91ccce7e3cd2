/*
 * http.h: the little of HTTP/1.1 header parsing that both ends of real mode
 * need (the servers of server.c and the client network of realnet.c), and
 * the client's incremental response parser. Pure functions over a buffer;
 * nothing here allocates or does I/O.
 */
#ifndef POOLSIM_HTTP_H
#define POOLSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A replay row's own service time, in scenario nanoseconds, from the client
 * to its loopback server (which otherwise draws the host's service_time),
 * as the oracle's servers read it too (tests/oracle/replay.go).
 */
#define HTTP_SERVICE_HEADER "X-Poolsim-Service"
#define H2_SERVICE_HEADER   "x-poolsim-service" /* HTTP/2 header names are lower case */

/*
 * A request written at the stale-connection tie (realnet_tie.c): in scenario
 * time it reaches its server after the server's idle close, so the server
 * drops it and closes at its idle timeout, whatever its own clock says (the
 * two clocks part by the loop's lag, which can exceed the rtt).
 */
#define HTTP_LOST_HEADER "X-Poolsim-Lost"

/* The longest response head (and chunk-size or trailer line) the client reads. */
#define HTTP_LINE_MAX 2048

/* The value of header `name` (case-insensitive) in head[0..len), just after the ':'; NULL if
 * absent. */
const char *http_find_header(const char *head, size_t len, const char *name);

/* Does header `name` carry `token` (case-insensitive), as in "Connection: close"? */
bool http_header_has_token(const char *head, size_t len, const char *name, const char *token);

/*
 * http_response: the client's view of one response as its bytes arrive: the
 * head, then a body framed by Content-Length, chunks, or the end of the
 * connection.
 */
struct http_response {
	uint8_t phase;     /* private to http.c */
	bool close;        /* the response says Connection: close (or reads to EOF) */
	int64_t remaining; /* body bytes (or chunk bytes) still to come */
	size_t line_len;
	char line[HTTP_LINE_MAX]; /* response head, later the current chunk-size or trailer line */
};

/* Ready for the next response on a connection. */
void http_response_begin(struct http_response *r);

/*
 * http_response_feed: run the parser over bytes just read. Returns 1 when the
 * response is complete, 0 when more is needed, -1 if it cannot be parsed.
 * Bytes after the end of the response are dropped (the servers never send them).
 */
int http_response_feed(struct http_response *r, const char *p, size_t len);

/* The body has no length: the connection's EOF completes it. */
bool http_response_ends_at_eof(const struct http_response *r);

#endif
