/*
 * stats.c: the run summary (--json contract), counted from the event stream.
 *
 * Keeps one byte of state per conn slot (dialing, TLS, ready, active, idle) so
 * each record moves exactly one gauge; everything else is a counter. Latency
 * and conn wait are time_dists (dist.h); a request's conn wait runs from its
 * req_start (or req_retry) to its got_conn, remembered per request slot.
 */
#include "stats.h"

#include "grow.h"
#include "settings.h"

#include <stdlib.h>
#include <string.h>

enum conn_gauge { CG_NONE, CG_DIALING, CG_TLS, CG_READY, CG_ACTIVE, CG_IDLE };

struct stats_conns {
	uint8_t *state;
	uint32_t cap;
};

int stats_init(struct stats *st, const struct scenario *sc, const char *mode)
{
	memset(st, 0, sizeof(*st));
	st->sc = sc;
	st->mode = mode;
	st->time_scale_back = 1.0;
	size_t n = sc->n_hosts ? sc->n_hosts : 1;
	st->hosts = calloc(n, sizeof(*st->hosts));
	st->host_latency = calloc(n, sizeof(*st->host_latency));
	st->host_conn_wait = calloc(n, sizeof(*st->host_conn_wait));
	st->conns = calloc(1, sizeof(*st->conns));
	if (!st->hosts || !st->host_latency || !st->host_conn_wait || !st->conns) {
		stats_free(st);
		return -1;
	}
	time_dist_init(&st->latency, STATS_EXACT);
	time_dist_init(&st->conn_wait, STATS_EXACT);
	for (size_t h = 0; h < n; h++) {
		time_dist_init(&st->host_latency[h], STATS_HOST_EXACT);
		time_dist_init(&st->host_conn_wait[h], STATS_HOST_EXACT);
	}
	return 0;
}

void stats_free(struct stats *st)
{
	time_dist_free(&st->latency);
	time_dist_free(&st->conn_wait);
	for (uint32_t h = 0; h < st->sc->n_hosts && st->host_latency && st->host_conn_wait; h++) {
		time_dist_free(&st->host_latency[h]);
		time_dist_free(&st->host_conn_wait[h]);
	}
	free(st->host_latency);
	free(st->host_conn_wait);
	free(st->hosts);
	free(st->asked);
	if (st->conns)
		free(st->conns->state);
	free(st->conns);
	st->hosts = NULL;
	st->host_latency = st->host_conn_wait = NULL;
	st->asked = NULL;
	st->conns = NULL;
}

static uint8_t *conn_state(struct stats *st, uint32_t conn)
{
	struct stats_conns *cs = st->conns;
	if (conn >= cs->cap)
		cs->state = grow_to_hold(cs->state, &cs->cap, 1, conn, 64, NULL);
	return &cs->state[conn];
}

#define NO_PEAK SIZE_MAX

/* Apply a gauge change to one set; only a rise of the gauge itself can raise its peak. */
static inline void gauge_one(struct stats_counts *s, size_t field, size_t peak, int delta)
{
	int64_t *g = (int64_t *)((char *)s + field);
	*g += delta;
	if (peak != NO_PEAK && delta > 0) {
		int64_t *p = (int64_t *)((char *)s + peak);
		if (*g > *p)
			*p = *g;
	}
}

/* Apply a gauge change to the total and the host, tracking peaks. */
static void gauge(struct stats *st, uint32_t host, size_t field, size_t peak, int delta)
{
	gauge_one(&st->total, field, peak, delta);
	if (host < st->sc->n_hosts)
		gauge_one(&st->hosts[host], field, peak, delta);
}

#define PEAK_OF_open    offsetof(struct stats_counts, peak_open)
#define PEAK_OF_idle    offsetof(struct stats_counts, peak_idle)
#define PEAK_OF_waiting offsetof(struct stats_counts, peak_waiting)
#define PEAK_OF_active  offsetof(struct stats_counts, peak_active)
#define PEAK_OF_dialing NO_PEAK
#define PEAK_OF_leaked  NO_PEAK
#define GAUGE(st, host, name, delta)                                                               \
	gauge(st, host, offsetof(struct stats_counts, name), PEAK_OF_##name, delta)

static void count(struct stats *st, uint32_t host, size_t field)
{
	(*(int64_t *)((char *)&st->total + field))++;
	if (host < st->sc->n_hosts)
		(*(int64_t *)((char *)&st->hosts[host] + field))++;
}

#define COUNT(st, host, name) count(st, host, offsetof(struct stats_counts, name))

/* leave_state: the conn leaves its current gauge. */
static void leave_state(struct stats *st, uint32_t host, uint8_t state)
{
	switch (state) {
	case CG_DIALING:
	case CG_TLS:
		GAUGE(st, host, dialing, -1);
		break;
	case CG_ACTIVE:
		GAUGE(st, host, active, -1);
		break;
	case CG_IDLE:
		GAUGE(st, host, idle, -1);
		break;
	default:
		break;
	}
}

static void on_conn_closed(struct stats *st, const struct ps_event *ev)
{
	uint8_t *s = conn_state(st, ev->conn);
	if (*s == CG_DIALING || *s == CG_TLS)
		COUNT(st, ev->host, dial_failures); /* T2: a failed handshake is a failed dial */
	leave_state(st, ev->host, *s);
	*s = CG_NONE;
	GAUGE(st, ev->host, open, -1);
	COUNT(st, ev->host, closed);
	enum ev_reason cat = ev_reason_category(ev->reason);
	st->closes[cat]++;
	count(st, ev->host, offsetof(struct stats_counts, closes) + cat * sizeof(int64_t));
	if (ev->flags & EVF_LEAKED)
		GAUGE(st, ev->host, leaked, -1);
}

static void on_got_conn(struct stats *st, const struct ps_event *ev)
{
	uint8_t *s = conn_state(st, ev->conn);
	if (ev->flags & EVF_WAITED)
		GAUGE(st, ev->host, waiting, -1);
	if (ev->flags & EVF_REUSED)
		COUNT(st, ev->host, reused);
	if (*s != CG_ACTIVE) {
		leave_state(st, ev->host, *s);
		GAUGE(st, ev->host, active, 1);
	}
	*s = CG_ACTIVE;
}

static void on_latency(struct stats *st, const struct ps_event *ev)
{
	time_dist_add(&st->latency, ev->value);
	if (ev->host < st->sc->n_hosts)
		time_dist_add(&st->host_latency[ev->host], ev->value);
}

/* on_ask: the request (again) asks the pool for a conn: its conn wait starts. */
static void on_ask(struct stats *st, const struct ps_event *ev)
{
	if (ev->req_slot == PS_NONE)
		return;
	if (ev->req_slot >= st->asked_cap)
		st->asked = grow_to_hold(st->asked, &st->asked_cap, sizeof(*st->asked),
		                         ev->req_slot, 64, NULL);
	if (st->asked)
		st->asked[ev->req_slot] = ev->t;
}

static void on_conn_wait(struct stats *st, const struct ps_event *ev)
{
	if (ev->req_slot == PS_NONE || ev->req_slot >= st->asked_cap || !st->asked)
		return;
	ps_time w = ev->t - st->asked[ev->req_slot];
	time_dist_add(&st->conn_wait, w);
	if (ev->host < st->sc->n_hosts)
		time_dist_add(&st->host_conn_wait[ev->host], w);
}

static void on_kernel(struct stats *st, const struct ps_event *ev)
{
	if (ev->host != PS_NONE)
		return;
	struct stats_kernel *k = &st->kernel;
	k->present = true;
	if (ev->value > k->peak_established)
		k->peak_established = ev->value;
	if ((int64_t)ev->flags > k->peak_fds)
		k->peak_fds = ev->flags;
	k->established_end = ev->value;
	k->time_wait_end = ev->conn;
	k->fds_end = ev->flags;
}

static void stats_on_event(void *ctx, const struct ps_event *ev)
{
	struct stats *st = ctx;
	switch (ev->kind) {
	case EV_REQ_START:
		COUNT(st, ev->host, requests);
		on_ask(st, ev);
		break;
	case EV_REQ_WAIT:
		GAUGE(st, ev->host, waiting, 1);
		break;
	case EV_REQ_GOT_CONN:
		on_got_conn(st, ev);
		on_conn_wait(st, ev);
		break;
	case EV_REQ_RETRY:
		COUNT(st, ev->host, retries);
		on_ask(st, ev);
		if (ev->flags & EVF_REUSED) {
			st->total.reused--;
			if (ev->host < st->sc->n_hosts)
				st->hosts[ev->host].reused--;
		}
		break;
	case EV_REQ_DONE:
		COUNT(st, ev->host, ok);
		on_latency(st, ev);
		break;
	case EV_REQ_FAILED:
		COUNT(st, ev->host, failed);
		st->failures[ev->reason < R_REASON_COUNT ? ev->reason : R_ERROR]++;
		if (ev->flags & EVF_WAITED)
			GAUGE(st, ev->host, waiting, -1);
		break;
	case EV_BODY_LEAKED:
		GAUGE(st, ev->host, leaked, 1);
		break;
	case EV_DIAL_START:
		*conn_state(st, ev->conn) = CG_DIALING;
		COUNT(st, ev->host, dials);
		GAUGE(st, ev->host, open, 1);
		GAUGE(st, ev->host, dialing, 1);
		break;
	case EV_TLS_START:
		*conn_state(st, ev->conn) = CG_TLS;
		COUNT(st, ev->host, tls_handshakes);
		break;
	case EV_CONN_READY: {
		uint8_t *s = conn_state(st, ev->conn);
		leave_state(st, ev->host, *s);
		*s = CG_READY;
		break;
	}
	case EV_CONN_IDLE: {
		uint8_t *s = conn_state(st, ev->conn);
		leave_state(st, ev->host, *s);
		*s = CG_IDLE;
		GAUGE(st, ev->host, idle, 1);
		break;
	}
	case EV_CONN_CLOSED:
		on_conn_closed(st, ev);
		break;
	case EV_KERNEL_SAMPLE:
		on_kernel(st, ev);
		break;
	case EV_RUN_END:
		st->end = ev->t;
		st->stopped = (enum run_stop)ev->flags;
		st->ended = true;
		st->total.unfinished = st->total.requests - st->total.ok - st->total.failed;
		for (uint32_t h = 0; h < st->sc->n_hosts; h++)
			st->hosts[h].unfinished =
			    st->hosts[h].requests - st->hosts[h].ok - st->hosts[h].failed;
		break;
	default:
		break;
	}
}

struct ev_sink stats_sink(struct stats *st)
{
	return (struct ev_sink){.on_event = stats_on_event, .ctx = st};
}

double stats_dist_ms(const struct stats *st, const struct time_dist *d, double q)
{
	return (double)time_dist_quantile(d, q) / (double)PS_MS * st->time_scale_back;
}

double stats_latency_ms(const struct stats *st, double q)
{
	return stats_dist_ms(st, &st->latency, q);
}

void stats_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* "closes": {"idle_timeout": N, ...}, every category in enum order. */
static void print_closes(FILE *out, const int64_t *closes)
{
	fprintf(out, "\"closes\": {");
	for (int r = R_IDLE_TIMEOUT; r < R_CLOSE_CATEGORY_COUNT; r++)
		fprintf(out, "%s\"%s\": %lld", r == R_IDLE_TIMEOUT ? "" : ", ",
		        ev_reason_category_name((enum ev_reason)r), (long long)closes[r]);
	fputc('}', out);
}

/* "NAME": {"p50": ..., "p90": ..., "p99": ..., "max": ...} in ms. */
static void print_quantiles(const struct stats *st, FILE *out, const char *name,
                            const struct time_dist *d)
{
	fprintf(out, "\"%s\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}", name,
	        stats_dist_ms(st, d, 0.50), stats_dist_ms(st, d, 0.90), stats_dist_ms(st, d, 0.99),
	        stats_dist_ms(st, d, 1.0));
}

void stats_print_json(const struct stats *st, FILE *out)
{
	const struct stats_counts *t = &st->total;
	fprintf(out, "{\n  \"mode\": ");
	stats_json_string(out, st->mode);
	fprintf(out, ",\n  \"scenario\": ");
	stats_json_string(out, st->sc->title);
	if (st->stopped != RUN_COMPLETE) {
		fprintf(out, ",\n  \"stopped\": ");
		stats_json_string(out, run_stop_name(st->stopped));
		fprintf(out, ", \"stopped_at_s\": %.9f", (double)st->end / PS_SEC);
	}
	fprintf(out,
	        ",\n  \"totals\": {\"requests\": %lld, \"ok\": %lld, \"failed\": %lld, "
	        "\"unfinished\": %lld,\n             \"dials\": %lld, \"dial_failures\": %lld, "
	        "\"tls_handshakes\": %lld, \"reused\": %lld,\n             \"closed\": %lld, "
	        "\"peak_open\": %lld, \"peak_idle\": %lld, \"peak_waiting\": %lld,\n"
	        "             \"leaked\": %lld, \"retries\": %lld},\n",
	        (long long)t->requests, (long long)t->ok, (long long)t->failed,
	        (long long)t->unfinished, (long long)t->dials, (long long)t->dial_failures,
	        (long long)t->tls_handshakes, (long long)t->reused, (long long)t->closed,
	        (long long)t->peak_open, (long long)t->peak_idle, (long long)t->peak_waiting,
	        (long long)t->leaked, (long long)t->retries);
	char go[16];
	fprintf(out, "  \"seed\": %llu,\n  \"go\": \"%s\",\n  \"go_release\": \"1.%d\",\n",
	        (unsigned long long)st->sc->seed, scenario_go_key(st->sc, go, sizeof go),
	        st->sc->go % 100);
	fprintf(out, "  \"hosts\": {");
	for (uint32_t h = 0; h < st->sc->n_hosts; h++) {
		const struct stats_counts *hc = &st->hosts[h];
		fprintf(out, "%s", h ? ",\n            " : "");
		stats_json_string(out, st->sc->hosts[h].name);
		fprintf(out,
		        ": {\"requests\": %lld, \"dials\": %lld, \"reused\": %lld, \"peak_open\": "
		        "%lld, "
		        "\"peak_idle\": %lld, \"closed\": %lld,\n              \"ok\": %lld, "
		        "\"failed\": %lld, \"unfinished\": %lld, \"peak_waiting\": %lld,\n"
		        "              ",
		        (long long)hc->requests, (long long)hc->dials, (long long)hc->reused,
		        (long long)hc->peak_open, (long long)hc->peak_idle, (long long)hc->closed,
		        (long long)hc->ok, (long long)hc->failed, (long long)hc->unfinished,
		        (long long)hc->peak_waiting);
		print_quantiles(st, out, "latency_ms", &st->host_latency[h]);
		fprintf(out, ",\n              ");
		print_quantiles(st, out, "conn_wait_ms", &st->host_conn_wait[h]);
		fprintf(out, ",\n              ");
		print_closes(out, hc->closes);
		fputc('}', out);
	}
	fprintf(out, "},\n  ");
	print_closes(out, st->closes);
	fprintf(out, ",\n  ");
	print_quantiles(st, out, "latency_ms", &st->latency);
	fprintf(out, ",\n  ");
	print_quantiles(st, out, "conn_wait_ms", &st->conn_wait);
	fprintf(out, ",\n  \"settings\": ");
	settings_print_json(st->sc, out, "  ");
	if (st->kernel.present)
		fprintf(out,
		        ",\n  \"kernel\": {\"peak_established\": %lld, \"established_end\": %lld, "
		        "\"time_wait_end\": %lld, \"peak_fds\": %lld, \"fds_end\": %lld}",
		        (long long)st->kernel.peak_established,
		        (long long)st->kernel.established_end, (long long)st->kernel.time_wait_end,
		        (long long)st->kernel.peak_fds, (long long)st->kernel.fds_end);
	if (st->lag.present)
		fprintf(out,
		        ",\n  \"schedule_lag_ms\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}",
		        st->lag.p50_ms, st->lag.p99_ms, st->lag.max_ms);
	fprintf(out, "\n}\n");
}

void stats_print_text(const struct stats *st, FILE *out)
{
	const struct stats_counts *t = &st->total;
	char dur[32];
	char go[64];
	fprintf(out, "%s  (%s, %s simulated, %s)\n", st->sc->title, st->mode,
	        format_duration(st->sc->duration, dur, sizeof(dur)),
	        scenario_go_name(st->sc, go, sizeof(go)));
	if (st->stopped != RUN_COMPLETE)
		fprintf(out, "stopped   %s at %.3fs\n", run_stop_name(st->stopped),
		        (double)st->end / PS_SEC);
	fprintf(out, "requests  %lld: ok %lld, failed %lld, unfinished %lld, retried %lld\n",
	        (long long)t->requests, (long long)t->ok, (long long)t->failed,
	        (long long)t->unfinished, (long long)t->retries);
	fprintf(out, "conns     dials %lld (failed %lld, TLS handshakes %lld), reused %lld\n",
	        (long long)t->dials, (long long)t->dial_failures, (long long)t->tls_handshakes,
	        (long long)t->reused);
	fprintf(out, "peaks     open %lld, idle %lld, waiting %lld; leaked at end %lld\n",
	        (long long)t->peak_open, (long long)t->peak_idle, (long long)t->peak_waiting,
	        (long long)t->leaked);
	fprintf(out, "closed    %lld", (long long)t->closed);
	const char *sep = ":";
	for (int r = R_IDLE_TIMEOUT; r < R_CLOSE_CATEGORY_COUNT; r++)
		if (st->closes[r]) {
			fprintf(out, "%s %s %lld", sep, ev_reason_category_name((enum ev_reason)r),
			        (long long)st->closes[r]);
			sep = ",";
		}
	/* No finished request has no latency: a 0.000 would read as "instant". */
	if (t->ok == 0)
		fprintf(out, "\nlatency   n/a (no request finished)\n");
	else
		fprintf(out, "\nlatency   p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
		        stats_latency_ms(st, 0.50), stats_latency_ms(st, 0.90),
		        stats_latency_ms(st, 0.99), stats_latency_ms(st, 1.0));
	for (uint32_t h = 0; h < st->sc->n_hosts; h++) {
		const struct stats_counts *hc = &st->hosts[h];
		fprintf(out,
		        "  host %-12s requests %lld, dials %lld, reused %lld, peak open %lld, peak "
		        "idle %lld, closed %lld\n",
		        st->sc->hosts[h].name, (long long)hc->requests, (long long)hc->dials,
		        (long long)hc->reused, (long long)hc->peak_open, (long long)hc->peak_idle,
		        (long long)hc->closed);
	}
	if (st->kernel.present)
		fprintf(out,
		        "kernel    peak ESTABLISHED %lld, TIME_WAIT at end %lld, peak fds %lld\n",
		        (long long)st->kernel.peak_established, (long long)st->kernel.time_wait_end,
		        (long long)st->kernel.peak_fds);
	if (st->lag.present)
		fprintf(out,
		        "lag       requests started late by p50 %.3f ms, p99 %.3f ms, max %.3f ms "
		        "(wall)\n",
		        st->lag.p50_ms, st->lag.p99_ms, st->lag.max_ms);
}
