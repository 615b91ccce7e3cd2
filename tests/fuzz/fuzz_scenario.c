/*
 * fuzz_scenario.c: libFuzzer harness for the scenario reader (sim/scenario/).
 *
 * Owns only the properties checked on arbitrary text: scenario_load_string
 * never crashes, leaks or reads out of bounds; a refusal carries a message;
 * an accepted scenario obeys the limits docs/format.md promises (so the
 * simulator is never handed an impossible one); and every duration the
 * reader accepts survives format_duration -> parse_duration unchanged.
 * Must not: print anything on success, or keep state between inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define TIME_MAX_NS (1000 * 3600 * PS_SEC)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_scenario: property broken: %s\n", what);
	abort();
}

static void check_time(ps_time t, const char *what)
{
	if (t < 0 || t > TIME_MAX_NS)
		broken(what);
}

static void check_dist(const struct dist *d)
{
	check_time(d->lo, "service_time low out of range");
	if (d->kind == DIST_UNIFORM && d->hi < d->lo)
		broken("uniform service_time with high < low");
}

static void check_hosts(const struct scenario *sc)
{
	for (uint32_t i = 0; i < sc->n_hosts; i++) {
		const struct host_spec *h = &sc->hosts[i];
		if (memchr(h->name, '\0', sizeof h->name) == NULL || h->name[0] == '\0')
			broken("host name not terminated or empty");
		check_time(h->dial_latency, "dial_latency out of range");
		check_time(h->tls_latency, "tls_latency out of range");
		check_time(h->server_idle_timeout, "server_idle_timeout out of range");
		check_dist(&h->service_time);
		if (h->server_max_requests < 0)
			broken("negative server_max_requests");
	}
}

static void check_loads(const struct scenario *sc)
{
	int64_t workers = 0, count = 0;
	for (uint32_t i = 0; i < sc->n_loads; i++) {
		const struct load_spec *l = &sc->loads[i];
		if (l->host >= sc->n_hosts)
			broken("load names a host out of range");
		check_time(l->start, "load start out of range");
		if (l->start > sc->duration)
			broken("load starts after the duration");
		if (l->kind != LOAD_COUNT && (l->stop < l->start || l->stop > sc->duration))
			broken("load stop outside start..duration");
		switch (l->kind) {
		case LOAD_WORKERS:
			if (l->workers < 1 || l->workers > 1000000)
				broken("workers out of range");
			check_time(l->think, "think out of range");
			if (l->requests < 0)
				broken("negative requests per worker");
			workers += l->workers;
			break;
		case LOAD_RATE:
			if (!(l->rate > 0.0 && l->rate <= 10000000.0))
				broken("rate out of range");
			break;
		case LOAD_COUNT:
			if (l->count < 1 || l->count > 10000000)
				broken("count out of range");
			count += l->count;
			break;
		case LOAD_REPLAY:
			/* A fuzzed file names no replay file that exists, or one the reader checked
			 * whole; either way what was accepted must be a usable load. */
			if (!l->replay || !(l->replay_speed > 0.0) || l->replay_rows < 0)
				broken("replay load without a file, a speed or rows");
			break;
		}
	}
	if (workers > 1000000 || count > 10000000)
		broken("total workers or count over the limit");
}

static void check_actions(const struct scenario *sc)
{
	for (uint32_t i = 0; i < sc->n_actions; i++) {
		const struct server_action_spec *e = &sc->actions[i];
		if (e->host >= sc->n_hosts)
			broken("event names a host out of range");
		if (e->at < 0 || e->at > sc->duration)
			broken("event time outside 0..duration");
		if (e->action == SRV_DOWN && e->down_for <= 0)
			broken("down event without a positive 'for'");
	}
}

static void check_accepted(const struct scenario *sc)
{
	if (sc->duration <= 0 || sc->duration > TIME_MAX_NS)
		broken("duration out of range");
	if (sc->n_hosts < 1 || sc->n_hosts > 10000 || sc->n_loads < 1 || sc->n_loads > 100000 ||
	    sc->n_actions > 100000)
		broken("section counts out of range");
	if (memchr(sc->title, '\0', sizeof sc->title) == NULL ||
	    memchr(sc->warnings, '\0', sizeof sc->warnings) == NULL)
		broken("title or warnings not terminated");
	if (sc->client_timeout < 0)
		broken("negative Client.Timeout");
	check_hosts(sc);
	check_loads(sc);
	check_actions(sc);
}

/* The first line of the input, if it parses as a duration, must round-trip through Go's format. */
static void check_duration_roundtrip(const char *text)
{
	char line[128];
	size_t n = strcspn(text, "\n");
	if (n >= sizeof line)
		return;
	memcpy(line, text, n);
	line[n] = '\0';
	ps_time v, again;
	if (parse_duration(line, &v) != 0)
		return;
	char buf[64];
	format_duration(v, buf, sizeof buf);
	if (parse_duration(buf, &again) != 0)
		broken("format_duration printed what parse_duration refuses");
	if (again != v)
		broken("duration changed in format -> parse");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ((size_t)1 << 20) + 64)
		return 0; /* the reader refuses > 1 MiB before parsing; nothing to learn */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct scenario sc;
	struct scenario_error err;
	memset(&err, 0, sizeof err);
	if (scenario_load_string(text, "fuzz.ini", &sc, &err) == 0) {
		check_accepted(&sc);
		scenario_free(&sc);
	} else {
		if (memchr(err.message, '\0', sizeof err.message) == NULL || err.message[0] == '\0')
			broken("refusal without a message");
		if (err.line < 0)
			broken("refusal on a negative line");
	}
	check_duration_roundtrip(text);
	free(text);
	return 0;
}
