/*
 * test_scenario.c: Check tests of the scenario reader (sim/scenario/):
 * the contract's example, defaults of both bases, Go's duration syntax both
 * ways, distributions, rates, --set, --time-scale, and a table of malformed
 * inputs with the exact line and message each must produce.
 * It must not touch files outside a temporary directory it makes itself.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

/* A valid scenario of 8 lines; error cases append to it or edit it. */
#define BASE   "[scenario]\nduration = 10s\n\n[host api]\n\n[load w]\nhost = api\n"
#define BASE_W BASE "workers = 1\n"

static struct scenario load_ok(const char *text)
{
	struct scenario sc;
	struct scenario_error err;
	int rc = scenario_load_string(text, "dir/t.ini", &sc, &err);
	ck_assert_msg(rc == 0, "unexpected error at line %d: %s", err.line, err.message);
	return sc;
}

static ps_time dur(const char *text)
{
	ps_time d = 12345;
	ck_assert_msg(parse_duration(text, &d) == 0, "'%s' should parse", text);
	return d;
}

START_TEST(test_example_parses_contract_example)
{
	struct scenario sc =
	    load_ok("[scenario]\n"
	            "name     = 50 workers against the default per-host idle limit of 2\n"
	            "duration = 10s\n\n"
	            "[transport]\nMaxIdleConnsPerHost = 2\n\n"
	            "[host api]\ntls          = true\ndial_latency = 1ms\ntls_latency  = 4ms\n"
	            "service_time = exp:20ms\n\n"
	            "[load workers]\nhost    = api\nworkers = 50\n");
	ck_assert_str_eq(sc.title, "50 workers against the default per-host idle limit of 2");
	ck_assert_str_eq(sc.path, "dir/t.ini");
	ck_assert_int_eq(sc.duration, 10 * PS_SEC);
	ck_assert_int_eq(sc.transport.MaxIdleConnsPerHost, 2);
	ck_assert_int_eq(sc.transport.MaxIdleConns, 100);
	ck_assert_uint_eq(sc.n_hosts, 1);
	ck_assert_str_eq(sc.hosts[0].name, "api");
	ck_assert(sc.hosts[0].tls);
	ck_assert_int_eq(sc.hosts[0].dial_latency, PS_MS);
	ck_assert_int_eq(sc.hosts[0].tls_latency, 4 * PS_MS);
	ck_assert_int_eq(sc.hosts[0].service_time.kind, DIST_EXP);
	ck_assert_int_eq(sc.hosts[0].service_time.lo, 20 * PS_MS);
	ck_assert_int_eq(sc.hosts[0].line, 8);
	ck_assert_uint_eq(sc.n_loads, 1);
	ck_assert_str_eq(sc.loads[0].name, "workers");
	ck_assert_int_eq(sc.loads[0].kind, LOAD_WORKERS);
	ck_assert_int_eq(sc.loads[0].workers, 50);
	ck_assert_uint_eq(sc.loads[0].host, 0);
	ck_assert_int_eq(sc.loads[0].line, 14);
	ck_assert_uint_eq(sc.n_actions, 0);
	ck_assert_str_eq(sc.warnings, "");
	scenario_free(&sc);
}
END_TEST

START_TEST(test_defaults_base_default_is_DefaultTransport)
{
	struct scenario sc = load_ok(BASE_W);
	ck_assert_str_eq(sc.title, "t");
	ck_assert_uint_eq(sc.seed, 1);
	ck_assert(!sc.base_zero);
	ck_assert_int_eq(sc.go, GO_RELEASE_CURRENT);
	ck_assert_int_eq(sc.transport.MaxIdleConns, 100);
	ck_assert_int_eq(sc.transport.MaxIdleConnsPerHost, 0);
	ck_assert_int_eq(sc.transport.MaxConnsPerHost, 0);
	ck_assert_int_eq(sc.transport.IdleConnTimeout, 90 * PS_SEC);
	ck_assert(!sc.transport.DisableKeepAlives);
	ck_assert_int_eq(sc.transport.TLSHandshakeTimeout, 10 * PS_SEC);
	ck_assert_int_eq(sc.transport.ResponseHeaderTimeout, 0);
	ck_assert_int_eq(sc.transport.DialTimeout, 30 * PS_SEC);
	ck_assert_int_eq(sc.client_timeout, 0);
	scenario_free(&sc);
}
END_TEST

/* The go key names a release (an integer 100 * major + minor) or current; none means current. */
START_TEST(test_go_key_names_a_release_or_current)
{
	struct scenario sc = load_ok(BASE_W);
	char name[64];
	ck_assert_int_eq(sc.go, 126);
	ck_assert_int_eq(sc.go_key, GO_KEY_DEFAULT);
	ck_assert_str_eq(scenario_go_name(&sc, name, sizeof name), "current = Go 1.26, by default");
	scenario_free(&sc);
	sc = load_ok("[scenario]\nduration = 1s\ngo = 1.19\n[host api]\n[load w]\nhost = "
	             "api\nworkers = 1\n");
	ck_assert_int_eq(sc.go, 119);
	ck_assert_str_eq(scenario_go_name(&sc, name, sizeof name), "Go 1.19");
	scenario_free(&sc);
	sc = load_ok("[scenario]\nduration = 1s\ngo = 1.23\n[host api]\n[load w]\nhost = "
	             "api\nworkers = 1\n");
	ck_assert_int_eq(sc.go, 123);
	ck_assert_int_eq(sc.go_key, GO_KEY_RELEASE);
	scenario_free(&sc);
	sc = load_ok("[scenario]\nduration = 1s\ngo = current\n[host api]\n[load w]\nhost = "
	             "api\nworkers = 1\n");
	ck_assert_int_eq(sc.go, 126);
	ck_assert_str_eq(scenario_go_name(&sc, name, sizeof name), "current = Go 1.26");
	scenario_free(&sc);
	int release = 0;
	enum go_key key;
	ck_assert(scenario_parse_go("1.26", &release, &key) && release == 126);
	ck_assert(!scenario_parse_go("1.27", &release, &key));
	ck_assert(!scenario_parse_go("1.", &release, &key));
	ck_assert(!scenario_parse_go("1.99999999999", &release, &key));
	ck_assert(!scenario_parse_go("go1.19", &release, &key));
}
END_TEST

START_TEST(test_defaults_base_zero_keeps_given_fields)
{
	struct scenario sc =
	    load_ok("[transport]\nMaxConnsPerHost = 4\n"
	            "[scenario]\nduration = 1s\nbase = zero\ngo = current\nseed = 42\n"
	            "[host api]\n[load w]\nhost = api\nworkers = 1\n");
	struct transport_config z = transport_config_zero();
	ck_assert(sc.base_zero);
	ck_assert_int_eq(sc.go, GO_RELEASE_CURRENT);
	ck_assert_uint_eq(sc.seed, 42);
	ck_assert_int_eq(sc.transport.MaxConnsPerHost, 4);
	z.MaxConnsPerHost = 4;
	ck_assert(memcmp(&sc.transport, &z, sizeof z) == 0);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_defaults_host_and_load)
{
	struct scenario sc = load_ok(BASE_W);
	const struct host_spec *h = &sc.hosts[0];
	const struct load_spec *l = &sc.loads[0];
	ck_assert(!h->tls);
	ck_assert_int_eq(h->dial_latency, PS_MS);
	ck_assert_int_eq(h->tls_latency, 2 * PS_MS);
	ck_assert_int_eq(h->service_time.kind, DIST_CONST);
	ck_assert_int_eq(h->service_time.lo, 10 * PS_MS);
	ck_assert_int_eq(h->server_idle_timeout, 0);
	ck_assert_int_eq(h->server_max_requests, 0);
	ck_assert_int_eq(l->think, 0);
	ck_assert_int_eq(l->requests, 0);
	ck_assert_int_eq(l->start, 0);
	ck_assert_int_eq(l->stop, 10 * PS_SEC);
	ck_assert_int_eq(l->body, BODY_CLOSE);
	ck_assert(!l->new_client_per_request);
	ck_assert_int_eq(l->arrival, ARRIVAL_POISSON);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_load_kinds_and_choices)
{
	struct scenario sc =
	    load_ok("[scenario]\nduration = 1m\n"
	            "[load a]\nhost = db\nrate = 5/ms\narrival = uniform\nstart = 1s\nstop = 30s\n"
	            "body = early_close\nclient = new_per_request\n"
	            "[load b]\nhost = api\ncount = 100\nstart = 2s\nbody = leak\n"
	            "[load c]\nhost = api\nworkers = 3\nthink = 5ms\nrequests = 7\n"
	            "[host api]\n[host db]\nserver_idle_timeout = 5s\nserver_max_requests = 100\n");
	ck_assert_uint_eq(sc.n_loads, 3);
	ck_assert_int_eq(sc.loads[0].kind, LOAD_RATE);
	ck_assert_uint_eq(sc.loads[0].host, 1);
	ck_assert(sc.loads[0].rate == 5000.0);
	ck_assert_int_eq(sc.loads[0].arrival, ARRIVAL_UNIFORM);
	ck_assert_int_eq(sc.loads[0].start, PS_SEC);
	ck_assert_int_eq(sc.loads[0].stop, 30 * PS_SEC);
	ck_assert_int_eq(sc.loads[0].body, BODY_EARLY_CLOSE);
	ck_assert(sc.loads[0].new_client_per_request);
	ck_assert_int_eq(sc.loads[1].kind, LOAD_COUNT);
	ck_assert_int_eq(sc.loads[1].count, 100);
	ck_assert_int_eq(sc.loads[1].body, BODY_LEAK);
	ck_assert_uint_eq(sc.loads[1].host, 0);
	ck_assert_int_eq(sc.loads[2].kind, LOAD_WORKERS);
	ck_assert_int_eq(sc.loads[2].think, 5 * PS_MS);
	ck_assert_int_eq(sc.loads[2].requests, 7);
	ck_assert_int_eq(sc.hosts[1].server_idle_timeout, 5 * PS_SEC);
	ck_assert_int_eq(sc.hosts[1].server_max_requests, 100);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_server_actions_kinds)
{
	struct scenario sc =
	    load_ok(BASE_W "[event a]\nat = 1s\nhost = api\naction = close_idle\n"
	                   "[event b]\nat = 2s\nhost = api\naction = restart\n"
	                   "[event c]\nat = 3s\nhost = api\naction = down\nfor = 500ms\n");
	ck_assert_uint_eq(sc.n_actions, 3);
	ck_assert_int_eq(sc.actions[0].action, SRV_CLOSE_IDLE);
	ck_assert_int_eq(sc.actions[1].action, SRV_RESTART);
	ck_assert_int_eq(sc.actions[2].action, SRV_DOWN);
	ck_assert_int_eq(sc.actions[2].at, 3 * PS_SEC);
	ck_assert_int_eq(sc.actions[2].down_for, 500 * PS_MS);
	ck_assert_uint_eq(sc.actions[2].host, 0);
	ck_assert_int_eq(sc.actions[2].line, 17);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_syntax_comments_indent_crlf_bom)
{
	struct scenario sc = load_ok("\xef\xbb\xbf; a comment\r\n"
	                             "[scenario]  # header comment\r\n"
	                             "  duration = 10s # hash comment\r\n"
	                             "\tname = C#;x ; semicolon comment\r\n"
	                             "[ host  api ]\r\n"
	                             "    tls = true\r\n"
	                             "[load w]\nhost=api\nworkers=2 ;");
	ck_assert_str_eq(sc.title, "C#;x");
	ck_assert_int_eq(sc.duration, 10 * PS_SEC);
	ck_assert(sc.hosts[0].tls);
	ck_assert_int_eq(sc.loads[0].workers, 2);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_title_from_file_name)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string(BASE_W, "a/b/lesson-1.ini", &sc, &err), 0);
	ck_assert_str_eq(sc.title, "lesson-1");
	scenario_free(&sc);
	ck_assert_int_eq(scenario_load_string(BASE_W, "plain", &sc, &err), 0);
	ck_assert_str_eq(sc.title, "plain");
	scenario_free(&sc);
}
END_TEST

START_TEST(test_hosts_declared_after_loads_resolve)
{
	struct scenario sc =
	    load_ok("[scenario]\nduration = 1s\n[load w]\nhost = z\nworkers = 1\n"
	            "[event e]\nat = 0\nhost = y\naction = restart\n[host y]\n[host z]\n");
	ck_assert_uint_eq(sc.loads[0].host, 1);
	ck_assert_uint_eq(sc.actions[0].host, 0);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_warnings_negative_transport_values)
{
	struct scenario sc =
	    load_ok(BASE_W "[transport]\nMaxIdleConnsPerHost = -1\nMaxConnsPerHost = -2\n"
	                   "IdleConnTimeout = -1s\n");
	ck_assert_str_eq(
	    sc.warnings,
	    "dir/t.ini:10: MaxIdleConnsPerHost = -1 keeps no connection idle (pooling off)\n"
	    "dir/t.ini:11: MaxConnsPerHost = -2 means no limit, like 0\n"
	    "dir/t.ini:12: IdleConnTimeout = -1s means no limit, like 0\n");
	ck_assert_int_eq(sc.transport.MaxIdleConnsPerHost, -1);
	ck_assert_int_eq(sc.transport.IdleConnTimeout, -PS_SEC);
	scenario_free(&sc);
}
END_TEST

/* ---- durations: Go's time.ParseDuration (src/time/format.go, TestParseDuration) */

START_TEST(test_duration_parses_go_forms)
{
	ck_assert_int_eq(dur("0"), 0);
	ck_assert_int_eq(dur("-0"), 0);
	ck_assert_int_eq(dur("+0"), 0);
	ck_assert_int_eq(dur("5s"), 5 * PS_SEC);
	ck_assert_int_eq(dur("250ms"), 250 * PS_MS);
	ck_assert_int_eq(dur("1.5s"), 1500 * PS_MS);
	ck_assert_int_eq(dur("2m30s"), 150 * PS_SEC);
	ck_assert_int_eq(dur("90s"), 90 * PS_SEC);
	ck_assert_int_eq(dur("500us"), 500 * PS_US);
	ck_assert_int_eq(dur("500\xc2\xb5s"), 500 * PS_US); /* U+00B5 micro sign */
	ck_assert_int_eq(dur("500\xce\xbcs"), 500 * PS_US); /* U+03BC Greek mu */
	ck_assert_int_eq(dur("1h"), 3600 * PS_SEC);
	ck_assert_int_eq(dur("7ns"), 7);
	ck_assert_int_eq(dur("-1.5h"), -5400 * PS_SEC);
	ck_assert_int_eq(dur("+5s"), 5 * PS_SEC);
	ck_assert_int_eq(dur(".5s"), 500 * PS_MS);
	ck_assert_int_eq(dur("1.s"), PS_SEC);
	ck_assert_int_eq(dur("1h2m3s4ms5us6ns"), 3723004005006LL);
	ck_assert_int_eq(dur("0.3333333333333333333h"), 1200 * PS_SEC);
	ck_assert_int_eq(dur("9223372036854775807ns"), INT64_MAX);
	ck_assert_int_eq(dur("-9223372036854775808ns"), INT64_MIN);
	ck_assert_int_eq(dur("2562047h47m16.854775807s"), INT64_MAX);
}
END_TEST

START_TEST(test_duration_rejects_bad_and_overflow)
{
	static const char *const bad[] = {
	    "",
	    "1",
	    "s",
	    ".s",
	    "-.s",
	    "1x",
	    "1 s",
	    " 1s",
	    "1s ",
	    "- 1s",
	    "00",
	    "+",
	    "-",
	    "1.5.s",
	    "1sec",
	    "9223372036854775808ns",
	    "2562048h",
	    "2562047h47m16.854775808s",
	    "99999999999999999999s",
	    "1e3s",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ps_time d = 77;
		ck_assert_msg(parse_duration(bad[i], &d) == -1, "'%s' should be refused", bad[i]);
		ck_assert_int_eq(d, 77);
	}
}
END_TEST

/* Go's Duration.String (TestDurationString) */
START_TEST(test_format_duration_like_go)
{
	static const struct {
		ps_time d;
		const char *s;
	} cases[] = {
	    {0, "0s"},
	    {1, "1ns"},
	    {1100, "1.1\xc2\xb5s"},
	    {2200 * PS_US, "2.2ms"},
	    {3300 * PS_MS, "3.3s"},
	    {250 * PS_MS, "250ms"},
	    {1500 * PS_MS, "1.5s"},
	    {90 * PS_SEC, "1m30s"},
	    {4 * 60 * PS_SEC + 5 * PS_SEC + PS_MS, "4m5.001s"},
	    {5 * 3600 * PS_SEC + 6 * 60 * PS_SEC + 7001 * PS_MS, "5h6m7.001s"},
	    {3600 * PS_SEC, "1h0m0s"},
	    {-PS_MS, "-1ms"},
	    {-1500 * PS_MS, "-1.5s"},
	    {INT64_MAX, "2562047h47m16.854775807s"},
	    {INT64_MIN, "-2562047h47m16.854775808s"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[40];
		ck_assert_str_eq(format_duration(cases[i].d, buf, sizeof buf), cases[i].s);
		ck_assert_int_eq(dur(buf), cases[i].d);
	}
	char small[4];
	ck_assert_str_eq(format_duration(90 * PS_SEC, small, sizeof small), "1m3");
}
END_TEST

START_TEST(test_dist_service_time_forms)
{
	struct scenario sc =
	    load_ok(BASE_W "[host a]\nservice_time = 7ms\n[host b]\nservice_time = exp:20ms\n"
	                   "[host c]\nservice_time = uniform:5ms..15ms\n[host d]\nservice_time = "
	                   "uniform: 1ms .. 1ms\n");
	ck_assert_int_eq(sc.hosts[1].service_time.kind, DIST_CONST);
	ck_assert_int_eq(sc.hosts[1].service_time.lo, 7 * PS_MS);
	ck_assert_int_eq(sc.hosts[2].service_time.kind, DIST_EXP);
	ck_assert_int_eq(sc.hosts[2].service_time.lo, 20 * PS_MS);
	ck_assert_int_eq(sc.hosts[3].service_time.kind, DIST_UNIFORM);
	ck_assert_int_eq(sc.hosts[3].service_time.lo, 5 * PS_MS);
	ck_assert_int_eq(sc.hosts[3].service_time.hi, 15 * PS_MS);
	ck_assert_int_eq(sc.hosts[4].service_time.lo, PS_MS);
	ck_assert_int_eq(sc.hosts[4].service_time.hi, PS_MS);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_rate_units)
{
	static const struct {
		const char *text;
		double per_sec;
	} cases[] = {
	    {"200/s", 200}, {"5/ms", 5000}, {"30/m", 0.5}, {"7200/h", 2},
	    {"200", 200},   {"0.5/s", 0.5}, {"2 / s", 2},  {"10000000/s", 1e7},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[200];
		snprintf(text, sizeof text, BASE "rate = %s\n", cases[i].text);
		struct scenario sc = load_ok(text);
		ck_assert_msg(sc.loads[0].rate == cases[i].per_sec, "%s gave %g", cases[i].text,
		              sc.loads[0].rate);
		scenario_free(&sc);
	}
}
END_TEST

/* ---- errors: each a line and an exact message */

static const struct {
	const char *text;
	int line;
	const char *message;
} error_cases[] = {
    {"", 0, "no [scenario] section"},
    {"# only a comment\n", 0, "no [scenario] section"},
    {"[scenario]\nduration = 10s\n", 0, "no [host] section; a scenario needs at least one"},
    {"[scenario]\nduration = 10s\n[host api]\n", 0,
     "no [load] section; a scenario needs at least one"},
    {"[scenario]\nname = x\n[host a]\n", 1, "[scenario] needs 'duration'"},
    {BASE_W "[hosts db]\n", 9, "unknown section [hosts db]; did you mean [host db]?"},
    {BASE_W "[Transport]\n", 9, "unknown section [Transport]; did you mean [transport]?"},
    {BASE_W "[transport]\nMaxIdleConnPerHost = 10\n", 10,
     "unknown key 'MaxIdleConnPerHost' in [transport]; did you mean 'MaxIdleConnsPerHost'?"},
    {BASE_W "[transport]\nTimeout = 5s\n", 10,
     "unknown key 'Timeout' in [transport]; it belongs in [client]"},
    {BASE_W "[host x]\nworkers = 5\n", 10,
     "unknown key 'workers' in [host x]; it belongs in a [load NAME] section"},
    {BASE_W "workers = 2\n", 9, "'workers' given twice in [load w] (first on line 8)"},
    {BASE_W "[host api]\n", 9, "[host api] given twice (first on line 4)"},
    {BASE_W "[client]\n[client]\n", 10, "[client] given twice (first on line 9)"},
    {"[scenario]\nduration = 10sec\n", 2,
     "bad duration '10sec' for duration: unknown unit 'sec' (ns, us, ms, s, m, h)"},
    {BASE_W "[client]\nTimeout = 9999999999h\n", 10,
     "duration '9999999999h' for Timeout is out of range"},
    {BASE "workers = 1.5\n", 8, "bad number '1.5' for workers (a whole number)"},
    {BASE "workers = 99999999999999999999\n", 8,
     "number '99999999999999999999' for workers is out of range"},
    {BASE_W "[host x]\ntls = 1\n", 10, "bad boolean '1' for tls (use true or false)"},
    {BASE_W "[host x]\ndial_latency = -1ms\n", 10, "dial_latency must not be negative (got -1ms)"},
    {BASE_W "[host x]\nserver_max_requests = -1\n", 10,
     "server_max_requests must not be negative (got -1)"},
    {BASE_W "rate = 5/s\n", 9, "[load w] has both 'workers' (line 8) and 'rate'; give exactly one"},
    {BASE "count = 5\nworkers = 2\n", 9,
     "[load w] has both 'count' (line 8) and 'workers'; give exactly one"},
    {BASE, 6, "[load w] needs one of 'workers', 'rate', 'count' or 'replay'"},
    {BASE "rate = 1/s\nthink = 1s\n", 9, "'think' does not fit a rate load (it goes with workers)"},
    {BASE "workers = 1\narrival = poisson\n", 9,
     "'arrival' does not fit a workers load (it goes with rate)"},
    {BASE "count = 3\nrequests = 1\n", 9,
     "'requests' does not fit a count load (it goes with workers)"},
    {BASE "count = 3\nstop = 1s\n", 9,
     "'stop' does not fit a count load (it goes with workers, rate or replay)"},
    {BASE "rate = 0/s\n", 8, "rate must be greater than 0 (got 0/s)"},
    {BASE "rate = 5/d\n", 8, "bad rate '5/d' (use N/s, N/ms or N/m, e.g. 200/s)"},
    {BASE "workers = 0\n", 8, "workers must be at least 1 (got 0)"},
    {BASE "count = 0\n", 8, "count must be at least 1 (got 0)"},
    {"[scenario]\nduration = 1s\n[load w]\nhost = apx\nworkers = 1\n[host api]\n", 4,
     "[load w] names host 'apx', but there is no [host apx]; did you mean 'api'?"},
    {BASE_W "[event e]\nat = 1s\nhost = db\naction = restart\n", 11,
     "[event e] names host 'db', but there is no [host db]"},
    {"[scenario]\nduration = 1s\n[host a]\n[load w]\nworkers = 1\n", 4, "[load w] needs 'host'"},
    {BASE_W "[host a b]\n", 9, "[host a b]: the name must match [A-Za-z0-9_.-]+"},
    {BASE_W "[host a/b]\n", 9, "[host a/b]: the name must match [A-Za-z0-9_.-]+"},
    {BASE_W "[event]\n", 9, "[event] needs a name, like [event restart]"},
    {BASE_W "[host 0123456789012345678901234567890123456789012345678901234567890123]\n", 9,
     "[host] name is longer than 63 characters"},
    {BASE "workers = 1\nstop = 11s\n", 9, "stop 11s is after the scenario's duration 10s"},
    {BASE "workers = 1\nstart = 3s\nstop = 2.5s\n", 10, "stop 2.5s is before start 3s"},
    {BASE "count = 1\nstart = 1m\n", 9, "start 1m0s is after the scenario's duration 10s"},
    {BASE_W "[event e]\nat = 1s\nhost = api\naction = down\n", 9,
     "[event e] with action = down needs 'for'"},
    {BASE_W "[event e]\nfor = 1s\nat = 1s\nhost = api\naction = close_idle\n", 10,
     "'for' only goes with action = down"},
    {BASE_W "[event e]\nhost = api\naction = down\nfor = 1s\n", 9, "[event e] needs 'at'"},
    {BASE_W "[event e]\nat = 1s\nhost = api\naction = down\nfor = 0\n", 13,
     "for must be greater than 0"},
    {BASE_W "[event e]\nat = 10.5s\nhost = api\naction = restart\n", 10,
     "at 10.5s is after the scenario's duration 10s"},
    {BASE_W "client = per_request\n", 9,
     "bad value 'per_request' for client (use shared or new_per_request)"},
    {BASE_W "[host x]\nservice_time = uniform:5ms\n", 10,
     "bad service_time 'uniform:5ms' (use uniform:LOW..HIGH, e.g. uniform:5ms..15ms)"},
    {BASE_W "[host x]\nservice_time = exp:-1ms\n", 10,
     "service_time must not be negative (got -1ms)"},
    {BASE "workers = 1000001\n", 8, "workers = 1000001 is above the limit of 1000000"},
    {BASE "count = 10000001\n", 8, "count = 10000001 is above the limit of 10000000"},
    {BASE "rate = 10000001/s\n", 8, "rate = 10000001/s is above the limit of 10000000/s"},
    {"[scenario]\nduration = 1000h1ns\n", 2, "duration = 1000h1ns is above the limit of 1000h"},
    {"[scenario]\nduration = 0s\n", 2, "duration must be greater than 0"},
    {BASE "workers = 600000\n[load v]\nhost = api\nworkers = 400001\n", 11,
     "the loads ask for more than 1000000 workers in total"},
    {"seed = 3\n", 1, "key 'seed' comes before any section; it belongs in [scenario]"},
    {"tls = true\n", 1, "key 'tls' comes before any section; it belongs in [host NAME]"},
    {"[scenario]\nduration 10s\n", 2,
     "expected 'KEY = VALUE' or a [section] header, got 'duration 10s'"},
    {"[scenario]\nduration: 10s\n", 2, "use '=' between key and value"},
    {"[scenario]\n= 10s\n", 2, "missing key before '='"},
    {"[scenario\n", 1, "section header has no closing ']'"},
    {"[scenario] x\n", 1, "text after ']' in a section header"},
    {"[]\n", 1, "empty section header []"},
    {"[scenario x]\n", 1, "[scenario] takes no name (got 'x')"},
    {"[scenario]\nduration =\n", 2, "'duration' has no value"},
    {"[scenario]\nduration = ; just a comment\n", 2, "'duration' has no value"},
    {BASE "workers = 0 # zero\n", 8, "workers must be at least 1 (got 0)"},
    {"[scenario]\nduration = 1s\n  name = indented is not a continuation\n  name = x\n", 4,
     "'name' given twice in [scenario] (first on line 3)"},
    {"[scenario]\nbase = none\n", 2, "bad value 'none' for base (use default or zero)"},
    {"[scenario]\ngo = 1.27\n", 2,
     "bad value '1.27' for go (use 1.19 .. 1.26, or current = Go 1.26)"},
    {"[scenario]\ngo = 1.18\n", 2,
     "bad value '1.18' for go (use 1.19 .. 1.26, or current = Go 1.26)"},
    {"[scenario]\ngo = 1.019\n", 2,
     "bad value '1.019' for go (use 1.19 .. 1.26, or current = Go 1.26)"},
    {"[scenario]\ngo = 1.19.8\n", 2,
     "bad value '1.19.8' for go (use 1.19 .. 1.26, or current = Go 1.26)"},
    {"[scenario]\nseed = -1\n", 2, "seed must not be negative (got -1)"},
    {"[scenario]\nseed = 18446744073709551615\n", 2,
     "number '18446744073709551615' for seed is out of range"},
    {BASE_W "[client]\nTimeout = -1s\n", 10, "Timeout must not be negative (got -1s)"},
    {"[scenario]\n\x01\n", 2, "control byte 0x01 in the file (not a text file?)"},
    {"[scenario]\nname = caf\xe9\n", 2, "invalid UTF-8 (byte 0xe9; not a text file?)"},
    {"[scenario]\nname = \xed\xa0\x80\n", 2, "invalid UTF-8 (byte 0xed; not a text file?)"},
    {"[scenario]\r\nname = a\rb\r\n", 2, "control byte 0x0d in the file (not a text file?)"},
};

START_TEST(test_errors_report_line_and_message)
{
	struct scenario sc;
	struct scenario_error err;
	memset(&sc, 0xab, sizeof sc);
	int rc = scenario_load_string(error_cases[_i].text, "t.ini", &sc, &err);
	ck_assert_msg(rc == -1, "case %d should fail", _i);
	ck_assert_str_eq(err.message, error_cases[_i].message);
	ck_assert_int_eq(err.line, error_cases[_i].line);
	/* On failure there is nothing to free. */
	ck_assert_ptr_null(sc.hosts);
	ck_assert_ptr_null(sc.loads);
	ck_assert_ptr_null(sc.actions);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_errors_limits_on_size_and_hosts)
{
	struct scenario sc;
	struct scenario_error err;
	size_t big = ((size_t)1 << 20) + 1;
	char *text = malloc(big + 1);
	ck_assert_ptr_nonnull(text);
	memset(text, '#', big);
	text[big] = '\0';
	ck_assert_int_eq(scenario_load_string(text, "t.ini", &sc, &err), -1);
	ck_assert_int_eq(err.line, 0);
	ck_assert_str_eq(err.message, "file is larger than 1 MiB");
	/* [host api] and 10000 more, one header per line after the 8 lines of BASE_W. */
	size_t used = (size_t)snprintf(text, big, "%s", BASE_W);
	for (int i = 0; i < 10000; i++)
		used += (size_t)snprintf(text + used, big - used, "[host h%d]\n", i);
	ck_assert_int_eq(scenario_load_string(text, "t.ini", &sc, &err), -1);
	ck_assert_int_eq(err.line, 8 + 10000);
	ck_assert_str_eq(err.message, "more than 10000 [host] sections");
	/* A line of 4097 bytes, even a comment, is refused. */
	memset(text, 0, big);
	strcpy(text, "[scenario]\n;");
	memset(text + strlen(text), 'x', 4096);
	ck_assert_int_eq(scenario_load_string(text, "t.ini", &sc, &err), -1);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.message, "line is longer than 4096 bytes");
	free(text);
}
END_TEST

START_TEST(test_load_file_reads_and_refuses)
{
	const char *tmp = getenv("TMPDIR");
	char dir[200], path[300];
	snprintf(dir, sizeof dir, "%s/poolsim-scenario-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/nul.ini", dir);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite("[scenario]\nname = a\0b\n", 1, 22, f);
	fclose(f);
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load(path, &sc, &err), -1);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.message, "NUL byte in the file (not a text file?)");
	snprintf(path, sizeof path, "%s/good.ini", dir);
	f = fopen(path, "w");
	fputs(BASE_W, f);
	fclose(f);
	ck_assert_int_eq(scenario_load(path, &sc, &err), 0);
	ck_assert_str_eq(sc.title, "good");
	ck_assert_str_eq(sc.path, path);
	scenario_free(&sc);
	unlink(path);
	snprintf(path, sizeof path, "%s/nul.ini", dir);
	unlink(path);
	ck_assert_int_eq(scenario_load(path, &sc, &err), -1);
	ck_assert_int_eq(err.line, 0);
	ck_assert_str_eq(err.message, "cannot open: No such file or directory");
	ck_assert_int_eq(scenario_load(dir, &sc, &err), -1);
	ck_assert_str_eq(err.message, "cannot read: it is a directory");
	rmdir(dir);
}
END_TEST

/* ---- --set and --time-scale */

/* load_set: BASE_W (or `text`) with one --set; rc 0 or -1 with err filled. */
static int load_set(const char *text, const char *set, struct scenario *sc,
                    struct scenario_error *err)
{
	const char *sets[] = {set};
	return scenario_load_string_with_sets(text, "dir/t.ini", sets, 1, sc, err);
}

static struct scenario set_ok(const char *text, const char *set)
{
	struct scenario sc;
	struct scenario_error err;
	int rc = load_set(text, set, &sc, &err);
	ck_assert_msg(rc == 0, "--set %s: line %d set %d: %s", set, err.line, err.set, err.message);
	return sc;
}

static void set_fails(const char *text, const char *set, const char *message)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(load_set(text, set, &sc, &err), -1);
	ck_assert_int_eq(err.line, 0);
	ck_assert_int_eq(err.set, 1);
	ck_assert_str_eq(err.message, message);
}

START_TEST(test_set_transport_and_client_keys)
{
	struct scenario sc = set_ok(BASE_W, "MaxIdleConnsPerHost=10");
	ck_assert_int_eq(sc.transport.MaxIdleConnsPerHost, 10);
	ck_assert_int_eq(sc.transport.MaxIdleConns, 100); /* the base's default stays */
	scenario_free(&sc);
	sc = set_ok(BASE_W, "transport.IdleConnTimeout = 1m");
	ck_assert_int_eq(sc.transport.IdleConnTimeout, 60 * PS_SEC);
	scenario_free(&sc);
	sc = set_ok(BASE_W, "DisableKeepAlives=true");
	ck_assert(sc.transport.DisableKeepAlives);
	scenario_free(&sc);
	sc = set_ok(BASE_W, "Timeout=5s");
	ck_assert_int_eq(sc.client_timeout, 5 * PS_SEC);
	scenario_free(&sc);
	sc = set_ok(BASE_W, "client.Timeout=1.5s");
	ck_assert_int_eq(sc.client_timeout, 1500 * PS_MS);
	scenario_free(&sc);
	sc = set_ok(BASE_W, "MaxIdleConns=-1");
	ck_assert_str_eq(sc.warnings,
	                 "--set: MaxIdleConns = -1 keeps no connection idle (pooling off)\n");
	scenario_free(&sc);
}
END_TEST

/* A --set wins over the file's own line and over `base`; later sets win over earlier ones. */
START_TEST(test_set_overrides_file_and_base)
{
	const char *text =
	    "[scenario]\nduration = 10s\nbase = zero\n[transport]\n"
	    "MaxIdleConnsPerHost = 4\n[host api]\n[load w]\nhost = api\nworkers = 1\n";
	const char *sets[] = {"MaxIdleConnsPerHost=8", "transport.MaxIdleConnsPerHost=16",
	                      "scenario.base=default"};
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string_with_sets(text, "t.ini", sets, 3, &sc, &err), 0);
	ck_assert_int_eq(sc.transport.MaxIdleConnsPerHost, 16);
	ck_assert_int_eq(sc.transport.MaxIdleConns, 100); /* base = default after the --set */
	scenario_free(&sc);
}
END_TEST

START_TEST(test_set_host_load_event_and_scenario_keys)
{
	const char *two = BASE_W "[host db]\n[load r]\nhost = db\nrate = 10/s\n"
	                         "[event e]\nat = 1s\nhost = db\naction = restart\n";
	struct scenario sc = set_ok(two, "host.api.service_time=exp:30ms");
	ck_assert_int_eq(sc.hosts[0].service_time.kind, DIST_EXP);
	ck_assert_int_eq(sc.hosts[0].service_time.lo, 30 * PS_MS);
	ck_assert_int_eq(sc.hosts[1].service_time.lo, 10 * PS_MS);
	scenario_free(&sc);
	sc = set_ok(two, "load.r.rate=800/s");
	ck_assert(sc.loads[1].rate == 800.0);
	scenario_free(&sc);
	sc = set_ok(two, "host.*.tls=true");
	ck_assert(sc.hosts[0].tls && sc.hosts[1].tls);
	scenario_free(&sc);
	sc = set_ok(two, "load.w.host=db");
	ck_assert_int_eq(sc.loads[0].host, 1);
	scenario_free(&sc);
	sc = set_ok(two, "event.e.at=4s");
	ck_assert_int_eq(sc.actions[0].at, 4 * PS_SEC);
	scenario_free(&sc);
	/* A load without `stop` stops at the duration a --set gives. */
	sc = set_ok(two, "scenario.duration=20s");
	ck_assert_int_eq(sc.duration, 20 * PS_SEC);
	ck_assert_int_eq(sc.loads[0].stop, 20 * PS_SEC);
	scenario_free(&sc);
	/* Host names may hold dots: the key is what follows the last one. */
	sc = set_ok("[scenario]\nduration = 1s\n[host api.v2]\n[load w]\nhost = api.v2\n"
	            "workers = 1\n",
	            "host.api.v2.dial_latency=5ms");
	ck_assert_int_eq(sc.hosts[0].dial_latency, 5 * PS_MS);
	scenario_free(&sc);
}
END_TEST

START_TEST(test_set_errors_suggest)
{
	set_fails(BASE_W, "MaxIdleConnPerHost=10",
	          "unknown key 'MaxIdleConnPerHost'; did you mean 'MaxIdleConnsPerHost'?");
	set_fails(BASE_W, "client.MaxIdleConns=1",
	          "unknown key 'MaxIdleConns' in [client]; it belongs in [transport]");
	set_fails(BASE_W, "workers=3",
	          "'workers' is a [load] key; name the section: load.NAME.workers");
	set_fails(BASE_W, "MaxIdleConns", "wants KEY=VALUE");
	set_fails(BASE_W, "Timeout=soon",
	          "bad duration 'soon' for Timeout (Go syntax, e.g. 250ms, 1.5s, 2m30s)");
	set_fails(BASE_W, "host.apx.tls=true", "there is no [host apx]; the hosts are: api");
	set_fails(BASE_W, "host.api.servce_time=1ms",
	          "unknown key 'servce_time' in [host api]; did you mean 'service_time'?");
	set_fails(BASE_W, "host.tls=true", "'host.tls' needs the host's name: host.NAME.KEY");
	set_fails(BASE_W, "hosts.api.tls=true",
	          "unknown section 'hosts' in 'hosts.api.tls' (scenario, transport, client, "
	          "host, load or event)");
	set_fails(BASE_W, "load.w.rate=5/s",
	          "[load w] is a workers load; --set changes its keys but not its kind (no rate)");
	set_fails(BASE_W, "load.w.arrival=uniform",
	          "'arrival' does not fit a workers load (it goes with rate)");
	set_fails(BASE_W, "load.w.start=11s", "start 11s is after the scenario's duration 10s");
	set_fails(BASE_W, "load.w.host=db", "[load w] names host 'db', but there is no [host db]");
	set_fails(BASE_W, "host.api.tls=", "'tls' has no value");
}
END_TEST

START_TEST(test_scale_multiplies_durations_divides_rates)
{
	struct scenario sc = load_ok(
	    "[scenario]\nduration = 10s\n[client]\nTimeout = 2s\n"
	    "[host a]\ndial_latency = 2ms\ntls_latency = 4ms\nservice_time = uniform:10ms..20ms\n"
	    "server_idle_timeout = 3s\n"
	    "[load r]\nhost = a\nrate = 100/s\nstart = 1s\nstop = 9s\n"
	    "[load w]\nhost = a\nworkers = 2\nthink = 50ms\n"
	    "[event e]\nat = 5s\nhost = a\naction = down\nfor = 1s\n");
	scenario_scale(&sc, 2.0);
	ck_assert_int_eq(sc.duration, 20 * PS_SEC);
	ck_assert_int_eq(sc.client_timeout, 4 * PS_SEC);
	ck_assert_int_eq(sc.transport.IdleConnTimeout, 180 * PS_SEC);
	ck_assert_int_eq(sc.transport.TLSHandshakeTimeout, 20 * PS_SEC);
	ck_assert_int_eq(sc.transport.DialTimeout, 60 * PS_SEC);
	ck_assert_int_eq(sc.hosts[0].dial_latency, 4 * PS_MS);
	ck_assert_int_eq(sc.hosts[0].tls_latency, 8 * PS_MS);
	ck_assert_int_eq(sc.hosts[0].service_time.lo, 20 * PS_MS);
	ck_assert_int_eq(sc.hosts[0].service_time.hi, 40 * PS_MS);
	ck_assert_int_eq(sc.hosts[0].server_idle_timeout, 6 * PS_SEC);
	ck_assert(sc.loads[0].rate == 50.0);
	ck_assert_int_eq(sc.loads[0].start, 2 * PS_SEC);
	ck_assert_int_eq(sc.loads[0].stop, 18 * PS_SEC);
	ck_assert_int_eq(sc.loads[1].think, 100 * PS_MS);
	ck_assert_int_eq(sc.loads[1].stop, 20 * PS_SEC);
	ck_assert_int_eq(sc.actions[0].at, 10 * PS_SEC);
	ck_assert_int_eq(sc.actions[0].down_for, 2 * PS_SEC);
	ck_assert_int_eq(sc.loads[1].workers, 2);
	scenario_scale(&sc, 0.0); /* refused: nothing changes */
	ck_assert_int_eq(sc.duration, 20 * PS_SEC);
	scenario_free(&sc);
}
END_TEST

/* The log_format directive as nginx.conf has it, or its format string alone: the fields of
 * $msec, the request time ($upstream_response_time over $request_time) and the host. */
START_TEST(test_nginx_positions_from_format_directive_and_string)
{
	struct nginx_positions p;
	ck_assert_int_eq(nginx_positions_from_format(
	                     "log_format timed escape=json '$remote_addr [$time_local] "
	                     "\"$request\"' ' $msec $request_time $upstream_response_time "
	                     "$upstream_addr';",
	                     &p),
	                 0);
	ck_assert_int_eq(p.msec, 4); /* $remote_addr, [$time_local], "$request", $msec */
	ck_assert_int_eq(p.time, 6);
	ck_assert_int_eq(p.host, 7);
	ck_assert_int_eq(nginx_positions_from_format("$msec $request_time", &p), 0);
	ck_assert_int_eq(p.msec, 1);
	ck_assert_int_eq(p.time, 2);
	ck_assert_int_eq(p.host, 0);
	ck_assert_int_eq(nginx_positions_from_format("$remote_addr $request_time", &p), -1);
	char line[] = "1.2.3.4 [01/Dec/2026:21:00:00 +0000] \"GET / HTTP/1.1\" 1764600000.250 "
	              "0.250 0.200 10.0.0.1:80";
	struct nginx_request req;
	char err[200];
	ck_assert_int_eq(nginx_positions_from_format(
	                     "$remote_addr [$time_local] \"$request\" $msec $request_time "
	                     "$upstream_response_time $upstream_addr",
	                     &p),
	                 0);
	ck_assert_int_eq(nginx_parse(line, &p, &req, err, sizeof err), 0);
	ck_assert(req.end == 1764600000.25 && req.time == 0.2);
	ck_assert_str_eq(req.host, "10.0.0.1:80");
}
END_TEST

/* The reorder window: lines in end order come out in start order (a 5 s request after a
 * 100 ms one that started 1 s after it); with replay_window = 0 the window is the longest
 * request time so far (100 ms), the first line is already out, and the second is an error. */
START_TEST(test_replay_nginx_reorders_within_the_window)
{
	const char *tmp = getenv("TMPDIR");
	char dir[200], path[300], err[400];
	snprintf(dir, sizeof dir, "%s/poolsim-nginx-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/a.log", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("a 1764600001.100 0.100\nb 1764600005.000 5.000\n", f);
	fclose(f);
	struct replay_options o = {
	    .format = REPLAY_NGINX, .fields = {2, 3, 1}, .window = REPLAY_WINDOW_DEFAULT};
	struct replay_file *r = replay_open(path, &o, err, sizeof err);
	ck_assert_ptr_nonnull(r);
	struct replay_row row;
	ck_assert_int_eq(replay_next(r, &row, err, sizeof err), 1);
	ck_assert(row.start == 0 && row.service == 5 * PS_SEC && row.line == 2);
	ck_assert_int_eq(replay_next(r, &row, err, sizeof err), 1);
	ck_assert(row.start == PS_SEC && row.service == 100 * PS_MS && row.line == 1);
	ck_assert_int_eq(replay_next(r, &row, err, sizeof err), 0);
	replay_close(r);
	snprintf(o.upstream, sizeof o.upstream, "a");
	int64_t rows;
	ps_time last;
	ck_assert_int_eq(replay_scan(path, &o, &rows, &last, err, sizeof err), 0);
	ck_assert_int_eq(rows, 1);
	o.upstream[0] = '\0';
	o.window = 0;
	ck_assert_int_eq(replay_scan(path, &o, &rows, &last, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "a.log:2: this request started (at $msec - request time) 1s "
	                          "before the one at line 1"),
	              "%s", err);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *suite_scenario(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("scenario");
	tcase_add_test(tc, test_example_parses_contract_example);
	tcase_add_test(tc, test_defaults_base_default_is_DefaultTransport);
	tcase_add_test(tc, test_defaults_base_zero_keeps_given_fields);
	tcase_add_test(tc, test_go_key_names_a_release_or_current);
	tcase_add_test(tc, test_defaults_host_and_load);
	tcase_add_test(tc, test_load_kinds_and_choices);
	tcase_add_test(tc, test_server_actions_kinds);
	tcase_add_test(tc, test_syntax_comments_indent_crlf_bom);
	tcase_add_test(tc, test_title_from_file_name);
	tcase_add_test(tc, test_hosts_declared_after_loads_resolve);
	tcase_add_test(tc, test_warnings_negative_transport_values);
	tcase_add_test(tc, test_duration_parses_go_forms);
	tcase_add_test(tc, test_duration_rejects_bad_and_overflow);
	tcase_add_test(tc, test_format_duration_like_go);
	tcase_add_test(tc, test_dist_service_time_forms);
	tcase_add_test(tc, test_rate_units);
	tcase_add_loop_test(tc, test_errors_report_line_and_message, 0,
	                    (int)(sizeof error_cases / sizeof error_cases[0]));
	tcase_add_test(tc, test_errors_limits_on_size_and_hosts);
	tcase_add_test(tc, test_load_file_reads_and_refuses);
	tcase_add_test(tc, test_set_transport_and_client_keys);
	tcase_add_test(tc, test_set_errors_suggest);
	tcase_add_test(tc, test_set_overrides_file_and_base);
	tcase_add_test(tc, test_set_host_load_event_and_scenario_keys);
	tcase_add_test(tc, test_scale_multiplies_durations_divides_rates);
	tcase_add_test(tc, test_nginx_positions_from_format_directive_and_string);
	tcase_add_test(tc, test_replay_nginx_reorders_within_the_window);
	suite_add_tcase(s, tc);
	return s;
}
