/*
 * view.c: the dashboard's view model, fed by the event stream (view.h).
 *
 * Owns the per-host connection cells, the counters, the one-minute series and
 * the event log in words. Must not include ncurses, read a clock, print, or
 * allocate per record once its arrays have grown to the run's high-water mark.
 *
 * Every count and gauge is core/counts.c's, the same the --json summary
 * prints, so screen and summary cannot disagree. The cells follow the same
 * records; the one difference is a conn whose dial just finished, drawn as
 * active for the instant before the pool hands it on (the counts call it
 * open only).
 */
#include "view.h"

#include "grow.h"
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *view_limit_text(int64_t limit, char *buf, size_t size)
{
	if (limit == LIMIT_NONE)
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, "%lld", (long long)limit);
	return buf;
}

char *view_cell_streams_text(const struct view *v, uint32_t host, const struct view_cell *c,
                             char *buf, size_t size)
{
	if (host >= v->n_hosts || !c->h2 || c->state == VIEW_CELL_CLOSING ||
	    c->state == VIEW_CELL_EMPTY)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%u/%lld", c->streams, (long long)v->hosts[host].max_streams);
	return buf;
}

/* ---------------------------------------------------------------- lifetime */

struct view *view_create(const struct scenario *sc)
{
	struct view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->sc = sc;
	v->limits = transport_limits_of(&sc->transport);
	v->n_hosts = sc->n_hosts;
	v->series_second = -1;
	v->closing_linger = VIEW_CLOSING_LINGER;
	v->hosts = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof(*v->hosts));
	v->series = calloc(VIEW_SERIES_SECONDS, sizeof(*v->series));
	v->log = calloc(VIEW_LOG_LINES, sizeof(*v->log));
	int counted = counter_init(&v->count, sc->n_hosts);
	int ports =
	    timewait_init(&v->ports, sc->n_hosts, sc->time_wait,
	                  sc->ephemeral_hi - sc->ephemeral_lo + 1, sc->transport.DisableKeepAlives);
	if (counted < 0 || ports < 0 || !v->hosts || !v->series || !v->log) {
		view_destroy(v); /* both frees are safe after a failed init */
		return NULL;
	}
	for (uint32_t i = 0; i < v->n_hosts; i++) {
		v->hosts[i].name = sc->hosts[i].name;
		v->hosts[i].tls = sc->hosts[i].tls;
		v->hosts[i].h2 = scenario_host_speaks_h2(sc, i);
		v->hosts[i].max_streams = sc->hosts[i].max_concurrent_streams;
		for (uint32_t l = 0; l < sc->n_loads; l++)
			if (sc->loads[l].host == i && sc->loads[l].new_client_per_request)
				v->hosts[i].own_transports = true;
		v->hosts[i].series = calloc(VIEW_SERIES_SECONDS, sizeof(struct view_sample));
		if (!v->hosts[i].series) {
			view_destroy(v);
			return NULL;
		}
	}
	return v;
}

void view_destroy(struct view *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; v->hosts && i < v->n_hosts; i++) {
		free(v->hosts[i].cells);
		free(v->hosts[i].slot_cell);
		free(v->hosts[i].series);
	}
	free(v->hosts);
	counter_free(&v->count);
	timewait_free(&v->ports);
	free(v->series);
	free(v->closing);
	free(v->log);
	free(v);
}

struct ev_sink view_sink(struct view *v)
{
	struct ev_sink sink = {.on_event = view_on_event, .ctx = v};

	return sink;
}

void view_set_closing_linger(struct view *v, ps_time linger)
{
	v->closing_linger = linger < 0 ? 0 : linger;
}

/* ---------------------------------------------------------------- the log */

static void log_line(struct view *v, const struct ps_event *ev, const char *fmt, ...)
{
	size_t idx;
	char *line;
	int n;
	va_list ap;

	if (v->log_count < VIEW_LOG_LINES) {
		idx = (v->log_head + v->log_count) % VIEW_LOG_LINES;
		v->log_count++;
	} else {
		idx = v->log_head;
		v->log_head = (v->log_head + 1) % VIEW_LOG_LINES;
	}
	line = v->log[idx];
	n = snprintf(line, VIEW_LOG_WIDTH, "%8.3fs ", (double)ev->t / (double)PS_SEC);
	/* One host needs no name; with several, every line says which pool key it is about. */
	if (v->n_hosts > 1 && ev->host < v->n_hosts && n < VIEW_LOG_WIDTH)
		n +=
		    snprintf(line + n, VIEW_LOG_WIDTH - (size_t)n, "%s: ", v->hosts[ev->host].name);
	if (n < VIEW_LOG_WIDTH) {
		va_start(ap, fmt);
		vsnprintf(line + n, VIEW_LOG_WIDTH - (size_t)n, fmt, ap);
		va_end(ap);
	}
	v->log_total++;
}

size_t view_log_count(const struct view *v)
{
	return v->log_count;
}

const char *view_log_line(const struct view *v, size_t i)
{
	if (i >= v->log_count)
		return "";
	return v->log[(v->log_head + i) % VIEW_LOG_LINES];
}

/* ---------------------------------------------------------------- cells */

static int map_slot(struct view_host *h, uint32_t slot, uint32_t pos)
{
	uint32_t old = h->cap_slots;

	if (slot == PS_NONE)
		return -1;
	h->slot_cell = grow_to_hold(h->slot_cell, &h->cap_slots, sizeof(uint32_t), slot, 8, &old);
	for (uint32_t i = old; i < h->cap_slots; i++)
		h->slot_cell[i] = PS_NONE;
	h->slot_cell[slot] = pos;
	return 0;
}

static struct view_cell *cell_of(struct view *v, const struct ps_event *ev)
{
	struct view_host *h;

	if (ev->host >= v->n_hosts || ev->conn == PS_NONE)
		return NULL;
	h = &v->hosts[ev->host];
	if (ev->conn >= h->cap_slots || h->slot_cell[ev->conn] == PS_NONE)
		return NULL;
	return &h->cells[h->slot_cell[ev->conn]];
}

/* The lowest free position of the host's row, so a new conn fills a gap left by a closed one. */
static struct view_cell *cell_new(struct view *v, const struct ps_event *ev)
{
	struct view_host *h;
	size_t pos;

	if (ev->host >= v->n_hosts)
		return NULL;
	h = &v->hosts[ev->host];
	for (pos = h->free_hint; pos < h->n_cells; pos++)
		if (h->cells[pos].state == VIEW_CELL_EMPTY)
			break;
	if (pos == h->n_cells) {
		h->cells = grow_to_hold(h->cells, &h->cap_cells, sizeof(*h->cells), (uint32_t)pos,
		                        8, NULL);
		h->n_cells++;
	}
	if (map_slot(h, ev->conn, (uint32_t)pos) < 0)
		return NULL;
	h->free_hint = pos + 1;
	memset(&h->cells[pos], 0, sizeof(h->cells[pos]));
	return &h->cells[pos];
}

static void trim_row(struct view_host *h)
{
	while (h->n_cells > 0 && h->cells[h->n_cells - 1].state == VIEW_CELL_EMPTY)
		h->n_cells--;
	if (h->free_hint > h->n_cells)
		h->free_hint = h->n_cells;
}

/* The `x` cells whose moment on screen is over become free positions again. */
static bool expire_closing(struct view *v, ps_time now)
{
	bool changed = false;

	while (v->closing_count > 0) {
		struct view_closing *c = &v->closing[v->closing_head];
		struct view_host *h = &v->hosts[c->host];

		if (c->until > now)
			break;
		if (c->cell < h->n_cells && h->cells[c->cell].state == VIEW_CELL_CLOSING &&
		    h->cells[c->cell].closing_until <= now) {
			h->cells[c->cell].state = VIEW_CELL_EMPTY;
			if (c->cell < h->free_hint)
				h->free_hint = c->cell;
			trim_row(h);
			changed = true;
		}
		v->closing_head = (v->closing_head + 1) % v->closing_cap;
		v->closing_count--;
	}
	return changed;
}

static void push_closing(struct view *v, uint32_t host, uint32_t cell, ps_time until)
{
	if (v->closing_count == v->closing_cap) {
		size_t old = v->closing_cap, n = old ? old * 2 : 64;
		struct view_closing *p = malloc(n * sizeof(*p));

		if (!p)
			return; /* the cell then stays `x` until its position is needed: harmless */
		for (size_t i = 0; i < v->closing_count; i++)
			p[i] = v->closing[(v->closing_head + i) % old];
		free(v->closing);
		v->closing = p;
		v->closing_cap = n;
		v->closing_head = 0;
	}
	v->closing[(v->closing_head + v->closing_count) % v->closing_cap] =
	    (struct view_closing){host, cell, until};
	v->closing_count++;
}

/* ---------------------------------------------------------------- cell states */

/* Move a cell to a new state; the time it spent idle adds up for the cell's glyph and log. */
static void cell_move(struct view_cell *c, enum view_cell_state to, ps_time t)
{
	if (c->state == VIEW_CELL_IDLE)
		c->idle_total += t - c->since;
	c->state = (uint8_t)to;
	c->since = t;
}

/* ---------------------------------------------------------------- series */

static struct view_sample sample_now(const struct counts *c)
{
	struct view_sample s = {(int32_t)c->open, (int32_t)c->active, (int32_t)c->idle,
	                        (int32_t)c->waiting};
	return s;
}

static void sample_max(struct view_sample *s, const struct counts *c)
{
	struct view_sample n = sample_now(c);

	if (n.open > s->open)
		s->open = n.open;
	if (n.active > s->active)
		s->active = n.active;
	if (n.idle > s->idle)
		s->idle = n.idle;
	if (n.waiting > s->waiting)
		s->waiting = n.waiting;
}

/* Open the samples of every second up to `t`; a quiet second carries the gauges forward. */
static void series_advance(struct view *v, ps_time t)
{
	int64_t sec = t / PS_SEC, from;

	if (sec <= v->series_second)
		return;
	from = v->series_second < 0 ? sec : v->series_second + 1;
	if (sec - from >= VIEW_SERIES_SECONDS)
		from = sec - VIEW_SERIES_SECONDS + 1;
	for (int64_t s = from; s <= sec; s++) {
		size_t i = (size_t)(s % VIEW_SERIES_SECONDS);

		v->series[i] = sample_now(&v->count.total);
		for (uint32_t h = 0; h < v->n_hosts; h++)
			v->hosts[h].series[i] = sample_now(&v->count.hosts[h]);
	}
	v->series_second = sec;
}

static void series_note(struct view *v, uint32_t host)
{
	size_t i;

	if (v->series_second < 0)
		return;
	i = (size_t)(v->series_second % VIEW_SERIES_SECONDS);
	sample_max(&v->series[i], &v->count.total);
	if (host < v->n_hosts)
		sample_max(&v->hosts[host].series[i], &v->count.hosts[host]);
}

bool view_sample_at(const struct view *v, uint32_t host, int ago, struct view_sample *out)
{
	const struct view_sample *ring = v->series;

	if (v->series_second < 0 || ago < 0 || ago >= VIEW_SERIES_SECONDS || v->series_second < ago)
		return false;
	if (host != PS_NONE) {
		if (host >= v->n_hosts)
			return false;
		ring = v->hosts[host].series;
	}
	*out = ring[(size_t)((v->series_second - ago) % VIEW_SERIES_SECONDS)];
	return true;
}

/* ---------------------------------------------------------------- counters */

static const char *setting_of(const struct view *v, enum ev_reason r, char *buf, size_t size)
{
	char lim[32];

	switch (r) {
	case R_MAX_IDLE_PER_HOST:
		snprintf(buf, size, ", MaxIdleConnsPerHost=%s",
		         view_limit_text(v->limits.max_idle_per_host, lim, sizeof(lim)));
		return buf;
	case R_MAX_IDLE_TOTAL:
		snprintf(buf, size, ", MaxIdleConns=%s",
		         view_limit_text(v->limits.max_idle_total, lim, sizeof(lim)));
		return buf;
	default:
		return "";
	}
}

/*
 * The reason's text may end in "(MaxIdleConnsPerHost)"; when the line names
 * the setting with its value, that parenthesis would say it twice.
 */
static const char *text_without_setting(const char *text, const char *setting, char *buf,
                                        size_t size)
{
	size_t len = strlen(text);
	const char *open = strrchr(text, '(');

	if (!setting[0] || len == 0 || text[len - 1] != ')' || !open || open == text ||
	    open[-1] != ' ')
		return text;
	snprintf(buf, size, "%.*s", (int)(open - 1 - text), text);
	return buf;
}

static void on_closed(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_of(v, ev);
	enum ev_reason r = (enum ev_reason)ev->reason;
	char extra[64], dur[32], text[VIEW_LOG_WIDTH];
	const char *setting;

	if (c) {
		struct view_host *h = &v->hosts[ev->host];
		uint32_t pos = h->slot_cell[ev->conn];

		cell_move(c, VIEW_CELL_CLOSING, ev->t);
		c->h2 |= (ev->flags & EVF_H2) != 0;
		c->streams = 0;
		c->reason = (uint8_t)r;
		c->closing_until = ps_time_add(ev->t, v->closing_linger);
		h->slot_cell[ev->conn] = PS_NONE;
		push_closing(v, ev->host, pos, c->closing_until);
	}
	if (r == R_IDLE_TIMEOUT && v->limits.idle_timeout != PS_TIME_NEVER) {
		log_line(v, ev, "conn #%u closed: idle for %s (IdleConnTimeout)", ev->conn_id,
		         format_duration(v->limits.idle_timeout, dur, sizeof(dur)));
		return;
	}
	setting = setting_of(v, r, extra, sizeof(extra));
	if ((ev->flags & EVF_H2) && ev->value > 0) {
		snprintf(extra, sizeof(extra), "; %lld HTTP/2 streams in flight fail",
		         (long long)ev->value);
		setting = extra;
	}
	log_line(v, ev, "conn #%u closed: %s (%s%s)", ev->conn_id,
	         text_without_setting(ev_reason_text(r), setting, text, sizeof(text)),
	         ev_reason_go_name(r), setting);
}

static void on_dial(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_new(v, ev);

	if (c) {
		c->state = VIEW_CELL_EMPTY;
		c->tls = (ev->flags & EVF_TLS) != 0;
		c->conn_id = ev->conn_id;
		c->opened = ev->t;
		c->req = ev->req;
		c->idle_deadline = PS_TIME_NEVER;
		cell_move(c, VIEW_CELL_DIALING, ev->t);
	}
	/* The wait is told here, where its kind is known: for its own dial, or (on_wait) in the
	 * MaxConnsPerHost queue. */
	if (ev->req)
		log_line(v, ev, "req %u waits: no idle conn, dials conn #%u%s", ev->req,
		         ev->conn_id, (ev->flags & EVF_TLS) ? " (TLS)" : "");
	else
		log_line(v, ev, "dial conn #%u%s", ev->conn_id,
		         (ev->flags & EVF_TLS) ? " (TLS)" : "");
}

static void on_got_conn(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_of(v, ev);
	bool from_idle = (ev->flags & EVF_WAS_IDLE) || (c && c->state == VIEW_CELL_IDLE);
	bool h2 = (ev->flags & EVF_H2) != 0;
	char stream[64] = "";

	if (c) {
		if (c->state != VIEW_CELL_ACTIVE)
			cell_move(c, VIEW_CELL_ACTIVE, ev->t);
		c->served++;
		c->req = ev->req;
		if (h2) { /* the record's value: the conn's streams now, this one included */
			c->h2 = true;
			c->streams = (uint32_t)ev->value;
		}
	}
	if (h2 && ev->host < v->n_hosts)
		snprintf(stream, sizeof(stream), ", HTTP/2 stream %lld of %lld",
		         (long long)ev->value, (long long)v->hosts[ev->host].max_streams);
	/* One wording, three ways a request gets its conn (G2c, P5, G5/G6); an HTTP/2 conn is
	 * shared while in use (H2, H4), so it is only new or reused. */
	log_line(v, ev, "req %u got conn #%u: %s%s", ev->req, ev->conn_id,
	         h2                         ? ((ev->flags & EVF_REUSED) ? "reused" : "new")
	         : from_idle                ? "reused, from the idle pool"
	         : (ev->flags & EVF_REUSED) ? "reused, handed over as it came back"
	                                    : "new",
	         stream);
}

/* HTTP/2 (H6, H10): a stream of the conn ended; the value is the streams left. */
static void on_stream_end(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_of(v, ev);

	if (c) {
		c->h2 = true;
		c->streams = ev->value > 0 ? (uint32_t)ev->value : 0;
	}
}

static void on_idle(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_of(v, ev);
	char lim[32];

	if (c) {
		cell_move(c, VIEW_CELL_IDLE, ev->t);
		c->idle_deadline = ev->value;
		c->req = 0;
		if (ev->flags & EVF_H2) {
			c->h2 = true;
			c->streams = 0;
		}
	}
	if (ev->host >= v->n_hosts)
		return;
	if (ev->flags & EVF_H2) { /* H6: no stream left; MaxIdleConnsPerHost is not its limit */
		log_line(v, ev, "conn #%u idle: no HTTP/2 stream left", ev->conn_id);
		return;
	}
	log_line(v, ev, "conn #%u idle (%lld idle, MaxIdleConnsPerHost=%s)", ev->conn_id,
	         (long long)v->count.hosts[ev->host].idle,
	         view_limit_text(v->limits.max_idle_per_host, lim, sizeof(lim)));
}

static void on_wait(struct view *v, const struct ps_event *ev, bool permit)
{
	char lim[32];

	/* A plain wait is told by the dial that follows it (on_dial). */
	if (ev->flags & EVF_H2_SLOT)
		log_line(v, ev,
		         "req %u waits for a stream of conn #%u: all taken, "
		         "StrictMaxConcurrentRequests: no dial",
		         ev->req, ev->conn_id);
	else if (permit)
		log_line(v, ev,
		         "req %u waits: no idle conn, MaxConnsPerHost=%s reached: queued, no dial",
		         ev->req, view_limit_text(v->limits.max_conns_per_host, lim, sizeof(lim)));
}

static void on_failed(struct view *v, const struct ps_event *ev)
{
	enum ev_reason r = (enum ev_reason)ev->reason;

	log_line(v, ev, "req %u failed: %s (%s)", ev->req, ev_reason_text(r), ev_reason_go_name(r));
}

static void on_server_action(struct view *v, const struct ps_event *ev)
{
	const char *what = ev_server_action_name((enum ev_server_action)ev->value);

	if (ev_action_is_client((enum ev_server_action)ev->value))
		log_line(v, ev, "client: %s", what);
	else if (ev->host < v->n_hosts)
		log_line(v, ev, "server %s: %s", v->hosts[ev->host].name, what);
	else
		log_line(v, ev, "server: %s", what);
}

/* Real mode only. event.h has no aux field: ESTABLISHED is `value`, TIME_WAIT `conn`, fds `flags`.
 */
static void on_kernel(struct view *v, const struct ps_event *ev)
{
	struct view_kernel *k = ev->host < v->n_hosts ? &v->hosts[ev->host].kernel : &v->kernel;

	k->present = true;
	k->established = ev->value;
	k->time_wait = ev->conn == PS_NONE ? 0 : ev->conn;
	k->fds = ev->flags;
}

static void on_conn_ready(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_of(v, ev);

	if (c && (c->state == VIEW_CELL_DIALING || c->state == VIEW_CELL_TLS))
		cell_move(c, VIEW_CELL_ACTIVE, ev->t);
}

static void on_tls(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_of(v, ev);

	if (c && c->state == VIEW_CELL_DIALING)
		cell_move(c, VIEW_CELL_TLS, ev->t);
}

static void on_leaked(struct view *v, const struct ps_event *ev)
{
	struct view_cell *c = cell_of(v, ev);

	if (c)
		c->leaked = true;
	log_line(v, ev, "req %u never closed its body: conn #%u stays held", ev->req, ev->conn_id);
}

static void dispatch(struct view *v, const struct ps_event *ev)
{
	switch ((enum ev_kind)ev->kind) {
	case EV_REQ_WAIT:
		on_wait(v, ev, false);
		break;
	case EV_PERMIT_WAIT:
		on_wait(v, ev, true);
		break;
	case EV_REQ_GOT_CONN:
		on_got_conn(v, ev);
		break;
	case EV_REQ_RETRY:
		log_line(v, ev, "req %u retried on another conn: %s", ev->req,
		         ev_reason_text((enum ev_reason)ev->reason));
		break;
	case EV_REQ_FAILED:
		on_failed(v, ev);
		break;
	case EV_BODY_LEAKED:
		on_leaked(v, ev);
		break;
	case EV_DIAL_START:
		on_dial(v, ev);
		break;
	case EV_TLS_START:
		on_tls(v, ev);
		break;
	case EV_CONN_READY:
		on_conn_ready(v, ev);
		break;
	case EV_CONN_IDLE:
		on_idle(v, ev);
		break;
	case EV_CONN_HANDOFF: /* the got_conn that follows says "handed over" */
		break;
	case EV_STREAM_END:
		on_stream_end(v, ev);
		break;
	case EV_H2_GOAWAY:
		log_line(v, ev, "conn #%u: the server sent GOAWAY (%s): no new stream on it%s",
		         ev->conn_id, ev_reason_text((enum ev_reason)ev->reason),
		         ev->value > 0 ? "; its streams run to their end" : "");
		break;
	case EV_REQ_DONE:
		if (ev->conn_id)
			log_line(v, ev, "req %u done in %.3f ms (conn #%u)", ev->req,
			         (double)ev->value / (double)PS_MS, ev->conn_id);
		else
			log_line(v, ev, "req %u done in %.3f ms", ev->req,
			         (double)ev->value / (double)PS_MS);
		break;
	case EV_CONN_CLOSED:
		on_closed(v, ev);
		break;
	case EV_SERVER_ACTION:
		on_server_action(v, ev);
		break;
	case EV_KERNEL_SAMPLE:
		on_kernel(v, ev);
		break;
	case EV_RUN_END:
		v->ended = true;
		v->stopped = (enum run_stop)ev->flags;
		log_line(v, ev, "%s",
		         v->stopped == RUN_COMPLETE ? "run ended" : "run STOPPED early");
		break;
	default:
		break;
	}
}

void view_on_event(void *ctx, const struct ps_event *ev)
{
	struct view *v = ctx;

	if (ev->t > v->now)
		v->now = ev->t;
	expire_closing(v, v->now);
	series_advance(v, v->now);
	counter_on_event(&v->count, ev);
	timewait_on_event(&v->ports, ev);
	dispatch(v, ev);
	if (v->teach && !v->teach_pending) {
		const struct ev_rule *r = rule_tracker_first(&v->taught, ev);
		if (r) {
			ev_rule_teach_text(ev, v->teach_text, sizeof(v->teach_text));
			v->teach_at = ev->t;
			v->teach_pending = true;
		}
	}
	series_note(v, ev->host);
	v->events++;
	v->changes++;
}

void view_set_teach(struct view *v, bool on)
{
	v->teach = on;
}

bool view_teach_pending(const struct view *v)
{
	return v->teach_pending;
}

void view_teach_done(struct view *v)
{
	v->teach_pending = false;
	v->changes++;
}

void view_tick(struct view *v, ps_time now)
{
	if (now <= v->now)
		return;
	v->now = now;
	expire_closing(v, now);
	series_advance(v, now);
	v->changes++;
}

/* ---------------------------------------------------------------- accessors */

const struct view_host *view_host(const struct view *v, uint32_t host)
{
	return host < v->n_hosts ? &v->hosts[host] : NULL;
}

const struct view_cell *view_host_cells(const struct view *v, uint32_t host, size_t *n)
{
	if (host >= v->n_hosts) {
		*n = 0;
		return NULL;
	}
	*n = v->hosts[host].n_cells;
	return v->hosts[host].cells;
}

const struct counts *view_counts(const struct view *v, uint32_t host)
{
	return counter_counts(&v->count, host);
}

const struct view_kernel *view_kernel(const struct view *v, uint32_t host)
{
	return host < v->n_hosts ? &v->hosts[host].kernel : &v->kernel;
}

/* Reading expires the TIME_WAIT sockets whose hold ended by v->now; it changes no count. */
int64_t view_time_wait(const struct view *v, uint32_t host)
{
	return timewait_count((struct timewait *)&v->ports, host, v->now);
}

int64_t view_ports(const struct view *v, uint32_t host)
{
	return timewait_ports((struct timewait *)&v->ports, host, v->now);
}

int64_t view_port_range(const struct view *v)
{
	return v->ports.port_range;
}

ps_time view_time_wait_hold(const struct view *v)
{
	return v->ports.hold;
}

const char *view_cell_glyph(const struct view_cell *c, ps_time now, bool utf8)
{
	static const char *const digits[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
	ps_time left;

	switch ((enum view_cell_state)c->state) {
	case VIEW_CELL_DIALING:
		return utf8 ? "\u25cc" : ".";
	case VIEW_CELL_TLS:
		return "~";
	case VIEW_CELL_ACTIVE:
		if (c->leaked)
			return "!";
		return utf8 ? "\u25cf" : "#";
	case VIEW_CELL_IDLE:
		if (c->idle_deadline == PS_TIME_NEVER)
			return "o";
		left = c->idle_deadline - now;
		if (left <= 0)
			return digits[0];
		/* Seconds left, rounded up, so "1" still shows in the last partial second. */
		left = (left + PS_SEC - 1) / PS_SEC;
		return left <= 9 ? digits[left] : "o";
	case VIEW_CELL_CLOSING:
		return "x";
	default:
		return " ";
	}
}
