/*
 * fuzz_model.c: libFuzzer model fuzzer for the simulator (pool, client,
 * simnet, des, stats).
 *
 * Owns the mapping "fuzz bytes -> a small VALID scenario" and the properties
 * checked on its run. The bytes choose, from small menus, 1-4 hosts, 1-4
 * loads of any kind, 0-3 server events and every Transport field (negatives
 * and 0 included), base, go version and Client.Timeout; the scenario is
 * written as INI text and read by the real reader (a refusal is a bug: the
 * menus only hold legal values). The run checks, and aborts on a break:
 *   - the pool's invariants after every record (sim_set_check_invariants);
 *   - per record: time never goes backwards, nothing follows EV_RUN_END, no
 *     gauge or counter of the summary is negative, total = sum of hosts;
 *   - at the end: ok + failed + unfinished = requests (total and per host),
 *     closed = sum of closes, dials - closed = open;
 *   - determinism: a second run gives the same record stream (hash).
 * Must not: keep state between inputs, or run unbounded: a run stops after
 * STEP_BUDGET des events, at OPEN_BUDGET open conns, or once the invariant
 * checks have walked CHECK_BUDGET conns and requests in all (then only the
 * per-record checks apply).
 * FUZZ_MODEL_PRINT=1 prints each input's scenario text to stderr.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "sim.h"
#include "stats.h"

#define STEP_BUDGET 40000
/* The invariant check walks every conn after every record: stop a run (a leak) that opens more. */
#define OPEN_BUDGET 500
/* The invariant check after every record walks every open conn and live request: 40,000 records
 * of ~500 each took over 5 s under the sanitizers (a slow unit the fuzzer reports). Stop sooner. */
#define CHECK_BUDGET 4000000
#define TEXT_MAX     8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---------------------------------------------------------------- bytes -> choices */

struct bytes {
	const uint8_t *p;
	size_t n, i;
};

/* pick: a choice in 0..k-1 (0 once the input is used up). */
static unsigned pick(struct bytes *b, unsigned k)
{
	if (b->i >= b->n || k <= 1)
		return 0;
	return b->p[b->i++] % k;
}

#define CHOOSE(b, menu) ((menu)[pick((b), sizeof(menu) / sizeof((menu)[0]))])

struct text {
	char buf[TEXT_MAX];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof t->buf - t->len) {
		fprintf(stderr, "fuzz_model: scenario text too long\n");
		abort();
	}
	t->len += (size_t)n;
}

static const char *const int_idle[] = {"-1", "0", "1", "2", "3", "100"};
static const char *const int_idle_host[] = {"-1", "0", "1", "2", "5"};
static const char *const int_conns_host[] = {"-1", "0", "1", "2", "4"};
static const char *const dur_idle[] = {"-1s", "0", "1ms", "50ms", "1s", "90s"};
static const char *const dur_tls[] = {"-1s", "0", "1ms", "5ms", "10s"};
static const char *const dur_header[] = {"-1s", "0", "5ms", "30ms", "1s"};
static const char *const dur_dial[] = {"-1s", "0", "500us", "1ms", "2ms", "30s"};
static const char *const dur_client[] = {"0", "5ms", "30ms", "200ms", "1s"};
static const char *const dur_dial_latency[] = {"0", "1ms", "3ms", "50ms"};
static const char *const dur_tls_latency[] = {"0", "2ms", "20ms"};
/* No 0 service time: with think = 0 a worker would loop forever at one instant. */
static const char *const dists[] = {"1ms",   "5ms", "20ms", "exp:20ms", "uniform:1ms..50ms",
                                    "200ms", "2s"};
static const char *const dur_server_idle[] = {"0", "1ms", "10ms", "100ms", "1s"};
static const char *const int_max_requests[] = {"0", "1", "2", "3", "10"};
static const char *const dur_think[] = {"0", "1ms", "10ms", "50ms", "100ms", "1s"};
static const char *const int_requests[] = {"0", "0", "1", "2", "5"};
static const char *const rates[] = {"1/s", "10/s", "50/s", "200/s"};
static const char *const bodies[] = {"close", "close", "early_close", "leak"};
static const char *const clients[] = {"shared", "shared", "new_per_request"};
static const char *const actions[] = {"close_idle", "restart", "down"};
static const char *const dur_for[] = {"1ms", "10ms", "100ms", "1s"};
static const long duration_ms[] = {100, 1000, 5000, 10000, 30000};

static void gen_head(struct bytes *b, struct text *t)
{
	put(t, "[scenario]\nname = fuzz\nduration = %ldms\nseed = %u\n", CHOOSE(b, duration_ms),
	    pick(b, 256));
	put(t, "base = %s\ngo = %s\n", pick(b, 2) ? "zero" : "default",
	    pick(b, 2) ? "current" : "1.19");
	put(t, "[transport]\n");
	/* Each field is set or left at the base value. */
	if (pick(b, 2))
		put(t, "MaxIdleConns = %s\n", CHOOSE(b, int_idle));
	if (pick(b, 2))
		put(t, "MaxIdleConnsPerHost = %s\n", CHOOSE(b, int_idle_host));
	if (pick(b, 2))
		put(t, "MaxConnsPerHost = %s\n", CHOOSE(b, int_conns_host));
	if (pick(b, 2))
		put(t, "IdleConnTimeout = %s\n", CHOOSE(b, dur_idle));
	if (pick(b, 4) == 0)
		put(t, "DisableKeepAlives = true\n");
	if (pick(b, 2))
		put(t, "TLSHandshakeTimeout = %s\n", CHOOSE(b, dur_tls));
	if (pick(b, 2))
		put(t, "ResponseHeaderTimeout = %s\n", CHOOSE(b, dur_header));
	if (pick(b, 2))
		put(t, "DialTimeout = %s\n", CHOOSE(b, dur_dial));
	put(t, "[client]\nTimeout = %s\n", CHOOSE(b, dur_client));
}

static void gen_hosts(struct bytes *b, struct text *t, unsigned n_hosts)
{
	for (unsigned h = 0; h < n_hosts; h++) {
		put(t, "[host h%u]\ntls = %s\n", h, pick(b, 2) ? "true" : "false");
		put(t, "dial_latency = %s\ntls_latency = %s\n", CHOOSE(b, dur_dial_latency),
		    CHOOSE(b, dur_tls_latency));
		put(t, "service_time = %s\n", CHOOSE(b, dists));
		put(t, "server_idle_timeout = %s\n", CHOOSE(b, dur_server_idle));
		put(t, "server_max_requests = %s\n", CHOOSE(b, int_max_requests));
	}
}

/* A time in tenths of the duration: 0, d/10, ..., d. */
static long tenth(struct bytes *b, long dur_ms, unsigned lo)
{
	unsigned k = lo + pick(b, 11 - lo);
	return dur_ms * (long)k / 10;
}

static void gen_loads(struct bytes *b, struct text *t, unsigned n_hosts, long dur_ms)
{
	unsigned n_loads = 1 + pick(b, 4);
	for (unsigned i = 0; i < n_loads; i++) {
		put(t, "[load l%u]\nhost = h%u\n", i, pick(b, n_hosts));
		unsigned kind = pick(b, 3);
		long start = pick(b, 3) == 0 ? tenth(b, dur_ms, 0) : 0;
		if (kind == 0) {
			put(t, "workers = %u\nthink = %s\nrequests = %s\n", 1 + pick(b, 8),
			    CHOOSE(b, dur_think), CHOOSE(b, int_requests));
		} else if (kind == 1) {
			put(t, "rate = %s\narrival = %s\n", CHOOSE(b, rates),
			    pick(b, 2) ? "uniform" : "poisson");
		} else {
			put(t, "count = %u\n", 1 + pick(b, 50));
		}
		put(t, "start = %ldms\n", start);
		if (kind != 2 && pick(b, 2)) {
			long stop = tenth(b, dur_ms, 0);
			put(t, "stop = %ldms\n", stop < start ? start : stop);
		}
		put(t, "body = %s\nclient = %s\n", CHOOSE(b, bodies), CHOOSE(b, clients));
	}
}

static void gen_events(struct bytes *b, struct text *t, unsigned n_hosts, long dur_ms)
{
	unsigned n_events = pick(b, 4);
	for (unsigned i = 0; i < n_events; i++) {
		unsigned action = pick(b, 3);
		put(t, "[event e%u]\nat = %ldms\nhost = h%u\naction = %s\n", i, tenth(b, dur_ms, 0),
		    pick(b, n_hosts), actions[action]);
		if (action == 2)
			put(t, "for = %s\n", CHOOSE(b, dur_for));
	}
}

static void gen_scenario(const uint8_t *data, size_t size, struct text *t)
{
	struct bytes b = {data, size, 0};
	t->len = 0;
	t->buf[0] = '\0';
	gen_head(&b, t);
	long dur_ms = 0;
	sscanf(strstr(t->buf, "duration = ") + strlen("duration = "), "%ld", &dur_ms);
	unsigned n_hosts = 1 + pick(&b, 4);
	gen_hosts(&b, t, n_hosts);
	gen_loads(&b, t, n_hosts, dur_ms);
	gen_events(&b, t, n_hosts, dur_ms);
}

/* ---------------------------------------------------------------- checks */

struct checker {
	const struct stats *st;
	const char *text; /* printed on a break, so the scenario can be rerun by hand */
	uint64_t hash;
	ps_time last_t;
	bool ended;
};

static void broken(const struct checker *ck, const char *what)
{
	fprintf(stderr, "fuzz_model: property broken: %s\n--- scenario ---\n%s----------------\n",
	        what, ck->text);
	abort();
}

static void hash_u64(uint64_t *h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		*h ^= (v >> (8 * i)) & 0xff;
		*h *= 0x100000001b3ULL; /* FNV-1a */
	}
}

static bool counts_negative(const struct counts *c)
{
	return c->requests < 0 || c->ok < 0 || c->failed < 0 || c->dials < 0 ||
	       c->dial_failures < 0 || c->tls_handshakes < 0 || c->reused < 0 || c->closed < 0 ||
	       c->retries < 0 || c->leaked < 0 || c->open < 0 || c->idle < 0 || c->active < 0 ||
	       c->waiting < 0 || c->dialing < 0;
}

static void check_gauges(const struct checker *ck)
{
	const struct stats *st = ck->st;
	if (counts_negative(&st->count.total))
		broken(ck, "a total counter or gauge is negative");
	int64_t open = 0, idle = 0, waiting = 0, requests = 0;
	for (uint32_t h = 0; h < st->sc->n_hosts; h++) {
		const struct counts *hc = &st->count.hosts[h];
		if (counts_negative(hc))
			broken(ck, "a host counter or gauge is negative");
		open += hc->open;
		idle += hc->idle;
		waiting += hc->waiting;
		requests += hc->requests;
	}
	if (open != st->count.total.open || idle != st->count.total.idle ||
	    waiting != st->count.total.waiting || requests != st->count.total.requests)
		broken(ck, "totals differ from the sum of the hosts");
	if (st->count.total.idle > st->count.total.open)
		broken(ck, "more idle conns than open ones");
}

/* Registered after the stats sink, so the gauges already include this record. */
static void on_record(void *ctx, const struct ps_event *ev)
{
	struct checker *ck = ctx;
	if (ck->ended)
		broken(ck, "a record after EV_RUN_END");
	if (ev->t < ck->last_t)
		broken(ck, "time went backwards");
	ck->last_t = ev->t;
	if (ev->kind == EV_RUN_END)
		ck->ended = true;
	hash_u64(&ck->hash, (uint64_t)ev->t);
	hash_u64(&ck->hash, (uint64_t)ev->value);
	hash_u64(&ck->hash, ((uint64_t)ev->kind << 48) | ((uint64_t)ev->reason << 32) | ev->flags);
	hash_u64(&ck->hash, ((uint64_t)ev->host << 32) | ev->conn);
	hash_u64(&ck->hash, ((uint64_t)ev->conn_id << 32) | ev->req);
	check_gauges(ck);
}

static void check_end(const struct checker *ck)
{
	const struct stats *st = ck->st;
	const struct counts *t = &st->count.total;
	if (t->ok + t->failed + t->unfinished != t->requests || t->unfinished < 0)
		broken(ck, "requests not conserved (ok + failed + unfinished != requests)");
	for (uint32_t h = 0; h < st->sc->n_hosts; h++) {
		const struct counts *hc = &st->count.hosts[h];
		if (hc->ok + hc->failed + hc->unfinished != hc->requests || hc->unfinished < 0)
			broken(ck, "requests of a host not conserved");
	}
	int64_t closes = 0;
	for (int r = 0; r < R_CLOSE_CATEGORY_COUNT; r++) {
		if (st->count.total.closes[r] < 0)
			broken(ck, "a close count is negative");
		closes += st->count.total.closes[r];
	}
	if (closes != t->closed)
		broken(ck, "closed differs from the sum of closes");
	if (t->dials - t->closed != t->open)
		broken(ck, "dials - closed differs from open");
	if (t->dial_failures > t->dials || t->tls_handshakes > t->dials)
		broken(ck, "more dial failures or handshakes than dials");
	if (t->reused > t->requests)
		broken(ck, "more reused than requests");
}

/* run_once: one run; true if it reached EV_RUN_END within the budget. */
static bool run_once(const struct scenario *sc, const char *text, uint64_t *hash)
{
	struct stats st;
	if (stats_init(&st, sc, "sim"))
		abort();
	struct sim *s = sim_create(sc);
	if (!s)
		abort();
	struct checker ck = {.st = &st, .text = text, .hash = 0xcbf29ce484222325ULL};
	sim_add_sink(s, stats_sink(&st));
	sim_add_sink(s, (struct ev_sink){.on_event = on_record, .ctx = &ck});
	sim_set_check_invariants(s, true);
	sim_start(s);
	long steps = 0;
	int64_t walked = 0; /* conns and requests the invariant checks have walked, about */
	const struct counts *t = &st.count.total;
	while (steps < STEP_BUDGET && t->open < OPEN_BUDGET && walked < CHECK_BUDGET &&
	       sim_step(s)) {
		steps++;
		walked += t->open + t->requests - t->ok - t->failed;
	}
	bool finished = sim_finished(s);
	if (finished)
		check_end(&ck);
	*hash = ck.hash;
	sim_destroy(s);
	stats_free(&st);
	return finished;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text *t = malloc(sizeof *t);
	if (!t)
		return 0;
	gen_scenario(data, size, t);
	if (getenv("FUZZ_MODEL_PRINT"))
		fputs(t->buf, stderr); /* to rerun an input's scenario with poolsim itself */
	struct scenario sc;
	struct scenario_error err;
	if (scenario_load_string(t->buf, "model.ini", &sc, &err) != 0) {
		/* The progress rule (docs/format.md) refuses a think-0 worker whose requests can
		 * end at once (a negative Dial or TLS timeout, an instant refusal): the reader
		 * doing its job, not a finding; such a run would never end. */
		if (strstr(err.message, "the progress rule")) {
			free(t);
			return 0;
		}
		fprintf(stderr,
		        "fuzz_model: the reader refused a generated scenario: line %d: %s\n%s",
		        err.line, err.message, t->buf);
		abort();
	}
	uint64_t h1, h2;
	bool finished = run_once(&sc, t->buf, &h1);
	if (finished) {
		run_once(&sc, t->buf, &h2);
		if (h1 != h2) {
			fprintf(stderr, "fuzz_model: two runs of one scenario differ\n%s", t->buf);
			abort();
		}
	}
	scenario_free(&sc);
	free(t);
	return 0;
}
