/*
 * stats.c: the run summary (--json contract), from the event stream.
 *
 * The counts are core/counts.c's (shared with the dashboard). Latency
 * and conn wait are time_dists (dist.h); a request's conn wait runs from its
 * req_start (or req_retry) to its got_conn, remembered per request slot.
 */
#include "visible.h"
#include "stats.h"

#include "grow.h"
#include "settings.h"

#include <stdlib.h>
#include <string.h>

int stats_init(struct stats *st, const struct scenario *sc, const char *mode)
{
	memset(st, 0, sizeof(*st));
	st->sc = sc;
	st->mode = mode;
	st->time_scale_back = 1.0;
	size_t n = sc->n_hosts ? sc->n_hosts : 1;
	int counted = counter_init(&st->count, sc->n_hosts);
	st->host_latency = calloc(n, sizeof(*st->host_latency));
	st->host_conn_wait = calloc(n, sizeof(*st->host_conn_wait));
	int ports =
	    timewait_init(&st->ports, sc->n_hosts, sc->time_wait,
	                  sc->ephemeral_hi - sc->ephemeral_lo + 1, sc->transport.DisableKeepAlives);
	if (counted < 0 || ports < 0 || !st->host_latency || !st->host_conn_wait) {
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
	for (uint32_t h = 0; st->host_latency && st->host_conn_wait && h < st->sc->n_hosts; h++) {
		time_dist_free(&st->host_latency[h]);
		time_dist_free(&st->host_conn_wait[h]);
	}
	free(st->host_latency);
	free(st->host_conn_wait);
	counter_free(&st->count);
	timewait_free(&st->ports);
	free(st->asked);
	st->host_latency = st->host_conn_wait = NULL;
	st->asked = NULL;
}

static inline void prefetch_place(const struct stats_host_sample *w)
{
	ps_prefetch(time_dist_place_of(w->dist, w->v));
}

/*
 * The waiting host samples, added in their order: each distribution's lines are fetched
 * AHEAD * 2 samples before its add and the place of its sample AHEAD before, so a batch's
 * misses overlap rather than stall one by one.
 */
static void add_waiting_host_samples(struct stats *st)
{
	enum { AHEAD = 8 };
	const struct stats_host_sample *w = st->waiting;
	uint32_t n = st->n_waiting;
	for (uint32_t i = 0; i < n && i < 2 * AHEAD; i++)
		time_dist_prefetch(w[i].dist);
	for (uint32_t i = 0; i < n && i < AHEAD; i++)
		prefetch_place(&w[i]);
	for (uint32_t i = 0; i < n; i++) {
		if (i + 2 * AHEAD < n)
			time_dist_prefetch(w[i + 2 * AHEAD].dist);
		if (i + AHEAD < n)
			prefetch_place(&w[i + AHEAD]);
		time_dist_add(w[i].dist, w[i].v);
	}
	st->n_waiting = 0;
}

/* A host's distribution d (latency or conn wait) takes v with the batch; true when that is full
 * (the caller adds it). */
static inline bool wait_host_sample(struct stats *st, struct time_dist *d, ps_time v)
{
	st->waiting[st->n_waiting++] = (struct stats_host_sample){.dist = d, .v = v};
	return st->n_waiting == STATS_HOST_BATCH;
}

static void on_latency(struct stats *st, const struct ps_event *ev)
{
	time_dist_add(&st->latency, ev->value);
	if (ev->host < st->sc->n_hosts &&
	    wait_host_sample(st, &st->host_latency[ev->host], ev->value))
		add_waiting_host_samples(st);
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
	if (ev->host < st->sc->n_hosts && wait_host_sample(st, &st->host_conn_wait[ev->host], w))
		add_waiting_host_samples(st);
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

/* The summary's own part of a record, the general way (stats_on_event's slow path). */
static void own_part(struct stats *st, const struct ps_event *ev)
{
	switch (ev->kind) {
	case EV_REQ_START:
	case EV_REQ_RETRY:
		on_ask(st, ev);
		break;
	case EV_REQ_GOT_CONN:
		on_conn_wait(st, ev);
		break;
	case EV_REQ_DONE:
		on_latency(st, ev);
		break;
	case EV_KERNEL_SAMPLE:
		on_kernel(st, ev);
		break;
	case EV_RUN_END:
		add_waiting_host_samples(st);
		st->end = ev->t;
		st->stopped = (enum run_stop)ev->flags;
		st->ended = true;
		break;
	default:
		break;
	}
}

/* The ports and the counts of a port record (a connect, its handshake, its close). */
__attribute__((noinline)) static void ports_then_counts(struct stats *st, const struct ps_event *ev)
{
	timewait_on_port_record(&st->ports, ev);
	counter_on_event(&st->count, ev);
}

/* The whole record the general way: a growth, a histogram block, the end of the run. */
__attribute__((noinline)) static void record_slowly(struct stats *st, const struct ps_event *ev)
{
	own_part(st, ev);
	timewait_on_event(&st->ports, ev);
	counter_on_event(&st->count, ev);
}

/* The run's distribution took its sample and the host's filled the batch: add the batch. */
__attribute__((noinline)) static void add_batch_then_count(struct stats *st,
                                                           const struct ps_event *ev)
{
	add_waiting_host_samples(st);
	counter_on_event(&st->count, ev); /* a request's record: no port moves */
}

/*
 * The summary's parts of a record are independent: its own (conn wait, latency), the ports
 * and the counts. Its usual records take the cheap ways, whose only calls are tail calls, so
 * the record costs no register saves; anything else goes to record_slowly (or, with the run's
 * sample taken and a full batch of host samples, add_batch_then_count) before it has changed
 * anything of its own.
 */
static void stats_on_event(void *ctx, const struct ps_event *ev)
{
	struct stats *st = ctx;
	uint32_t slot = ev->req_slot;
	struct time_dist *run = NULL, *host = NULL;
	ps_time v = 0;
	switch (ev->kind) {
	case EV_REQ_START:
	case EV_REQ_RETRY:
		if (slot != PS_NONE && slot >= st->asked_cap) {
			record_slowly(st, ev); /* the array grows */
			return;
		}
		if (slot != PS_NONE)
			st->asked[slot] = ev->t;
		break;
	case EV_REQ_GOT_CONN:
		if (slot == PS_NONE || slot >= st->asked_cap)
			break; /* it never asked (as on_conn_wait) */
		v = ev->t - st->asked[slot];
		run = &st->conn_wait;
		host = ev->host < st->sc->n_hosts ? &st->host_conn_wait[ev->host] : NULL;
		break;
	case EV_REQ_DONE:
		v = ev->value;
		run = &st->latency;
		host = ev->host < st->sc->n_hosts ? &st->host_latency[ev->host] : NULL;
		break;
	case EV_KERNEL_SAMPLE:
	case EV_RUN_END:
		record_slowly(st, ev);
		return;
	default:
		break;
	}
	if (run) {
		if (!time_dist_add_cheaply(run, v)) {
			record_slowly(st, ev);
			return;
		}
		if (host && wait_host_sample(st, host, v)) {
			add_batch_then_count(st, ev);
			return;
		}
	}
	if (ev->kind < EV_KIND_COUNT && (TIMEWAIT_KINDS & EV_KIND_BIT(ev->kind))) {
		ports_then_counts(st, ev);
		return;
	}
	counter_on_event(&st->count, ev);
}

struct ev_sink stats_sink(struct stats *st)
{
	return (struct ev_sink){.on_event = stats_on_event, .ctx = st};
}

/* A simulated time in ms of the scenario's own clock (time_scale_back undoes a scale). */
static double ms_of(const struct stats *st, ps_time t)
{
	return (double)t / (double)PS_MS * st->time_scale_back;
}

double stats_dist_ms(const struct stats *st, const struct time_dist *d, double q)
{
	return ms_of(st, time_dist_quantile(d, q));
}

double stats_latency_ms(const struct stats *st, double q)
{
	return stats_dist_ms(st, &st->latency, q);
}

void stats_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	while (*s) {
		unsigned char ch = (unsigned char)*s;
		size_t n = utf8_sequence_length(s);
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\u%04x", ch);
		else if (n == 0)
			fputs("\\ufffd", out); /* invalid UTF-8 is replaced, never passed through */
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
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
	static const double q[] = {0.50, 0.90, 0.99, 1.0};
	ps_time v[4];
	time_dist_quantiles(d, q, v, 4);
	fprintf(out, "\"%s\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}", name,
	        ms_of(st, v[0]), ms_of(st, v[1]), ms_of(st, v[2]), ms_of(st, v[3]));
}

void stats_print_json(const struct stats *st, FILE *out)
{
	const struct counts *t = &st->count.total;
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
	struct timewait *tw = (struct timewait *)&st->ports; /* reading expires, nothing else */
	fprintf(out,
	        "  \"time_wait\": %lld, \"peak_time_wait\": %lld, \"peak_ports\": %lld, "
	        "\"ports_exhausted\": %lld,\n",
	        (long long)timewait_count(tw, PS_NONE, st->end),
	        (long long)tw->total.peak_time_wait, (long long)tw->total.peak_ports,
	        (long long)tw->exhausted);
	fprintf(out, "  \"hosts\": {");
	for (uint32_t h = 0; h < st->sc->n_hosts; h++) {
		const struct counts *hc = &st->count.hosts[h];
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
		fprintf(out,
		        ",\n              \"time_wait\": %lld, \"peak_time_wait\": %lld, "
		        "\"peak_ports\": %lld",
		        (long long)timewait_count(tw, h, st->end),
		        (long long)tw->hosts[h].peak_time_wait, (long long)tw->hosts[h].peak_ports);
		if (scenario_host_speaks_h2(st->sc, h)) /* peak concurrent HTTP/2 streams */
			fprintf(out, ", \"h2\": true, \"streams\": %lld",
			        (long long)hc->peak_streams);
		fputc('}', out);
	}
	fprintf(out, "},\n  ");
	print_closes(out, st->count.total.closes);
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
	const struct counts *t = &st->count.total;
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
		if (t->closes[r]) {
			fprintf(out, "%s %s %lld", sep, ev_reason_category_name((enum ev_reason)r),
			        (long long)t->closes[r]);
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
		const struct counts *hc = &st->count.hosts[h];
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
