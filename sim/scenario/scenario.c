/*
 * scenario.c: what the CLI does to a scenario once it is read: real mode's
 * --time-scale (scenario_scale), and scenario_free.
 */
#include "reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ps_time scale_time(ps_time t, double factor)
{
	double v = (double)t * factor;
	if (v >= (double)PS_TIME_NEVER) /* 2^63: no ps_time holds it */
		return PS_TIME_NEVER;
	if (v <= -(double)PS_TIME_NEVER)
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
		h->rtt = scale_time(h->rtt, factor);
	}
	for (uint32_t i = 0; i < sc->n_loads; i++) {
		struct load_spec *l = &sc->loads[i];
		l->think = scale_time(l->think, factor);
		l->start = scale_time(l->start, factor);
		l->stop = scale_time(l->stop, factor);
		l->rate /= factor;
		l->replay_speed /= factor;
	}
	for (uint32_t i = 0; i < sc->n_actions; i++) {
		sc->actions[i].at = scale_time(sc->actions[i].at, factor);
		sc->actions[i].down_for = scale_time(sc->actions[i].down_for, factor);
	}
}

bool scenario_parse_go(const char *value, int *release, enum go_key *key)
{
	if (!strcmp(value, "current")) {
		*release = GO_RELEASE_CURRENT;
		*key = GO_KEY_CURRENT;
		return true;
	}
	/* "1.N" exactly: no sign, no leading zero, no suffix (a patch release is the same rules).
	 */
	if (strncmp(value, "1.", 2) || value[2] < '1' || value[2] > '9')
		return false;
	int minor = 0;
	for (const char *d = value + 2; *d; d++) {
		if (*d < '0' || *d > '9' || minor > GO_RELEASE_CURRENT)
			return false;
		minor = minor * 10 + (*d - '0');
	}
	if (100 + minor < GO_RELEASE_OLDEST || 100 + minor > GO_RELEASE_CURRENT)
		return false;
	*release = 100 + minor;
	*key = GO_KEY_RELEASE;
	return true;
}

const char *scenario_go_key(const struct scenario *sc, char *buf, size_t size)
{
	if (sc->go_key == GO_KEY_RELEASE)
		snprintf(buf, size, "1.%d", sc->go % 100);
	else
		snprintf(buf, size, "current");
	return buf;
}

const char *scenario_go_name(const struct scenario *sc, char *buf, size_t size)
{
	if (sc->go_key == GO_KEY_RELEASE)
		snprintf(buf, size, "Go 1.%d", sc->go % 100);
	else
		snprintf(buf, size, "current = Go 1.%d%s", sc->go % 100,
		         sc->go_key == GO_KEY_DEFAULT ? ", by default" : "");
	return buf;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->hosts);
	for (uint32_t i = 0; sc->loads && i < sc->n_loads; i++)
		free(sc->loads[i].replay);
	free(sc->loads);
	free(sc->actions);
	sc->hosts = NULL;
	sc->loads = NULL;
	sc->actions = NULL;
	sc->n_hosts = sc->n_loads = sc->n_actions = 0;
}

const char *scenario_release_conflict(const struct scenario *sc)
{
	if (sc->transport.StrictMaxConcurrentRequests && sc->go < GO_RELEASE_HTTP2_CONFIG)
		return "StrictMaxConcurrentRequests needs go = 1.24 or later: net/http sets it "
		       "through Transport.HTTP2 (Go 1.24); before that only "
		       "golang.org/x/net/http2's "
		       "Transport has StrictMaxConcurrentStreams";
	return NULL;
}

bool scenario_host_speaks_h2(const struct scenario *sc, uint32_t host)
{
	const struct host_spec *h = &sc->hosts[host];
	return h->h2 && h->tls && sc->transport.ForceAttemptHTTP2;
}
