/*
 * settings.c: the effective settings of a run as JSON (settings.h).
 */
#include "settings.h"

#include <string.h>

#include "stats.h"

char *settings_dist_text(const struct dist *d, char *buf, size_t size)
{
	char lo[40], hi[40];
	format_duration(d->lo, lo, sizeof lo);
	if (d->kind == DIST_EXP)
		snprintf(buf, size, "exp:%s", lo);
	else if (d->kind == DIST_UNIFORM)
		snprintf(buf, size, "uniform:%s..%s", lo, format_duration(d->hi, hi, sizeof hi));
	else
		snprintf(buf, size, "%s", lo);
	return buf;
}

char *settings_rate_text(double per_second, char *buf, size_t size)
{
	snprintf(buf, size, "%.10g/s", per_second);
	return buf;
}

static void key_duration(FILE *out, const char *sep, const char *key, ps_time t)
{
	char d[40];
	fprintf(out, "%s\"%s\": \"%s\"", sep, key, format_duration(t, d, sizeof d));
}

static void print_transport(const struct transport_config *t, bool any_h2, FILE *out)
{
	fprintf(out,
	        "{\"MaxIdleConns\": %lld, \"MaxIdleConnsPerHost\": %lld, \"MaxConnsPerHost\": "
	        "%lld",
	        (long long)t->MaxIdleConns, (long long)t->MaxIdleConnsPerHost,
	        (long long)t->MaxConnsPerHost);
	key_duration(out, ", ", "IdleConnTimeout", t->IdleConnTimeout);
	fprintf(out, ", \"DisableKeepAlives\": %s", t->DisableKeepAlives ? "true" : "false");
	key_duration(out, ", ", "TLSHandshakeTimeout", t->TLSHandshakeTimeout);
	key_duration(out, ", ", "ResponseHeaderTimeout", t->ResponseHeaderTimeout);
	key_duration(out, ", ", "DialTimeout", t->DialTimeout);
	if (any_h2) /* it matters only where a host offers h2 (H1) */
		fprintf(out, ", \"ForceAttemptHTTP2\": %s",
		        t->ForceAttemptHTTP2 ? "true" : "false");
	if (t->StrictMaxConcurrentRequests) /* H5b; false is Go's default, and every older file's */
		fprintf(out, ", \"StrictMaxConcurrentRequests\": true");
	fputc('}', out);
}

static void print_host(const struct host_spec *h, FILE *out)
{
	char d[80];
	fprintf(out, "{\"tls\": %s", h->tls ? "true" : "false");
	key_duration(out, ", ", "dial_latency", h->dial_latency);
	key_duration(out, ", ", "tls_latency", h->tls_latency);
	fprintf(out, ", \"service_time\": \"%s\"",
	        settings_dist_text(&h->service_time, d, sizeof d));
	key_duration(out, ", ", "server_idle_timeout", h->server_idle_timeout);
	fprintf(out, ", \"server_max_requests\": %lld", (long long)h->server_max_requests);
	if (h->rtt > 0) /* keys beyond the contract's appear only when set */
		key_duration(out, ", ", "rtt", h->rtt);
	if (h->h2)
		fprintf(out, ", \"h2\": true, \"max_concurrent_streams\": %lld",
		        (long long)h->max_concurrent_streams);
	fputc('}', out);
}

static void print_load(const struct scenario *sc, const struct load_spec *l, FILE *out)
{
	static const char *const bodies[] = {"close", "early_close", "leak"};
	char d[80];
	fprintf(out, "{\"host\": ");
	stats_json_string(out, sc->hosts[l->host].name);
	if (l->kind == LOAD_WORKERS) {
		fprintf(out, ", \"workers\": %lld", (long long)l->workers);
		key_duration(out, ", ", "think", l->think);
		fprintf(out, ", \"requests\": %lld", (long long)l->requests);
	} else if (l->kind == LOAD_RATE) {
		fprintf(out, ", \"rate\": \"%s\", \"arrival\": \"%s\"",
		        settings_rate_text(l->rate, d, sizeof d),
		        l->arrival == ARRIVAL_UNIFORM ? "uniform" : "poisson");
	} else if (l->kind == LOAD_REPLAY) {
		fprintf(out, ", \"replay\": ");
		stats_json_string(out, l->replay);
		fprintf(out, ", \"replay_speed\": %.10g, \"replay_rows\": %lld", l->replay_speed,
		        (long long)l->replay_rows);
		if (l->replay_opt.format != REPLAY_DETECT)
			fprintf(out, ", \"replay_format\": \"%s\"",
			        replay_format_names[l->replay_opt.format]);
	} else {
		fprintf(out, ", \"count\": %lld", (long long)l->count);
	}
	key_duration(out, ", ", "start", l->start);
	if (l->kind != LOAD_COUNT)
		key_duration(out, ", ", "stop", l->stop);
	fprintf(out, ", \"body\": \"%s\", \"client\": \"%s\"", bodies[l->body],
	        l->new_client_per_request ? "new_per_request" : "shared");
	/* The extensions of #20 appear only when set, so older summaries stay as they were. */
	if (l->method != METHOD_GET)
		fprintf(out, ", \"method\": \"%s\"", http_method_names[l->method]);
	if (l->idempotency_key)
		fprintf(out, ", \"idempotency_key\": true");
	if (l->request_body > 0)
		fprintf(out, ", \"request_body\": %lld", (long long)l->request_body);
	fputc('}', out);
}

static void print_action(const struct scenario *sc, const struct server_action_spec *e, FILE *out)
{
	static const char *const phases[] = {"any", "dialing", "waiting", "awaiting_headers"};
	char d[40];
	fprintf(out, "{\"at\": \"%s\"", format_duration(e->at, d, sizeof d));
	if (e->host < sc->n_hosts) { /* a client action has no host */
		fprintf(out, ", \"host\": ");
		stats_json_string(out, sc->hosts[e->host].name);
	}
	fprintf(out, ", \"action\": \"%s\"", ev_server_action_name(e->action));
	if (e->action == SRV_DOWN)
		key_duration(out, ", ", "for", e->down_for);
	if (e->action == CLIENT_CANCEL) {
		fprintf(out, ", \"load\": ");
		stats_json_string(out, sc->loads[e->load].name);
		fprintf(out, ", \"phase\": \"%s\"", phases[e->phase]);
	}
	fputc('}', out);
}

void settings_print_json(const struct scenario *sc, FILE *out, const char *indent)
{
	fprintf(out, "{\n%s  \"scenario\": {", indent);
	key_duration(out, "", "duration", sc->duration);
	char go[16];
	fprintf(out,
	        ", \"seed\": %llu, \"base\": \"%s\", \"go\": \"%s\", \"go_release\": \"1.%d\"},\n",
	        (unsigned long long)sc->seed, sc->base_zero ? "zero" : "default",
	        scenario_go_key(sc, go, sizeof go), sc->go % 100);
	fprintf(out, "%s  \"transport\": ", indent);
	bool any_h2 = false;
	for (uint32_t h = 0; h < sc->n_hosts; h++)
		any_h2 |= sc->hosts[h].h2;
	print_transport(&sc->transport, any_h2, out);
	fprintf(out, ",\n%s  \"client\": {", indent);
	key_duration(out, "", "Timeout", sc->client_timeout);
	fprintf(out, "},\n%s  \"hosts\": {", indent);
	for (uint32_t i = 0; i < sc->n_hosts; i++) {
		fprintf(out, "%s\n%s    ", i ? "," : "", indent);
		stats_json_string(out, sc->hosts[i].name);
		fputs(": ", out);
		print_host(&sc->hosts[i], out);
	}
	fprintf(out, "},\n%s  \"loads\": {", indent);
	for (uint32_t i = 0; i < sc->n_loads; i++) {
		fprintf(out, "%s\n%s    ", i ? "," : "", indent);
		stats_json_string(out, sc->loads[i].name);
		fputs(": ", out);
		print_load(sc, &sc->loads[i], out);
	}
	fprintf(out, "},\n%s  \"events\": {", indent);
	for (uint32_t i = 0; i < sc->n_actions; i++) {
		fprintf(out, "%s\n%s    ", i ? "," : "", indent);
		stats_json_string(out, sc->actions[i].name);
		fputs(": ", out);
		print_action(sc, &sc->actions[i], out);
	}
	fprintf(out, "}\n%s}", indent);
}
