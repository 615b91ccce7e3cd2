/*
 * config.h: the settings the pure core needs, as plain data: which Go is
 * modelled, the fields of Go's http.Transport, and duration distributions.
 *
 * The scenario reader (sim/scenario/) fills these from a file; the core
 * (pool, rng) reads them. Keeping them here is what lets core/ depend on
 * nothing but libc: it never sees the parser.
 */
#ifndef POOLSIM_CONFIG_H
#define POOLSIM_CONFIG_H

#include "common.h"

/*
 * The Go release modelled, as an integer 100 * major + minor (119 is Go 1.19),
 * so that each rule that changed is gated with `go >= the release it changed
 * in` (pool.c; docs/go-transport-pool.md section 9 lists them). `go = current`
 * is GO_RELEASE_CURRENT: the newest release whose source the model was read
 * against and the oracle checks it with.
 */
#define GO_RELEASE_OLDEST       119
#define GO_RELEASE_OLDEST_NAME  "1.19"
#define GO_RELEASE_CURRENT      126
#define GO_RELEASE_CURRENT_NAME "1.26" /* GO_RELEASE_CURRENT as Go spells it */
/* Go 1.24 added Transport.HTTP2 (HTTP2Config), the only way net/http sets
 * StrictMaxConcurrentRequests. */
#define GO_RELEASE_HTTP2_CONFIG 124

/* The fields of Go's http.Transport that poolsim models; Go's names, Go's meaning of 0 and < 0. */
struct transport_config {
	int64_t MaxIdleConns;
	int64_t MaxIdleConnsPerHost;
	int64_t MaxConnsPerHost;
	ps_time IdleConnTimeout;
	bool DisableKeepAlives;
	ps_time TLSHandshakeTimeout;
	ps_time ResponseHeaderTimeout;
	ps_time DialTimeout; /* net.Dialer.Timeout of the Transport's dialer */
	/* H1: the Transport has a custom TLSClientConfig and DialContext (its RootCAs and
	 * dialer, as any client of a private server), so it speaks HTTP/2 only with this. */
	bool ForceAttemptHTTP2;
	/* H5b: Transport.HTTP2.StrictMaxConcurrentRequests (Go 1.24+): a request that finds
	 * every HTTP/2 conn full waits for a stream of one instead of dialing. */
	bool StrictMaxConcurrentRequests;
};

enum dist_kind { DIST_CONST, DIST_EXP, DIST_UNIFORM };

/* A duration distribution: const `lo`; exp with mean `lo`; uniform lo..hi. */
struct dist {
	enum dist_kind kind;
	ps_time lo, hi;
};

/* A request's method ([load] method); HEAD is not one: its body-less response (P12) is not
 * modelled. */
enum http_method {
	METHOD_GET,
	METHOD_POST,
	METHOD_PUT,
	METHOD_PATCH,
	METHOD_DELETE,
	METHOD_OPTIONS,
	METHOD_TRACE,
	METHOD_COUNT
};
extern const char *const http_method_names[METHOD_COUNT];

/*
 * request_is_replayable (S3, Request.isReplayable in request.go): a GET,
 * OPTIONS or TRACE (HEAD too, in Go), or any request with an Idempotency-Key
 * or X-Idempotency-Key header, provided its body can be had again: poolsim's
 * bodies are byte slices, for which http.NewRequest sets GetBody.
 */
bool request_is_replayable(enum http_method method, bool idempotency_key);

/* The Transport values of `base`: http.DefaultTransport's, and &http.Transport{}'s. */
struct transport_config transport_config_default(void);

/*
 * T1, T2: when a dial (net.Dialer.Timeout) or a TLS handshake
 * (TLSHandshakeTimeout) started at `now` times out: PS_TIME_NEVER for 0 (no
 * timeout), else now + the timeout, in the past for a negative one. Go arms
 * both for any non-zero value: Dialer.deadline "including negative, for
 * historical reasons" (net/dial.go), and partialDeadline then fails the dial
 * before any connect; addTLS's time.AfterFunc(d) with d < 0 fires at once
 * (net/http/transport.go). The driver's timer fires at max(deadline, now).
 */
ps_time transport_dial_deadline(const struct transport_config *t, ps_time now);
ps_time transport_tls_deadline(const struct transport_config *t, ps_time now);
struct transport_config transport_config_zero(void);

#endif
