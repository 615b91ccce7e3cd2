/*
 * scenario.c: what the CLI does to a scenario once it is read: --set
 * (scenario_set), real mode's --time-scale (scenario_scale), scenario_free.
 */
#include "reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int scenario_set(struct scenario *sc, const char *assignment, struct scenario_error *err)
{
	struct reader r;
	memset(&r, 0, sizeof r);
	memset(err, 0, sizeof *err);
	r.sc = sc;
	r.err = err;
	r.transport = &sc->transport;
	const char *eq = strchr(assignment, '=');
	if (!eq)
		return fail(&r, 0, "--set needs KEY=VALUE, got '%s'", assignment), -1;
	const char *k = assignment, *v = eq + 1;
	size_t kn = (size_t)(eq - assignment), vn = strlen(v);
	trim(&k, &kn);
	trim(&v, &vn);
	char key[64], value[SCENARIO_MSG_MAX / 2];
	if (kn >= sizeof key || vn >= sizeof value)
		return fail(&r, 0, "--set: key or value too long"), -1;
	snprintf(key, sizeof key, "%.*s", (int)kn, k);
	snprintf(value, sizeof value, "%.*s", (int)vn, v);
	const char *bare = key;
	enum section_kind only = SEC_NONE;
	if (strncmp(key, "transport.", 10) == 0)
		bare = key + 10, only = SEC_TRANSPORT;
	else if (strncmp(key, "client.", 7) == 0)
		bare = key + 7, only = SEC_CLIENT;
	int idx = -1;
	if (only != SEC_CLIENT && (idx = key_lookup(SEC_TRANSPORT, bare)) >= 0)
		r.cur = SEC_TRANSPORT;
	else if (only != SEC_TRANSPORT && (idx = key_lookup(SEC_CLIENT, bare)) >= 0)
		r.cur = SEC_CLIENT;
	if (r.cur == SEC_NONE) {
		static const char *const settable[] = {
		    "MaxIdleConns",          "MaxIdleConnsPerHost", "MaxConnsPerHost",
		    "IdleConnTimeout",       "DisableKeepAlives",   "TLSHandshakeTimeout",
		    "ResponseHeaderTimeout", "DialTimeout",         "Timeout",
		};
		int near = nearest(bare, settable, 9);
		if (near >= 0)
			return fail(&r, 0, "unknown key '%s' for --set; did you mean '%s'?", key,
			            settable[near]),
			       -1;
		enum section_kind owner = owning_section(SEC_NONE, bare);
		if (owner != SEC_NONE)
			return fail(&r, 0,
			            "'%s' is a [%s] key; --set changes only [transport] and "
			            "[client] keys",
			            bare, section_words[owner]),
			       -1;
		return fail(&r, 0,
		            "unknown key '%s' for --set ([transport] and [client] keys only)", key),
		       -1;
	}
	if (!vn)
		return fail(&r, 0, "'%s' has no value", bare), -1;
	bool ok = r.cur == SEC_TRANSPORT ? set_transport_key(&r, idx, value)
	                                 : set_client_key(&r, idx, value);
	return ok ? 0 : -1;
}

static ps_time scale_time(ps_time t, double factor)
{
	double v = (double)t * factor;
	if (v >= 9.2e18)
		return PS_TIME_NEVER;
	if (v <= -9.2e18)
		return -PS_TIME_NEVER;
	return (ps_time)llround(v);
}

void scenario_scale(struct scenario *sc, double factor)
{
	if (!(factor > 0) || isinf(factor))
		return;
	struct transport_config *t = &sc->transport;
	ps_time *times[] = {&t->IdleConnTimeout, &t->TLSHandshakeTimeout, &t->ResponseHeaderTimeout,
	                    &t->DialTimeout,     &sc->client_timeout,     &sc->duration};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
		*times[i] = scale_time(*times[i], factor);
	for (uint32_t i = 0; i < sc->n_hosts; i++) {
		struct host_spec *h = &sc->hosts[i];
		h->dial_latency = scale_time(h->dial_latency, factor);
		h->tls_latency = scale_time(h->tls_latency, factor);
		h->service_time.lo = scale_time(h->service_time.lo, factor);
		h->service_time.hi = scale_time(h->service_time.hi, factor);
		h->server_idle_timeout = scale_time(h->server_idle_timeout, factor);
	}
	for (uint32_t i = 0; i < sc->n_loads; i++) {
		struct load_spec *l = &sc->loads[i];
		l->think = scale_time(l->think, factor);
		l->start = scale_time(l->start, factor);
		l->stop = scale_time(l->stop, factor);
		l->rate /= factor;
	}
	for (uint32_t i = 0; i < sc->n_events; i++) {
		sc->events[i].at = scale_time(sc->events[i].at, factor);
		sc->events[i].down_for = scale_time(sc->events[i].down_for, factor);
	}
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->hosts);
	free(sc->loads);
	free(sc->events);
	sc->hosts = NULL;
	sc->loads = NULL;
	sc->events = NULL;
	sc->n_hosts = sc->n_loads = sc->n_events = 0;
}
