/*
 * test_sim.c: whole simulations. Every .ini file in tests/scenarios carries lines
 *     # expect: dials=18 reused=2 closes.max_idle_per_host=16 host.api.peak_open=10
 * computed by hand in the comments above them; each is run (with the pool's
 * invariants checked after every record) and every expected number must match
 * the summary exactly. Also: determinism of the trace, and conservation of
 * requests.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "rng.h"
#include "sim.h"
#include "stats.h"
#include "trace.h"

#define SCENARIO_DIR "tests/scenarios"

static int run_sim(const struct scenario *sc, struct stats *st, FILE *trace_out)
{
	struct sim *s = sim_create(sc);
	if (!s)
		return -1;
	struct trace tr = {.sc = sc, .out = trace_out};
	if (st)
		sim_add_sink(s, stats_sink(st));
	if (trace_out)
		sim_add_sink(s, trace_sink(&tr));
	sim_set_check_invariants(s, true);
	sim_start(s);
	sim_run(s);
	sim_destroy(s);
	return 0;
}

static const int64_t *total_field(const struct stats *st, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
#define F(x) {#x, offsetof(struct counts, x)}
	    F(requests),
	    F(ok),
	    F(failed),
	    F(unfinished),
	    F(dials),
	    F(dial_failures),
	    F(tls_handshakes),
	    F(reused),
	    F(closed),
	    F(peak_open),
	    F(peak_idle),
	    F(peak_waiting),
	    F(leaked),
	    F(retries),
	    F(peak_active),
	    {"streams", offsetof(struct counts, peak_streams)}, /* the JSON's "streams" */
#undef F
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].name, name))
			return (const int64_t *)((const char *)&st->count.total + fields[i].off);
	return NULL;
}

static const int64_t *host_field(const struct stats *st, const char *host, const char *name)
{
	for (uint32_t h = 0; h < st->sc->n_hosts; h++) {
		if (strcmp(st->sc->hosts[h].name, host))
			continue;
		const int64_t *t = total_field(st, name);
		if (!t)
			return NULL;
		size_t off = (size_t)((const char *)t - (const char *)&st->count.total);
		return (const int64_t *)((const char *)&st->count.hosts[h] + off);
	}
	return NULL;
}

static const int64_t *close_field(const struct stats *st, const char *name)
{
	for (int r = R_IDLE_TIMEOUT; r < R_CLOSE_CATEGORY_COUNT; r++)
		if (!strcmp(ev_reason_category_name((enum ev_reason)r), name))
			return &st->count.total.closes[r];
	return NULL;
}

/* check_expectation: "key=value"; 0 if it holds, else prints and returns 1. */
static int check_expectation(const char *file, const struct stats *st, const char *item)
{
	char key[128];
	long long want;
	if (sscanf(item, "%127[^=]=%lld", key, &want) != 2) {
		fprintf(stderr, "%s: bad expectation '%s'\n", file, item);
		return 1;
	}
	const int64_t *got = NULL;
	int64_t tw_value;
	if (!strncmp(key, "time_wait.", 10)) {
		/* time_wait.end / .peak / .peak_ports / .exhausted: core/timewait.h's figures. */
		struct timewait *tw = (struct timewait *)&st->ports;
		const char *f = key + 10;
		got = &tw_value;
		if (!strcmp(f, "end"))
			tw_value = timewait_count(tw, PS_NONE, st->end);
		else if (!strcmp(f, "peak"))
			tw_value = tw->total.peak_time_wait;
		else if (!strcmp(f, "peak_ports"))
			tw_value = tw->total.peak_ports;
		else if (!strcmp(f, "exhausted"))
			tw_value = tw->exhausted;
		else
			got = NULL;
	} else if (!strncmp(key, "closes.", 7)) {
		got = close_field(st, key + 7);
	} else if (!strncmp(key, "host.", 5)) {
		char host[64], field[64];
		if (sscanf(key + 5, "%63[^.].%63s", host, field) == 2)
			got = host_field(st, host, field);
	} else {
		got = total_field(st, key);
	}
	if (!got) {
		fprintf(stderr, "%s: unknown expectation key '%s'\n", file, key);
		return 1;
	}
	if (*got != want) {
		fprintf(stderr, "%s: %s = %lld, expected %lld\n", file, key, (long long)*got, want);
		return 1;
	}
	return 0;
}

static int check_file(const char *path, int *n_expectations)
{
	struct scenario sc;
	struct scenario_error err;
	if (scenario_load(path, &sc, &err)) {
		fprintf(stderr, "%s:%d: %s\n", path, err.line, err.message);
		return 1;
	}
	struct stats st;
	ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
	ck_assert_int_eq(run_sim(&sc, &st, NULL), 0);
	int failures = 0;
	ck_assert_int_eq(st.count.total.ok + st.count.total.failed + st.count.total.unfinished,
	                 st.count.total.requests);
	FILE *f = fopen(path, "r");
	char line[1024];
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "# expect:");
		if (p != line)
			continue;
		char *save = NULL;
		for (char *item = strtok_r(line + 9, " \t\r\n", &save); item;
		     item = strtok_r(NULL, " \t\r\n", &save)) {
			failures += check_expectation(path, &st, item);
			(*n_expectations)++;
		}
	}
	if (f)
		fclose(f);
	stats_free(&st);
	scenario_free(&sc);
	return failures;
}

START_TEST(test_scenarios_match_hand_computed_counts)
{
	DIR *d = opendir(SCENARIO_DIR);
	ck_assert_msg(d != NULL, "run from the repository root: no " SCENARIO_DIR);
	struct dirent *de;
	int files = 0, failures = 0, expectations = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".ini"))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", SCENARIO_DIR, de->d_name);
		failures += check_file(path, &expectations);
		files++;
	}
	closedir(d);
	ck_assert_int_ge(files, 8);
	ck_assert_int_ge(expectations, 8 * 3);
	ck_assert_msg(failures == 0, "%d expectations failed (see stderr)", failures);
}
END_TEST

static char *trace_of(const struct scenario *sc, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(run_sim(sc, NULL, f), 0);
	fclose(f);
	return buf;
}

/*
 * Conn wait is GetConn to GotConn. tests/scenarios/01-two-bursts.ini: 10 dials at t=0,
 * each 1 ms (dial_latency); at 1 s 2 requests take idle conns at once (0 ms) and 8 dial
 * (1 ms). So 2 of the 20 waited 0 and 18 waited 1 ms; latency is 10 ms for the 2 reused,
 * 11 ms for the 18 others. Per host the same, and the host's closes are the 16 P7 refusals.
 */
START_TEST(test_stats_conn_wait_and_per_host_latency_two_bursts)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load(SCENARIO_DIR "/01-two-bursts.ini", &sc, &err), 0);
	struct stats st;
	ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
	ck_assert_int_eq(run_sim(&sc, &st, NULL), 0);
	ck_assert_int_eq(time_dist_count(&st.conn_wait), 20);
	ck_assert_int_eq(time_dist_quantile(&st.conn_wait, 0.10), 0);
	ck_assert_int_eq(time_dist_quantile(&st.conn_wait, 0.15), 1 * PS_MS);
	ck_assert_int_eq(time_dist_quantile(&st.conn_wait, 1.0), 1 * PS_MS);
	ck_assert_int_eq(time_dist_quantile(&st.host_conn_wait[0], 0.99), 1 * PS_MS);
	ck_assert_int_eq(time_dist_quantile(&st.host_latency[0], 0.10), 10 * PS_MS);
	ck_assert_int_eq(time_dist_quantile(&st.host_latency[0], 0.15), 11 * PS_MS);
	ck_assert_int_eq(st.count.hosts[0].closes[R_MAX_IDLE_PER_HOST], 16);
	ck_assert_int_eq(st.count.hosts[0].ok, 20);
	stats_free(&st);
	scenario_free(&sc);
}
END_TEST

static int cmp_ps_time(const void *a, const void *b)
{
	ps_time x = *(const ps_time *)a, y = *(const ps_time *)b;
	return (x > y) - (x < y);
}

/* A 64-bit LCG step: the multiply wraps on purpose. */
PS_MODULAR static uint64_t lcg_step(uint64_t x)
{
	return x * 6364136223846793005ull + 1442695040888963407ull;
}

/*
 * A host's latencies and conn waits wait in batches of STATS_HOST_BATCH and are added by the run's
 * end: tests/scenarios/05's three hosts get 3 x 1,500 latencies (past STATS_HOST_EXACT, so each
 * spills into its histogram inside a batch) and 3 x 700 conn waits, interleaved. Before the end
 * a host's distribution lags by at most a batch; after it, each equals one fed directly, at
 * every percentile.
 */
START_TEST(test_stats_host_samples_wait_in_batches_and_all_arrive_by_run_end)
{
	enum { HOSTS = 3, LATENCIES = 1500, WAITS = 700 };
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load(SCENARIO_DIR "/05-max-idle-total.ini", &sc, &err), 0);
	ck_assert_int_eq(sc.n_hosts, HOSTS);
	struct stats st;
	ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
	struct ev_sink sink = stats_sink(&st);
	struct time_dist want_latency[HOSTS], want_wait[HOSTS];
	for (int h = 0; h < HOSTS; h++) {
		time_dist_init(&want_latency[h], STATS_HOST_EXACT);
		time_dist_init(&want_wait[h], STATS_HOST_EXACT);
	}
	uint64_t x = 99;
	for (int i = 0; i < LATENCIES; i++) {
		for (uint32_t h = 0; h < HOSTS; h++) {
			x = lcg_step(x);
			struct ps_event done = ev_make(EV_REQ_DONE, i);
			done.host = h;
			done.value = (ps_time)(x >> 40) * PS_US;
			sink.on_event(sink.ctx, &done);
			time_dist_add(&want_latency[h], done.value);
			if (i >= WAITS)
				continue;
			/* a conn wait is from the request's ask to its got_conn, by request slot */
			struct ps_event ask = ev_make(EV_REQ_START, 10 * (ps_time)i);
			ask.host = h;
			ask.req_slot = h;
			sink.on_event(sink.ctx, &ask);
			struct ps_event got = ask;
			got.kind = EV_REQ_GOT_CONN;
			got.conn = h; /* the counts need a conn slot; they are not what is tested */
			got.t += (ps_time)(x >> 60);
			sink.on_event(sink.ctx, &got);
			time_dist_add(&want_wait[h], got.t - ask.t);
		}
	}
	int64_t lag = 0;
	for (int h = 0; h < HOSTS; h++)
		lag += time_dist_count(&want_latency[h]) - time_dist_count(&st.host_latency[h]) +
		       time_dist_count(&want_wait[h]) - time_dist_count(&st.host_conn_wait[h]);
	ck_assert_int_gt(lag, 0); /* the last batch is still waiting */
	ck_assert_int_lt(lag, STATS_HOST_BATCH);
	struct ps_event end = ev_make(EV_RUN_END, LATENCIES);
	sink.on_event(sink.ctx, &end);
	for (int h = 0; h < HOSTS; h++) {
		ck_assert_int_eq(time_dist_count(&st.host_latency[h]), LATENCIES);
		ck_assert_int_eq(time_dist_count(&st.host_conn_wait[h]), WAITS);
		for (int pct = 1; pct <= 100; pct++) {
			double q = pct / 100.0;
			ck_assert_int_eq(time_dist_quantile(&st.host_latency[h], q),
			                 time_dist_quantile(&want_latency[h], q));
			ck_assert_int_eq(time_dist_quantile(&st.host_conn_wait[h], q),
			                 time_dist_quantile(&want_wait[h], q));
		}
		time_dist_free(&want_latency[h]);
		time_dist_free(&want_wait[h]);
	}
	stats_free(&st);
	scenario_free(&sc);
}
END_TEST

/* The exact quantile is the nearest-rank value of the sorted samples whatever the selection
 * method: checked against qsort on shuffled samples full of repeats, at every percentile. */
START_TEST(test_dist_exact_quantile_equals_sorted_nearest_rank)
{
	enum { N = 1001 };
	static ps_time sorted[N];
	struct time_dist d;
	time_dist_init(&d, N);
	uint64_t x = 12345;
	for (int i = 0; i < N; i++) {
		x = lcg_step(x);
		sorted[i] = (ps_time)((x >> 33) % 97) * PS_MS; /* 97 values: many repeats */
		time_dist_add(&d, sorted[i]);
	}
	qsort(sorted, N, sizeof sorted[0], cmp_ps_time);
	for (int pct = 0; pct <= 100; pct++) {
		double q = pct / 100.0;
		int64_t rank = (int64_t)(q * N + 0.999999);
		rank = rank < 1 ? 1 : rank;
		ck_assert_int_eq(time_dist_quantile(&d, q), sorted[rank - 1]);
	}
	/* all 101 percentiles in one call, each selected among the samples above the last */
	double qs[101];
	ps_time got[101];
	for (int pct = 0; pct <= 100; pct++)
		qs[pct] = pct / 100.0;
	time_dist_quantiles(&d, qs, got, 101);
	for (int pct = 0; pct <= 100; pct++)
		ck_assert_int_eq(got[pct], time_dist_quantile(&d, qs[pct]));
	time_dist_free(&d);
	time_dist_init(&d, 8); /* all equal: one partition pass */
	for (int i = 0; i < 8; i++)
		time_dist_add(&d, 7);
	ck_assert_int_eq(time_dist_quantile(&d, 0.5), 7);
	time_dist_free(&d);
}
END_TEST

/* rng_exp rounds with ps_round_nonnegative, not llround: the same integer at every half, next
 * to it, at the edges of double precision and on random values. */
START_TEST(test_round_nonnegative_equals_llround)
{
	static const double whole[] = {0,
	                               1,
	                               2,
	                               3,
	                               1e6,
	                               123456789,
	                               4503599627370495.0 /* 2^52-1 */,
	                               4503599627370496.0,
	                               9007199254740992.0 /* 2^53 */,
	                               1e17};
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		double half = whole[i] + 0.5;
		double probes[] = {whole[i],
		                   half,
		                   nextafter(half, 0),
		                   nextafter(half, INFINITY),
		                   nextafter(whole[i], INFINITY),
		                   whole[i] + 0.25,
		                   whole[i] + 0.75};
		for (size_t j = 0; j < sizeof probes / sizeof probes[0]; j++)
			ck_assert_int_eq(ps_round_nonnegative(probes[j]), llround(probes[j]));
	}
	struct rng r;
	rng_seed(&r, 7, 1);
	for (int i = 0; i < 100000; i++) {
		double v = rng_uniform01(&r) * 1e9 * (double)(1 + i % 7);
		ck_assert_int_eq(ps_round_nonnegative(v), llround(v));
	}
}
END_TEST

/* Past exact_cap the exact samples move into the histogram and their array is freed: the
 * quantiles are then the histogram's of all the samples, the first ones included. */
START_TEST(test_dist_past_exact_cap_spills_into_histogram)
{
	struct time_dist d;
	struct histogram h;
	time_dist_init(&d, 4);
	histogram_init(&h, DIST_SUB_BITS);
	const ps_time v[] = {5 * PS_MS, 1 * PS_MS, 300 * PS_MS, 7 * PS_MS, 2 * PS_MS};
	for (int i = 0; i < 4; i++)
		time_dist_add(&d, v[i]);
	ck_assert_ptr_nonnull(d.exact);
	ck_assert_int_eq(time_dist_quantile(&d, 0.5), 5 * PS_MS); /* exact: 1 5 7 300, rank 2 */
	time_dist_add(&d, v[4]);
	ck_assert_ptr_null(d.exact);
	ck_assert_int_eq(time_dist_count(&d), 5);
	for (int i = 0; i < 5; i++)
		histogram_add(&h, v[i]);
	for (int pct = 10; pct <= 100; pct += 10)
		ck_assert_int_eq(time_dist_quantile(&d, pct / 100.0),
		                 histogram_quantile(&h, pct / 100.0));
	histogram_free(&h);
	time_dist_free(&d);
}
END_TEST

START_TEST(test_determinism_same_file_and_seed_give_identical_trace)
{
	/* Every kind of randomness: exp and uniform service times, a Poisson rate. */
	static const char text[] =
	    "[scenario]\nduration = 20s\nseed = 7\n"
	    "[transport]\nMaxConnsPerHost = 6\nIdleConnTimeout = 2s\n"
	    "[host a]\nservice_time = exp:15ms\nserver_idle_timeout = 1500ms\n"
	    "[host b]\ntls = true\nservice_time = uniform:5ms..40ms\n"
	    "[load w]\nhost = a\nworkers = 12\nthink = 200ms\n"
	    "[load r]\nhost = b\nrate = 150/s\n"
	    "[event e]\nat = 10s\nhost = a\naction = restart\n";
	struct scenario sc;
	struct scenario_error err;
	int rc = scenario_load_string(text, "determinism", &sc, &err);
	ck_assert_msg(rc == 0, "line %d: %s", err.line, err.message);
	size_t n1, n2;
	char *t1 = trace_of(&sc, &n1);
	char *t2 = trace_of(&sc, &n2);
	ck_assert_uint_gt(n1, 10000);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(t1, t2, n1) == 0);
	/* A different seed must change it, or the test could not fail. */
	sc.seed = 8;
	char *t3 = trace_of(&sc, &n2);
	ck_assert(n1 != n2 || memcmp(t1, t3, n1) != 0);
	free(t1);
	free(t2);
	free(t3);
	scenario_free(&sc);
}
END_TEST

/* No load ever draws from a host's stream: loads 0..999 lie below the hosts', the rest above. */
START_TEST(test_determinism_load_and_host_streams_never_meet)
{
	const uint32_t hosts_max = 10000, loads_max = 100000; /* docs/format.md's limits */
	ck_assert_uint_lt(rng_stream_of_load(RNG_LOADS_LOW - 1), rng_stream_of_host(0));
	ck_assert_uint_gt(rng_stream_of_load(RNG_LOADS_LOW), rng_stream_of_host(hosts_max));
	ck_assert_uint_lt(rng_stream_of_load(RNG_LOADS_LOW - 1), rng_stream_of_load(RNG_LOADS_LOW));
	ck_assert_uint_lt(rng_stream_of_load(loads_max), UINT64_MAX);
	ck_assert_uint_eq(rng_stream_of_load(0), 1000); /* the numbers traces were made with */
	ck_assert_uint_eq(rng_stream_of_host(0), 2000);
}
END_TEST

/* Adding a load must not change another load's arrivals (one random stream per load). */
START_TEST(test_determinism_adding_a_load_keeps_other_arrivals)
{
	const char *base = "[scenario]\nduration = 5s\n[host a]\n[host b]\n"
	                   "[load r]\nhost = a\nrate = 40/s\n";
	char with_extra[512];
	snprintf(with_extra, sizeof(with_extra), "%s[load s]\nhost = b\nrate = 70/s\n", base);
	struct scenario s1, s2;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string(base, "one", &s1, &err), 0);
	ck_assert_int_eq(scenario_load_string(with_extra, "two", &s2, &err), 0);
	struct stats st1, st2;
	stats_init(&st1, &s1, "sim");
	stats_init(&st2, &s2, "sim");
	run_sim(&s1, &st1, NULL);
	run_sim(&s2, &st2, NULL);
	ck_assert_int_gt(st1.count.hosts[0].requests, 100);
	ck_assert_int_eq(st1.count.hosts[0].requests, st2.count.hosts[0].requests);
	ck_assert_int_gt(st2.count.hosts[1].requests, 0);
	stats_free(&st1);
	stats_free(&st2);
	scenario_free(&s1);
	scenario_free(&s2);
}
END_TEST

/* T1: Dialer.deadline arms any non-zero Timeout, "including negative": a past deadline. */
START_TEST(test_T1_deadline_negative_timeout_is_already_past)
{
	struct transport_config t = transport_config_zero();
	ck_assert_int_eq(transport_dial_deadline(&t, 5 * PS_SEC), PS_TIME_NEVER);
	t.DialTimeout = -1;
	ck_assert_int_eq(transport_dial_deadline(&t, 5 * PS_SEC), 5 * PS_SEC - 1);
	t.DialTimeout = 30 * PS_SEC;
	ck_assert_int_eq(transport_dial_deadline(&t, 5 * PS_SEC), 35 * PS_SEC);
}
END_TEST

/* T2: addTLS's time.AfterFunc(d) for any d != 0; with d < 0 it fires at once. */
START_TEST(test_T2_addTLS_negative_timeout_fires_at_once)
{
	struct transport_config t = transport_config_zero();
	ck_assert_int_eq(transport_tls_deadline(&t, PS_SEC), PS_TIME_NEVER);
	t.TLSHandshakeTimeout = -PS_MS;
	ck_assert_int_lt(transport_tls_deadline(&t, PS_SEC), PS_SEC);
	/* and a run: every handshake fails as it starts (tests/scenarios/21-*) */
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string("[scenario]\nduration = 1s\n[transport]\n"
	                                      "TLSHandshakeTimeout = -1ns\n[host a]\ntls = true\n"
	                                      "[load w]\nhost = a\nworkers = 1\nthink = 10ms\n"
	                                      "requests = 2\n",
	                                      "t2.ini", &sc, &err),
	                 0);
	struct stats st;
	ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
	run_sim(&sc, &st, NULL);
	ck_assert_int_eq(st.count.total.requests, 2);
	ck_assert_int_eq(st.count.total.failed, 2);
	ck_assert_int_eq(st.count.total.tls_handshakes, 2);
	stats_free(&st);
	scenario_free(&sc);
}
END_TEST

/*
 * S3 at the stale-connection tie (docs/model.md, "The tie"): tests/scenarios/38 under seeds
 * 1..200. Per seed, by hand: a POST that fails was sent on a reused conn at the tie, one that
 * succeeds was served by a fresh dial (retried or dialed), so api's dials = ok = 4 - failed
 * and reused = failed; each GET is served by a fresh dial too (dials 4, reused 0, failed 0)
 * after its tie, retried unless the FIN came first (retries at most 3). Over the seeds the
 * draws follow Go's measured split: a GET is retried at 5 ties in 6 (Go: 9 in 10), and the
 * means of api's failures and of api's retries lie within 15% of Go's for the same four
 * POSTs alone, measured with the oracle (docs/oracle.md): failed 1.08 (Go 1.19, 40 runs) and
 * 1.05 (Go 1.26, 40 runs); retries 0.85 and 0.80 (20 runs each).
 */
START_TEST(test_S3_on_fin_arrive_tie_follows_gos_split_over_seeds)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load(SCENARIO_DIR "/38-rtt-stale-conn-tie.ini", &sc, &err), 0);
	int64_t failed = 0, api_retries = 0, get_retries = 0;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		sc.seed = seed;
		struct stats st;
		ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
		ck_assert_int_eq(run_sim(&sc, &st, NULL), 0);
		const struct counts *api = &st.count.hosts[0], *web = &st.count.hosts[1];
		ck_assert_int_eq(api->requests, 4);
		ck_assert_int_eq(api->dials, 4 - api->failed);
		ck_assert_int_eq(api->ok, 4 - api->failed);
		ck_assert_int_eq(api->reused, api->failed);
		ck_assert_int_eq(web->dials, 4);
		ck_assert_int_eq(web->reused, 0);
		ck_assert_int_eq(web->failed, 0);
		ck_assert_int_le(web->retries, 3);
		failed += api->failed;
		api_retries += api->retries;
		get_retries += web->retries;
		stats_free(&st);
	}
	ck_assert_int_ge(get_retries * 100, 200 * 3 * 75); /* of the 600 GET ties */
	ck_assert_int_le(get_retries * 100, 200 * 3 * 92);
	ck_assert_int_ge(failed * 100, 200 * 105 * 85 / 100);  /* 15% under Go 1.26's mean */
	ck_assert_int_le(failed * 100, 200 * 108 * 115 / 100); /* 15% over Go 1.19's */
	ck_assert_int_ge(api_retries * 100, 200 * 80 * 85 / 100);
	ck_assert_int_le(api_retries * 100, 200 * 85 * 115 / 100);
	/* the draws of these seeds, pinned: a change to the tie shows here */
	ck_assert_int_eq(failed, 219);
	ck_assert_int_eq(api_retries, 157);
	ck_assert_int_eq(get_retries, 510);
	scenario_free(&sc);
}
END_TEST

Suite *suite_sim(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("scenarios");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_scenarios_match_hand_computed_counts);
	tcase_add_test(tc, test_determinism_same_file_and_seed_give_identical_trace);
	tcase_add_test(tc, test_determinism_adding_a_load_keeps_other_arrivals);
	tcase_add_test(tc, test_determinism_load_and_host_streams_never_meet);
	tcase_add_test(tc, test_stats_conn_wait_and_per_host_latency_two_bursts);
	tcase_add_test(tc, test_dist_exact_quantile_equals_sorted_nearest_rank);
	tcase_add_test(tc, test_stats_host_samples_wait_in_batches_and_all_arrive_by_run_end);
	tcase_add_test(tc, test_dist_past_exact_cap_spills_into_histogram);
	tcase_add_test(tc, test_T1_deadline_negative_timeout_is_already_past);
	tcase_add_test(tc, test_T2_addTLS_negative_timeout_fires_at_once);
	tcase_add_test(tc, test_S3_on_fin_arrive_tie_follows_gos_split_over_seeds);
	tcase_add_test(tc, test_round_nonnegative_equals_llround);
	suite_add_tcase(s, tc);
	return s;
}
