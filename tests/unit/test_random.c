/*
 * test_random.c: random scenarios, each a mix of the features whose rules meet in the pool
 * (HTTP/2 and HTTP/1 hosts side by side, MaxConnsPerHost, leaked and early-closed bodies,
 * every timeout, server closes and restarts, cancels, new clients per request) with round
 * times, so ties at one instant are common. Each runs with the pool's invariants checked after
 * every record; it must not crash (each is its own forked test, so one that does is named),
 * and its summary must add up. The scenarios are the same on every run (fixed seeds).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "sim.h"
#include "stats.h"

#define RANDOM_SCENARIOS 300

struct text {
	char buf[8192];
	size_t len;
};

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof(t->buf) - t->len);
	t->len += (size_t)n;
}

/* splitmix64: a good stream from any seed, so neighbouring seeds give unrelated scenarios. */
PS_MODULAR static uint64_t next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned pick(uint64_t *x, unsigned n)
{
	return (unsigned)(next(x) % n);
}

static bool chance(uint64_t *x, unsigned percent)
{
	return pick(x, 100) < percent;
}

static const char *one_of(uint64_t *x, const char *const *choices, unsigned n)
{
	return choices[pick(x, n)];
}
#define ONE_OF(x, ...)                                                                             \
	one_of(x, (const char *const[]){__VA_ARGS__},                                              \
	       sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void add_transport(struct text *t, uint64_t *x, bool strict_allowed)
{
	add(t, "[transport]\n");
	add(t, "MaxIdleConns = %s\n", ONE_OF(x, "0", "1", "2", "100"));
	add(t, "MaxIdleConnsPerHost = %s\n", ONE_OF(x, "0", "1", "2", "5"));
	add(t, "MaxConnsPerHost = %s\n", ONE_OF(x, "0", "0", "1", "2", "3"));
	add(t, "IdleConnTimeout = %s\n", ONE_OF(x, "0", "20ms", "100ms", "1s"));
	if (chance(x, 10))
		add(t, "DisableKeepAlives = true\n");
	if (chance(x, 10))
		add(t, "TLSHandshakeTimeout = %s\n", ONE_OF(x, "1ms", "2ms", "3ms"));
	if (chance(x, 20))
		add(t, "ResponseHeaderTimeout = %s\n", ONE_OF(x, "5ms", "20ms", "50ms"));
	if (chance(x, 15))
		add(t, "DialTimeout = %s\n", ONE_OF(x, "1ms", "2ms", "5ms"));
	if (chance(x, 50))
		add(t, "ForceAttemptHTTP2 = true\n");
	if (strict_allowed && chance(x, 20))
		add(t, "StrictMaxConcurrentRequests = true\n");
	if (chance(x, 20))
		add(t, "[client]\nTimeout = %s\n", ONE_OF(x, "20ms", "100ms", "1s"));
}

/* Returns whether a request to the host can end in 0s (a service time of exp can be 0, a dial
 * of 0s can fail at once): a worker there must then think. */
static bool add_host(struct text *t, uint64_t *x, unsigned i)
{
	bool tls = chance(x, 50), h2 = tls && chance(x, 60);
	const char *service = ONE_OF(x, "1ms", "2ms", "10ms", "exp:5ms", "uniform:1ms..20ms");
	add(t, "[host h%u]\n", i);
	add(t, "service_time = %s\n", service);
	const char *dial = ONE_OF(x, "0", "1ms", "5ms");
	add(t, "dial_latency = %s\n", dial);
	if (tls)
		add(t, "tls = true\ntls_latency = %s\n", ONE_OF(x, "0", "2ms", "4ms"));
	if (h2) {
		add(t, "h2 = true\n");
		if (chance(x, 60))
			add(t, "max_concurrent_streams = %s\n", ONE_OF(x, "1", "2", "3", "100"));
	} else {
		if (chance(x, 25))
			add(t, "rtt = %s\n", ONE_OF(x, "1ms", "2ms", "10ms"));
		if (chance(x, 20))
			add(t, "server_max_requests = %s\n", ONE_OF(x, "1", "3", "10"));
		if (chance(x, 10))
			add(t, "close_after_response = true\n");
	}
	if (chance(x, 40))
		add(t, "server_idle_timeout = %s\n", ONE_OF(x, "5ms", "20ms", "100ms"));
	return !strncmp(service, "exp:", 4) || !strcmp(dial, "0");
}

static void add_load(struct text *t, uint64_t *x, unsigned i, unsigned n_hosts,
                     const bool *can_be_instant)
{
	unsigned host = pick(x, n_hosts);
	add(t, "[load l%u]\nhost = h%u\n", i, host);
	switch (pick(x, 3)) {
	case 0: /* think 0 only where a request takes time (the reader's progress rule) */
		add(t, "workers = %u\nthink = %s\n", 1 + pick(x, 5),
		    can_be_instant[host] ? ONE_OF(x, "1ms", "5ms", "20ms")
		                         : ONE_OF(x, "0", "1ms", "5ms", "20ms"));
		break;
	case 1:
		add(t, "rate = %s\n", ONE_OF(x, "50/s", "200/s", "500/s"));
		if (chance(x, 30))
			add(t, "arrival = uniform\n");
		break;
	default:
		add(t, "count = %u\nstart = %s\n", 1 + pick(x, 20),
		    ONE_OF(x, "0", "10ms", "500ms"));
		break;
	}
	add(t, "body = %s\n", ONE_OF(x, "close", "close", "close", "early_close", "leak"));
	if (chance(x, 10))
		add(t, "client = new_per_request\n");
	if (chance(x, 20))
		add(t, "method = POST\nrequest_body = %s\n", ONE_OF(x, "0", "100"));
	if (chance(x, 10))
		add(t, "idempotency_key = true\n");
	if (chance(x, 10))
		add(t, "request_close = true\n");
}

static void add_event(struct text *t, uint64_t *x, unsigned i, unsigned n_hosts, unsigned n_loads)
{
	add(t, "[event e%u]\nat = %s\n", i, ONE_OF(x, "100ms", "500ms", "1s", "1500ms"));
	switch (pick(x, 6)) {
	case 0:
		add(t, "host = h%u\naction = close_idle\n", pick(x, n_hosts));
		break;
	case 4:
		add(t, "host = h%u\naction = send_408\n", pick(x, n_hosts));
		break;
	case 1:
		add(t, "host = h%u\naction = restart\n", pick(x, n_hosts));
		break;
	case 2:
		add(t, "host = h%u\naction = down\nfor = %s\n", pick(x, n_hosts),
		    ONE_OF(x, "10ms", "200ms"));
		break;
	case 3:
		add(t, "action = cancel\nload = l%u\nphase = %s\n", pick(x, n_loads),
		    ONE_OF(x, "any", "dialing", "waiting", "awaiting_headers"));
		break;
	default:
		add(t, "action = close_idle_connections\n");
		break;
	}
}

/* The scenario of seed `seed`: a few hosts, loads and events; 2 s of simulated time. */
static void random_scenario(uint64_t seed, struct text *t)
{
	uint64_t x = seed;
	t->len = 0;
	const char *go = ONE_OF(&x, "1.19", "1.21", "1.22", "1.24", "current");
	add(t, "[scenario]\nduration = 2s\nseed = %llu\ngo = %s\n", (unsigned long long)seed, go);
	/* A few ports, so dials find none free (EADDRNOTAVAIL). Such a dial fails at once, so no
	 * worker may then go again at once: it would loop at one instant (the progress rule). */
	bool few_ports = chance(&x, 15);
	if (few_ports)
		add(t, "time_wait = %s\nephemeral_ports = 40000-%s\n", ONE_OF(&x, "100ms", "60s"),
		    ONE_OF(&x, "40003", "40010"));
	add_transport(t, &x, !strcmp(go, "1.24") || !strcmp(go, "current"));
	unsigned n_hosts = 1 + pick(&x, 3), n_loads = 1 + pick(&x, 4);
	bool can_be_instant[3];
	for (unsigned h = 0; h < n_hosts; h++)
		can_be_instant[h] = add_host(t, &x, h) || few_ports;
	for (unsigned l = 0; l < n_loads; l++)
		add_load(t, &x, l, n_hosts, can_be_instant);
	for (unsigned e = 0, n = pick(&x, 3); e < n; e++)
		add_event(t, &x, e, n_hosts, n_loads);
}

static int64_t sum_closes(const struct counts *c)
{
	int64_t sum = 0;
	for (int r = R_IDLE_TIMEOUT; r < R_CLOSE_CATEGORY_COUNT; r++)
		sum += c->closes[r];
	return sum;
}

START_TEST(test_random_scenarios_keep_the_pools_invariants_and_add_up)
{
	struct text t;
	random_scenario(1000 + (uint64_t)_i, &t);
	struct scenario sc;
	struct scenario_error err;
	int rc = scenario_load_string(t.buf, "random", &sc, &err);
	ck_assert_msg(rc == 0, "seed %d, line %d: %s\n%s", 1000 + _i, err.line, err.message, t.buf);
	struct stats st;
	ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
	struct sim *s = sim_create(&sc);
	ck_assert_ptr_nonnull(s);
	sim_add_sink(s, stats_sink(&st));
	sim_set_check_invariants(s, true); /* a broken one aborts: this forked test fails */
	sim_start(s);
	sim_run(s);
	sim_destroy(s);
	const struct counts *c = &st.count.total;
	ck_assert_int_eq(c->ok + c->failed + c->unfinished, c->requests);
	ck_assert_int_eq(sum_closes(c), c->closed);
	ck_assert_int_le(c->closed, c->dials);
	ck_assert_int_le(c->reused, c->requests);
	stats_free(&st);
	scenario_free(&sc);
}
END_TEST

Suite *suite_random(void);
Suite *suite_random(void)
{
	Suite *s = suite_create("random");
	TCase *tc = tcase_create("random");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_random_scenarios_keep_the_pools_invariants_and_add_up, 0,
	                    RANDOM_SCENARIOS);
	suite_add_tcase(s, tc);
	return s;
}
