/*
 * checks.c: the whole-file checks once every section is read: host references
 * resolved, times within the duration, totals within the limits, the
 * Transport values applied over their base, the default title.
 */
#include "visible.h"
#include "reader.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------- whole-file checks */

static bool resolve_host(struct reader *r, const char *what, const char *name, const char *host,
                         int line, uint32_t *out)
{
	struct scenario *sc = r->sc;
	*out = index_find(&r->host_names, sc->hosts, sizeof *sc->hosts, host);
	if (*out != PS_NONE)
		return true;
	int best = -1, best_dist = 1000;
	for (uint32_t i = 0; i < sc->n_hosts && i < 1000; i++) {
		int d = edit_distance(host, sc->hosts[i].name);
		if (d < best_dist && close_enough(d, sc->hosts[i].name))
			best = (int)i, best_dist = d;
	}
	if (best >= 0)
		return fail(
		    r, line,
		    "[%s %s] names host '%s', but there is no [host %s]; did you mean '%s'?", what,
		    name, host, host, sc->hosts[best].name);
	return fail(r, line, "[%s %s] names host '%s', but there is no [host %s]", what, name, host,
	            host);
}

static bool time_within(struct reader *r, const char *what, ps_time t, int line)
{
	if (t <= r->sc->duration)
		return true;
	char a[40], b[40];
	return fail(r, line, "%s %s is after the scenario's duration %s", what,
	            format_duration(t, a, sizeof a), format_duration(r->sc->duration, b, sizeof b));
}

/* The average of a duration distribution (what a long run of draws adds up to). */
static ps_time dist_mean(const struct dist *d)
{
	return d->kind == DIST_UNIFORM ? d->lo / 2 + d->hi / 2 : d->lo;
}

/* host_can_refuse: an [event] takes it down or restarts it, so a dial can fail. */
static bool host_can_refuse(const struct scenario *sc, uint32_t host)
{
	for (uint32_t i = 0; i < sc->n_actions; i++)
		if (sc->actions[i].host == host &&
		    (sc->actions[i].action == SRV_DOWN || sc->actions[i].action == SRV_RESTART))
			return true;
	return false;
}

/* fastest_end: the least time a worker's request can take, on the quickest way it can
 * end: answered (service_time, on average), or failed by a dial (dial_latency, when the
 * host is down or refuses) or by any timeout that is set (a negative Dial or TLS timeout
 * fails at once). */
static ps_time fastest_end(const struct scenario *sc, uint32_t host)
{
	const struct host_spec *h = &sc->hosts[host];
	const struct transport_config *t = &sc->transport;
	ps_time fastest = dist_mean(&h->service_time);
	ps_time ends[] = {host_can_refuse(sc, host) ? h->dial_latency : fastest, sc->client_timeout,
	                  t->ResponseHeaderTimeout, t->DialTimeout,
	                  h->tls ? t->TLSHandshakeTimeout : 0};
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		bool is_dial_limit = i >= 3;
		if (ends[i] < 0 && is_dial_limit)
			return 0;
		if ((ends[i] > 0 || i == 0) && ends[i] < fastest)
			fastest = ends[i];
	}
	return fastest;
}

/*
 * The progress rule (docs/format.md, "Progress"): every request of a worker
 * takes at least SCENARIO_PROGRESS_MIN of simulated time (think plus the
 * quickest way it can end), so a run of D holds at most D / 1us requests per
 * worker and always ends. Without it a worker that never thinks, against a
 * server that answers in no time or a host that refuses at once, would send
 * request after request at one instant.
 */
static bool check_worker_makes_progress(struct reader *r, const struct load_spec *l,
                                        const struct key_lines *k)
{
	const struct host_spec *h = &r->sc->hosts[l->host];
	if (l->kind != LOAD_WORKERS || l->requests > 0)
		return true;
	ps_time fastest = fastest_end(r->sc, l->host);
	if (ps_time_add(l->think, fastest) >= SCENARIO_PROGRESS_MIN)
		return true;
	char a[40], b[40];
	return fail(r, k->line[l->think ? LK_THINK : LK_WORKERS],
	            "[load %s]: a worker's request can end in %s after a think of %s against "
	            "[host %s]: below the 1us a request must take (the progress rule, "
	            "docs/format.md); give think, service_time or dial_latency 1us or more, or "
	            "set requests",
	            l->name, format_duration(fastest, a, sizeof a),
	            format_duration(l->think, b, sizeof b), h->name);
}

static bool check_load(struct reader *r, uint32_t i, int64_t *workers, int64_t *count)
{
	struct load_spec *l = &r->sc->loads[i];
	const struct key_lines *k = &r->load_extra[i].keys;
	if (!resolve_host(r, "load", l->name, r->load_extra[i].host, k->line[LK_HOST], &l->host))
		return false;
	if (!time_within(r, "start", l->start, k->line[LK_START]))
		return false;
	if (!k->line[LK_STOP])
		l->stop = r->sc->duration;
	else if (!time_within(r, "stop", l->stop, k->line[LK_STOP]))
		return false;
	if (l->stop < l->start) {
		char a[40], b[40];
		return fail(r, k->line[LK_STOP], "stop %s is before start %s",
		            format_duration(l->stop, a, sizeof a),
		            format_duration(l->start, b, sizeof b));
	}
	*workers += l->workers;
	if (*workers > WORKERS_MAX)
		return fail(r, k->line[LK_WORKERS],
		            "the loads ask for more than %d workers in total", WORKERS_MAX);
	*count += l->count;
	if (*count > COUNT_MAX)
		return fail(r, k->line[LK_COUNT],
		            "the loads ask for more than %d requests by count in total", COUNT_MAX);
	return true;
}

static bool check_action(struct reader *r, uint32_t i)
{
	struct server_action_spec *e = &r->sc->actions[i];
	const struct key_lines *k = &r->action_extra[i].keys;
	if (ev_action_is_client(e->action)) {
		e->host = PS_NONE;
		if (e->action == CLIENT_CANCEL) {
			e->load = index_find(&r->load_names, r->sc->loads, sizeof *r->sc->loads,
			                     r->action_extra[i].load);
			if (e->load == PS_NONE)
				return fail(r, k->line[AK_LOAD],
				            "[event %s] names load '%s', but there is no [load %s]",
				            e->name, r->action_extra[i].load,
				            r->action_extra[i].load);
		}
	} else if (!resolve_host(r, "event", e->name, r->action_extra[i].host, k->line[AK_HOST],
	                         &e->host)) {
		return false;
	}
	return time_within(r, "at", e->at, k->line[AK_AT]);
}

/* Where each [transport] key lives in struct transport_config, in TK_* order. */
#define TRANSPORT_FIELD(name)                                                                      \
	{                                                                                          \
		offsetof(struct transport_config, name),                                           \
		    sizeof(((struct transport_config *)0)->name)                                   \
	}
static const struct {
	size_t offset, size;
} transport_fields[TK_N] = {
    TRANSPORT_FIELD(MaxIdleConns),          TRANSPORT_FIELD(MaxIdleConnsPerHost),
    TRANSPORT_FIELD(MaxConnsPerHost),       TRANSPORT_FIELD(IdleConnTimeout),
    TRANSPORT_FIELD(DisableKeepAlives),     TRANSPORT_FIELD(TLSHandshakeTimeout),
    TRANSPORT_FIELD(ResponseHeaderTimeout), TRANSPORT_FIELD(DialTimeout),
    TRANSPORT_FIELD(ForceAttemptHTTP2),     TRANSPORT_FIELD(StrictMaxConcurrentRequests),
};

/* apply_transport: the base's values, with every key the file gave put over them. */
static void apply_transport(struct reader *r)
{
	struct scenario *sc = r->sc;
	const int *given = r->singleton_keys[SEC_TRANSPORT].line;
	struct transport_config t =
	    sc->base_zero ? transport_config_zero() : transport_config_default();
	for (int k = 0; k < TK_N; k++)
		if (given[k])
			memcpy((char *)&t + transport_fields[k].offset,
			       (const char *)&r->transport_given + transport_fields[k].offset,
			       transport_fields[k].size);
	sc->transport = t;
}

/*
 * check_h2_hosts: h2 is offered in the TLS handshake, so it needs tls; and
 * where a conn speaks HTTP/2, MaxIdleConnsPerHost does not cap anything the
 * user can see (one conn serves every request, H4).
 */
static bool check_h2_hosts(struct reader *r)
{
	const struct scenario *sc = r->sc;
	bool any = false;
	for (uint32_t i = 0; i < sc->n_hosts; i++) {
		const struct host_spec *h = &sc->hosts[i];
		if (h->h2 && !h->tls)
			return fail(r, h->line,
			            "[host %s]: h2 = true needs tls = true (a server offers h2 in "
			            "the TLS handshake, by ALPN)",
			            h->name);
		if (h->h2 && (h->rtt > 0 || h->server_max_requests > 0 || h->close_after_response))
			return fail(
			    r, h->line,
			    "[host %s]: h2 = true does not model rtt, server_max_requests or "
			    "close_after_response yet (docs/model.md, \"HTTP/2\")",
			    h->name);
		any |= scenario_host_speaks_h2(sc, i);
	}
	int line = r->singleton_keys[SEC_TRANSPORT].line[TK_MaxIdleConnsPerHost];
	if (any && line) {
		int saved = r->line;
		r->line = line;
		warn(r, "MaxIdleConnsPerHost has no effect on an h2 host: one HTTP/2 conn carries "
		        "all its requests and stays listed while in use");
		r->line = saved;
	}
	line = r->singleton_keys[SEC_TRANSPORT].line[TK_StrictMaxConcurrentRequests];
	if (!any && line && sc->transport.StrictMaxConcurrentRequests) {
		int saved = r->line;
		r->line = line;
		warn(r,
		     "StrictMaxConcurrentRequests has no effect: no host speaks HTTP/2 (it needs "
		     "h2 = true, tls = true and ForceAttemptHTTP2)");
		r->line = saved;
	}
	return true;
}

/* default_title: the file name without its directory and a trailing ".ini". */
static void default_title(struct scenario *sc, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base && base[1] ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	char name[SCENARIO_TITLE_MAX];
	snprintf(name, sizeof name, "%.*s", (int)n, base);
	/* A file name may hold any byte; the title reaches terminals, SVG and JSON. */
	visible_text(sc->title, sizeof sc->title, name);
}

bool finish(struct reader *r)
{
	struct scenario *sc = r->sc;
	if (!end_section(r))
		return false;
	if (!r->singleton_line[SEC_SCENARIO])
		return fail(r, 0, "no [scenario] section");
	if (!sc->n_hosts)
		return fail(r, 0, "no [host] section; a scenario needs at least one");
	if (!sc->n_loads)
		return fail(r, 0, "no [load] section; a scenario needs at least one");
	int64_t workers = 0, count = 0;
	for (uint32_t i = 0; i < sc->n_loads; i++)
		if (!check_load(r, i, &workers, &count))
			return false;
	for (uint32_t i = 0; i < sc->n_actions; i++)
		if (!check_action(r, i))
			return false;
	apply_transport(r); /* the progress rule reads the final Transport */
	if (!check_h2_hosts(r))
		return false;
	const char *conflict = scenario_release_conflict(sc);
	if (conflict)
		return fail(r,
		            r->singleton_keys[SEC_TRANSPORT].line[TK_StrictMaxConcurrentRequests],
		            "%s", conflict);
	for (uint32_t i = 0; i < sc->n_loads; i++)
		if (!check_worker_makes_progress(r, &sc->loads[i], &r->load_extra[i].keys))
			return false;
	if (!r->singleton_keys[SEC_SCENARIO].line[SK_NAME])
		default_title(sc, r->path);
	return true;
}
