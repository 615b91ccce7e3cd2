/*
 * transport_limits.h: what the Transport's limits mean, the one place poolsim turns
 * Go's 0 and negative values into an effective limit (docs/model.md; the rule
 * ids are the shared go-transport-pool.md's). The pool decides with these, and
 * every view (dashboard, SVG) shows these, so a screen cannot promise what
 * the pool does not do.
 *
 *   MaxIdleConnsPerHost  0 -> DefaultMaxIdleConnsPerHost (2), maxIdleConnsPerHost;
 *                        < 0 -> keep-alives off: nothing is ever put idle (P1)
 *   DisableKeepAlives    nothing is ever put idle (P1)
 *   MaxIdleConns         0 -> no limit; < 0 -> nothing rests idle (P8)
 *   MaxConnsPerHost      <= 0 -> no limit (G4)
 *   IdleConnTimeout      <= 0 -> idle conns never time out (P9, G2)
 *
 * The two bases (config.h: `base = default | zero`) differ only in the values
 * they start from; the meaning above is the same for both.
 */
#ifndef POOLSIM_TRANSPORT_LIMITS_H
#define POOLSIM_TRANSPORT_LIMITS_H

#include "config.h"

/* Go's DefaultMaxIdleConnsPerHost (transport.go): what MaxIdleConnsPerHost = 0 means. */
#define GO_DEFAULT_MAX_IDLE_CONNS_PER_HOST 2

/* A count limit that does not limit. */
#define LIMIT_NONE (-1)

struct transport_limits {
	bool keep_alives_off;       /* P1: DisableKeepAlives or MaxIdleConnsPerHost < 0 */
	int64_t max_idle_per_host;  /* P7: idle conns one host keeps; 0 when keep_alives_off */
	int64_t max_idle_total;     /* P8: idle conns of a Transport, or LIMIT_NONE; 0 when none */
	int64_t max_conns_per_host; /* G4: dialing + active + idle per host, or LIMIT_NONE */
	ps_time idle_timeout;       /* P9: how long a conn may rest idle, or PS_TIME_NEVER */
};

struct transport_limits transport_limits_of(const struct transport_config *tc);

/* limit_allows: `count` is below `limit` (always, for LIMIT_NONE). */
bool limit_allows(int64_t limit, int64_t count);

#endif
