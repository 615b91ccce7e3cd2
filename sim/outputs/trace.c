/*
 * trace.c: the stream in words (--trace) and as a CSV time series (--csv).
 */
#include "trace.h"

#include "rules.h"

#include <inttypes.h>
#include <string.h>

static const char *host_name(const struct scenario *sc, uint32_t host)
{
	return host < sc->n_hosts ? sc->hosts[host].name : "-";
}

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	if (*len >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < size - *len ? (size_t)n : size - *len - 1;
}

static void append_flags(char *buf, size_t size, size_t *len, uint32_t flags)
{
	static const struct {
		uint32_t bit;
		const char *word;
	} names[] = {
	    {EVF_REUSED, "reused"},           {EVF_WAS_IDLE, "was_idle"},
	    {EVF_WAITED, "waited"},           {EVF_GO_REUSED, "go_reused"},
	    {EVF_WAS_DIALING, "was_dialing"}, {EVF_TLS, "tls"},
	    {EVF_LEAKED, "leaked"},           {EVF_H2, "h2"},
	    {EVF_H2_SLOT, "stream_wait"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			append(buf, size, len, " %s", names[i].word);
}

char *trace_format(const struct scenario *sc, const struct ps_event *ev, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	append(buf, size, &len, "%4" PRId64 ".%06" PRId64 "s %-10s ", ev->t / PS_SEC,
	       (ev->t % PS_SEC) / PS_US, host_name(sc, ev->host));
	if (ev->conn_id)
		append(buf, size, &len, "#%-5u ", ev->conn_id);
	else
		append(buf, size, &len, "%-6s ", "-");
	append(buf, size, &len, "%-13s %-4s", ev_kind_name((enum ev_kind)ev->kind), ev_rule_id(ev));
	if (ev->req)
		append(buf, size, &len, " req=%u", ev->req);
	switch (ev->kind) {
	case EV_REQ_DONE:
		append(buf, size, &len, " latency=%.3fms", (double)ev->value / (double)PS_MS);
		break;
	case EV_CONN_IDLE:
		if (ev->value != PS_TIME_NEVER)
			append(buf, size, &len, " until=%" PRId64 ".%06" PRId64 "s",
			       ev->value / PS_SEC, (ev->value % PS_SEC) / PS_US);
		break;
	case EV_PERMIT_WAIT:
		append(buf, size, &len, " MaxConnsPerHost=%" PRId64, ev->value);
		break;
	case EV_SERVER_ACTION:
		append(buf, size, &len, " %s",
		       ev_server_action_name((enum ev_server_action)ev->value));
		break;
	case EV_KERNEL_SAMPLE:
		append(buf, size, &len, " established=%" PRId64 " time_wait=%u fds=%u", ev->value,
		       ev->conn, ev->flags);
		return buf;
	case EV_RUN_END:
		append(buf, size, &len, " in_flight=%" PRId64, ev->value);
		break;
	default:
		break;
	}
	if (ev->reason != R_NONE)
		append(buf, size, &len, " %s (%s)", ev_reason_go_name((enum ev_reason)ev->reason),
		       ev_reason_category_name((enum ev_reason)ev->reason));
	append_flags(buf, size, &len, ev->flags);
	while (len > 0 && buf[len - 1] == ' ')
		buf[--len] = '\0';
	return buf;
}

static void trace_on_event(void *ctx, const struct ps_event *ev)
{
	struct trace *t = ctx;
	char line[256];
	fprintf(t->out, "%s\n", trace_format(t->sc, ev, line, sizeof(line)));
	if (t->teach && rule_tracker_first(&t->taught, ev)) {
		char text[400];
		const char *p = ev_rule_teach_text(ev, text, sizeof(text));
		while (p) {
			const char *nl = strchr(p, '\n');
			fprintf(t->out, TRACE_TEACH_MARK "%.*s\n",
			        (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
			p = nl ? nl + 1 : NULL;
		}
	}
}

struct ev_sink trace_sink(struct trace *t)
{
	return (struct ev_sink){.on_event = trace_on_event, .ctx = t};
}

void csv_init(struct csv *c, const struct stats *st, FILE *out, ps_time interval)
{
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->out = out;
	c->interval = interval > 0 ? interval : 100 * PS_MS;
	c->time_scale_back = 1.0;
	fprintf(out, "t,host,open,active,idle,dialing,waiting,dials,closed,time_wait\n");
}

static void csv_row(struct csv *c, ps_time t, const char *host, const struct counts *g,
                    int64_t time_wait)
{
	double secs = (double)t / (double)PS_SEC * c->time_scale_back;
	fprintf(c->out, "%.3f,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld\n", secs, host,
	        (long long)g->open, (long long)g->active, (long long)g->idle, (long long)g->dialing,
	        (long long)g->waiting, (long long)g->dials, (long long)g->closed,
	        (long long)time_wait);
}

/* Rows for every sample time up to `until`, with the gauges as they stand before the record.
 * A sample is never earlier than a record already counted, so TIME_WAIT may expire up to it. */
static void csv_flush(struct csv *c, ps_time until)
{
	struct timewait *tw = (struct timewait *)&c->st->ports;
	while (c->next <= until) {
		for (uint32_t h = 0; h < c->st->sc->n_hosts; h++)
			csv_row(c, c->next, c->st->sc->hosts[h].name, &c->st->count.hosts[h],
			        timewait_count(tw, h, c->next));
		if (c->st->sc->n_hosts > 1)
			csv_row(c, c->next, "*", &c->st->count.total,
			        timewait_count(tw, PS_NONE, c->next));
		c->next += c->interval;
	}
}

static void csv_on_event(void *ctx, const struct ps_event *ev)
{
	struct csv *c = ctx;
	if (ev->kind == EV_RUN_END) {
		csv_flush(c, ev->t);
		return;
	}
	csv_flush(c, ev->t - 1);
}

struct ev_sink csv_sink(struct csv *c)
{
	return (struct ev_sink){.on_event = csv_on_event, .ctx = c};
}
