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

enum go_version { GO_1_19, GO_CURRENT };

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
};

enum dist_kind { DIST_CONST, DIST_EXP, DIST_UNIFORM };

/* A duration distribution: const `lo`; exp with mean `lo`; uniform lo..hi. */
struct dist {
	enum dist_kind kind;
	ps_time lo, hi;
};

/* The Transport values of `base`: http.DefaultTransport's, and &http.Transport{}'s. */
struct transport_config transport_config_default(void);
struct transport_config transport_config_zero(void);

#endif
