/*
 * events.c: the event stream as JSON lines (see events.h). Every line is
 * built from the record alone; values that are absent in the Go probe's
 * records (0, "never") are left out the same way.
 */
#include "events.h"

#include <inttypes.h>

#include "stats.h"

const char *events_flag_name(uint32_t bit)
{
	switch (bit) {
	case EVF_REUSED:
		return "reused";
	case EVF_WAS_IDLE:
		return "was_idle";
	case EVF_WAITED:
		return "waited";
	case EVF_GO_REUSED:
		return "go_reused";
	case EVF_WAS_DIALING:
		return "was_dialing";
	case EVF_TLS:
		return "tls";
	case EVF_PERMIT:
		return "permit";
	case EVF_LEAKED:
		return "leaked";
	case EVF_H2:
		return "h2";
	case EVF_H2_SLOT:
		return "stream_wait";
	}
	return NULL;
}

static void duration_field(FILE *out, const char *key, ps_time d)
{
	char buf[48];
	fprintf(out, ",\"%s\":\"%s\"", key, format_duration(d, buf, sizeof buf));
}

void events_begin(struct events_out *e, const struct scenario *sc, FILE *out, const char *source)
{
	e->sc = sc;
	e->out = out;
	fprintf(out,
	        "{\"kind\":\"stream\",\"format\":\"poolsim-events\",\"version\":1,\"source\":");
	stats_json_string(out, source);
	fprintf(out, ",\"scenario\":");
	stats_json_string(out, sc->title);
	fprintf(out, "}\n");
	const struct transport_config *t = &sc->transport;
	fprintf(out,
	        "{\"kind\":\"transport\",\"transport\":0,\"MaxIdleConns\":%" PRId64
	        ",\"MaxIdleConnsPerHost\":%" PRId64 ",\"MaxConnsPerHost\":%" PRId64,
	        t->MaxIdleConns, t->MaxIdleConnsPerHost, t->MaxConnsPerHost);
	duration_field(out, "IdleConnTimeout", t->IdleConnTimeout);
	fprintf(out, ",\"DisableKeepAlives\":%s", t->DisableKeepAlives ? "true" : "false");
	duration_field(out, "TLSHandshakeTimeout", t->TLSHandshakeTimeout);
	duration_field(out, "ResponseHeaderTimeout", t->ResponseHeaderTimeout);
	duration_field(out, "DialTimeout", t->DialTimeout);
	fprintf(out, "}\n");
	for (uint32_t h = 0; h < sc->n_hosts; h++) {
		fprintf(out, "{\"kind\":\"host\",\"host\":%" PRIu32 ",\"name\":", h);
		stats_json_string(out, sc->hosts[h].name);
		fprintf(out, "}\n");
	}
}

static void write_flags(FILE *out, uint32_t flags)
{
	bool any = false;
	for (uint32_t bit = 1; bit < (1u << EVENTS_FLAG_BITS); bit <<= 1) {
		const char *name = events_flag_name(bit);
		if (!(flags & bit) || !name)
			continue;
		fprintf(out, "%s\"%s\"", any ? "," : ",\"flags\":[", name);
		any = true;
	}
	if (any)
		fputc(']', out);
}

static void events_on_event(void *ctx, const struct ps_event *ev)
{
	struct events_out *e = ctx;
	FILE *out = e->out;
	fprintf(out, "{\"t\":%" PRId64 ",\"kind\":\"%s\"", ev->t,
	        ev_kind_name((enum ev_kind)ev->kind));
	if (ev->host != PS_NONE)
		fprintf(out, ",\"host\":%" PRIu32, ev->host);
	if (ev->kind == EV_KERNEL_SAMPLE) { /* its fields carry the kernel's counts (event.h) */
		fprintf(out,
		        ",\"established\":%" PRId64 ",\"time_wait\":%" PRIu32 ",\"fds\":%" PRIu32
		        "}\n",
		        ev->value, ev->conn, ev->flags);
		return;
	}
	if (ev->conn != PS_NONE)
		fprintf(out, ",\"conn\":%" PRIu32 ",\"conn_id\":%" PRIu32, ev->conn, ev->conn_id);
	if (ev->req)
		fprintf(out, ",\"req\":%" PRIu32, ev->req);
	if (ev->reason != R_NONE) {
		enum ev_reason r = (enum ev_reason)ev->reason;
		fprintf(out, ",\"reason\":\"%s\",\"cause\":\"%s\"", ev_reason_category_name(r),
		        ev_reason_go_name(r));
	}
	if (ev->kind == EV_RUN_END) { /* its flags are the run's stop (event.h) */
		const char *why = run_stop_name((enum run_stop)ev->flags);
		if (why)
			fprintf(out, ",\"stopped\":\"%s\"", why);
	} else {
		write_flags(out, ev->flags);
	}
	bool never = ev->kind == EV_CONN_IDLE && ev->value == PS_TIME_NEVER;
	if (ev->value != 0 && !never)
		fprintf(out, ",\"value\":%" PRId64, ev->value);
	if (ev->kind == EV_SERVER_ACTION)
		fprintf(out, ",\"action\":\"%s\"",
		        ev_server_action_name((enum ev_server_action)ev->value));
	if (ev->kind == EV_RUN_END)
		fprintf(out, ",\"dropped\":0");
	fputs("}\n", out);
}

struct ev_sink events_sink(struct events_out *e)
{
	return (struct ev_sink){.on_event = events_on_event, .ctx = e};
}
