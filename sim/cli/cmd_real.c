/*
 * cmd_real.c: `poolsim real` (a scenario on real sockets) and `poolsim
 * compare` (the simulator beside real mode, and with --go beside Go itself).
 *
 * SIGINT and SIGTERM (blocked since main, interrupt.h) are polled between
 * short steps, so an interrupt ends the run cleanly: every socket closed, the
 * servers stopped, a summary of what happened so far, exit 128 + the signal.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "oracle.h"
#include "outputs.h"
#include "real.h"
#include "sim.h"
#include "verdict.h"

struct real_result {
	int signal; /* the stop signal that ended the run, or 0 */
	int error;  /* errno from the loop, or 0 */
};

static int add_real_sink(void *run, struct ev_sink sink)
{
	return real_add_sink(run, sink);
}

static int add_sim_sink(void *run, struct ev_sink sink)
{
	return sim_add_sink(run, sink);
}

/* drive_real: run to the end in steps of about 10 ms of wall time, watching for signals
 * (so Ctrl-C ends a run well within 100 ms, teardown included). */
static struct real_result drive_real(struct real *r, const struct cli_opts *o)
{
	struct real_result res = {0};
	ps_time step = (ps_time)(10.0 * (double)PS_MS / o->time_scale);
	if (step < 1)
		step = 1;
	for (;;) {
		int rc = real_run_until(r, ps_time_add(real_now(r), step));
		if (rc == 0)
			break;
		if (rc < 0) {
			res.error = -rc;
			break;
		}
		if ((res.signal = interrupt_pending()))
			break;
	}
	return res;
}

static void explain_failures(const struct stats *st, long fd_limit)
{
	if (st->count.failures[R_RESOURCE])
		fprintf(stderr,
		        "poolsim real: %lld requests failed: out of file descriptors (the limit is "
		        "%ld; "
		        "raise it with ulimit -n, or lower the scenario's concurrency)\n",
		        (long long)st->count.failures[R_RESOURCE], fd_limit);
	if (st->count.failures[R_IO_ERROR])
		fprintf(stderr, "poolsim real: %lld requests failed on socket or TLS errors\n",
		        (long long)st->count.failures[R_IO_ERROR]);
}

/* run_real: the scenario on real sockets into `out`; an exit status. */
static int run_real(const struct cli_opts *o, const struct scenario *sc, struct outputs *out,
                    const struct cli_opts *sink_opts)
{
	memset(out, 0, sizeof(*out)); /* outputs_close is safe on it whatever happens below */
	int err = 0;
	struct real *r = real_create(sc, o->time_scale, &err);
	if (!r) {
		fprintf(stderr, "poolsim real: cannot start the loopback servers: %s\n",
		        strerror(err));
		return PS_EXIT_FAIL;
	}
	int rc = outputs_open(out, sink_opts, sc, "real", add_real_sink, r);
	if (rc == 0) {
		if (o->check_invariants)
			real_set_check_invariants(r, true);
		rc = real_start(r, true);
		if (rc) {
			fprintf(stderr, "poolsim real: cannot start: %s\n", strerror(-rc));
			rc = PS_EXIT_FAIL;
		}
	}
	struct real_result res = {0};
	if (rc == 0) {
		res = drive_real(r, o);
		if (res.signal)
			real_stop(r, RUN_INTERRUPTED);
	}
	long fd_limit = real_fd_limit(r);
	if (rc == 0)
		out->st.lag =
		    (struct stats_lag){true, real_schedule_lag_ms(r, 0.5),
		                       real_schedule_lag_ms(r, 0.99), real_schedule_lag_ms(r, 1.0)};
	real_destroy(r);
	if (rc)
		return rc;
	explain_failures(&out->st, fd_limit);
	if (res.error) {
		fprintf(stderr, "poolsim real: the event loop failed: %s\n", strerror(res.error));
		return PS_EXIT_FAIL;
	}
	return outputs_report_stop(out, o->command, res.signal);
}

int cmd_real(int argc, char **argv)
{
	struct cli_opts o = {.command = "real"};
	int rc = cli_parse(argc, argv,
	                   CLI_JSON | CLI_TRACE | CLI_CSV | CLI_PLOT | CLI_EVENTS | CLI_SET |
	                       CLI_SCALE | CLI_DEBUG,
	                   &o);
	if (rc)
		return rc;
	struct scenario sc;
	if ((rc = cli_load(&o, &sc)))
		return rc;
	struct outputs out;
	rc = run_real(&o, &sc, &out, &o);
	if (out.st.ended) /* the run ended (perhaps early): its summary so far */
		outputs_print_summary(&out, &o);
	int rc2 = outputs_close(&out, &o);
	scenario_free(&sc);
	return rc ? rc : rc2;
}

/* ------------------------------------------------------------------ compare */

static void add_row(struct verdict_row *rows, int *n, const char *name, const char *block,
                    const char *key, double sim, double real, bool is_latency)
{
	struct verdict_row *r = &rows[(*n)++];
	*r = (struct verdict_row){.sim = sim, .real = real, .go = NAN, .is_latency = is_latency};
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->block, sizeof(r->block), "%s", block);
	snprintf(r->key, sizeof(r->key), "%s", key);
}

static int collect_rows(const struct stats *a, const struct stats *b, struct verdict_row *rows)
{
	int n = 0;
#define COUNT_ROW(field)                                                                           \
	add_row(rows, &n, #field, "totals", #field, (double)a->count.total.field,                  \
	        (double)b->count.total.field, false)
	COUNT_ROW(requests);
	COUNT_ROW(ok);
	COUNT_ROW(failed);
	COUNT_ROW(dials);
	COUNT_ROW(reused);
	COUNT_ROW(peak_open);
	COUNT_ROW(peak_idle);
	COUNT_ROW(closed);
#undef COUNT_ROW
	for (int r = R_IDLE_TIMEOUT; r < R_CLOSE_CATEGORY_COUNT; r++) {
		if (a->count.total.closes[r] == 0 && b->count.total.closes[r] == 0)
			continue;
		const char *key = ev_reason_category_name((enum ev_reason)r);
		char name[40];
		snprintf(name, sizeof(name), "  %s", key);
		add_row(rows, &n, name, "closes", key, (double)a->count.total.closes[r],
		        (double)b->count.total.closes[r], false);
	}
	add_row(rows, &n, "latency p50 ms", "latency_ms", "p50", stats_latency_ms(a, 0.5),
	        stats_latency_ms(b, 0.5), true);
	add_row(rows, &n, "latency p99 ms", "latency_ms", "p99", stats_latency_ms(a, 0.99),
	        stats_latency_ms(b, 0.99), true);
	return n;
}

/* json_number: the number at "key": inside the object "block": of a summary; NAN if absent. */
static double json_number(const char *json, const char *block, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", block);
	const char *p = strstr(json, pat);
	const char *end = p ? strchr(p, '}') : NULL;
	if (!p || !end)
		return NAN;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *k = strstr(p, pat);
	if (!k || k > end)
		return NAN;
	return strtod(k + strlen(pat), NULL);
}

/* The tolerance column: a latency row's, in ms; counts say their rule in words. */
static void tolerance_text(const struct verdict_row *r, char *buf, size_t size)
{
	if (r->is_latency)
		snprintf(buf, size, "+-%.3f", r->tolerance_ms);
	else
		snprintf(buf, size, "max(1,5%%)");
}

static void print_rows_text(const struct scenario *sc, const struct verdict_row *rows, int n,
                            bool go, const struct cli_opts *o)
{
	printf("%s\nsimulated vs real sockets%s (time scale %g)\n\n", sc->title,
	       go ? " vs Go's own net/http" : "", o->time_scale);
	printf(go ? "%-22s %12s %12s %10s %11s  %-8s" : "%-22s %12s %12s %10s %11s  %s", "", "sim",
	       "real", "diff", "tolerance", "verdict");
	printf(go ? " %12s  %s\n" : "\n", "go", "sim vs go");
	for (int i = 0; i < n; i++) {
		const struct verdict_row *r = &rows[i];
		enum verdict v = verdict_judge(r, r->real);
		char tol[32];
		tolerance_text(r, tol, sizeof(tol));
		const char *fmt = r->is_latency ? (go ? "%-22s %12.3f %12.3f %+10.3f %11s  %-8s"
		                                      : "%-22s %12.3f %12.3f %+10.3f %11s  %s")
		                                : (go ? "%-22s %12.0f %12.0f %+10.0f %11s  %-8s"
		                                      : "%-22s %12.0f %12.0f %+10.0f %11s  %s");
		printf(fmt, r->name, r->sim, r->real, r->real - r->sim, tol,
		       verdict_word(v, r->is_latency));
		if (!go) {
			printf("\n");
		} else if (isnan(r->go)) {
			printf(" %12s  -\n", "-");
		} else {
			enum verdict g = verdict_judge(r, r->go);
			printf(r->is_latency ? " %12.3f  %s\n" : " %12.0f  %s\n", r->go,
			       verdict_word(g, r->is_latency));
		}
	}
}

static void print_rows_json(const struct scenario *sc, const struct verdict_row *rows, int n,
                            bool go, const struct cli_opts *o)
{
	printf("{\n  \"mode\": \"compare\",\n  \"scenario\": ");
	stats_json_string(stdout, sc->title);
	printf(",\n  \"time_scale\": %g,\n  \"rows\": [\n", o->time_scale);
	for (int i = 0; i < n; i++) {
		const struct verdict_row *r = &rows[i];
		enum verdict v = verdict_judge(r, r->real);
		printf("    {\"name\": \"%s\", \"sim\": %.3f, \"real\": %.3f, \"verdict\": \"%s\"",
		       r->key, r->sim, r->real, verdict_word(v, r->is_latency));
		if (r->is_latency)
			printf(", \"tolerance_ms\": %.3f, \"decides\": false", r->tolerance_ms);
		if (go && !isnan(r->go)) {
			enum verdict g = verdict_judge(r, r->go);
			printf(", \"go\": %.3f, \"go_verdict\": \"%s\"", r->go,
			       verdict_word(g, r->is_latency));
		}
		printf("}%s\n", i + 1 < n ? "," : "");
	}
	printf("  ],\n  \"differs\": %d\n}\n", verdict_differs(rows, n));
}

static int print_compare(const struct scenario *sc, const struct stats *a, const struct stats *b,
                         const char *go_json, const struct cli_opts *o)
{
	struct verdict_row rows[32];
	int n = collect_rows(a, b, rows);
	for (int i = 0; i < n; i++) {
		if (go_json)
			rows[i].go = json_number(go_json, rows[i].block, rows[i].key);
		if (rows[i].is_latency)
			rows[i].tolerance_ms = verdict_latency_tolerance_ms(
			    sc, o->time_scale, rows[i].sim,
			    isnan(rows[i].go) ? rows[i].real : fmax(rows[i].real, rows[i].go));
	}
	int differs = verdict_differs(rows, n);
	/* The simulator's TIME_WAIT at its end beside the kernel's at the real run's end. */
	int64_t sim_tw = timewait_count((struct timewait *)&a->ports, PS_NONE, a->end);
	int64_t kernel_tw = b->kernel.time_wait_end;
	int64_t larger = sim_tw > kernel_tw ? sim_tw : kernel_tw;
	bool tw_agree = llabs(sim_tw - kernel_tw) * 10 <= larger;
	if (o->json) {
		print_rows_json(sc, rows, n, go_json != NULL, o);
		if (b->kernel.present)
			fprintf(stderr,
			        "TIME_WAIT at the end: sim %lld, kernel %lld: %s (within 10%%)\n",
			        (long long)sim_tw, (long long)kernel_tw,
			        tw_agree ? "agree" : "DIFFER");
		return differs ? PS_EXIT_FAIL : 0;
	}
	print_rows_text(sc, rows, n, go_json != NULL, o);
	if (b->kernel.present) {
		printf("\nkernel (real run): peak ESTABLISHED %lld, TIME_WAIT at end %lld, peak "
		       "fds %lld\n",
		       (long long)b->kernel.peak_established, (long long)b->kernel.time_wait_end,
		       (long long)b->kernel.peak_fds);
		printf("TIME_WAIT at the end: sim %lld, kernel %lld: %s (within 10%%; the client's "
		       "sockets only)\n",
		       (long long)sim_tw, (long long)kernel_tw,
		       tw_agree ? "agree" : "DIFFER (informs; the count rows decide)");
	}
	printf("\n%s\n", differs ? "verdict: the runs DIFFER (see the count rows marked DIFFERS)"
	                         : "verdict: the runs agree (the counts decide; latency rows "
	                           "inform, with their tolerance)");
	return differs ? PS_EXIT_FAIL : 0;
}

static int run_sim_into(const struct cli_opts *o, const struct scenario *sc, struct outputs *out,
                        const struct cli_opts *sink_opts)
{
	struct sim *s = sim_create(sc);
	if (!s) {
		fprintf(stderr, "poolsim: out of memory\n");
		return PS_EXIT_FAIL;
	}
	int rc = outputs_open(out, sink_opts, sc, "sim", add_sim_sink, s);
	if (rc == 0) {
		if (o->check_invariants)
			sim_set_check_invariants(s, true);
		sim_start(s);
		rc = outputs_report_stop(out, o->command, drive_sim(s));
	}
	sim_destroy(s);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	struct cli_opts o = {.command = "compare"};
	int rc = cli_parse(argc, argv, CLI_JSON | CLI_SET | CLI_SCALE | CLI_GO | CLI_DEBUG, &o);
	if (rc)
		return rc;
	struct scenario sc;
	if ((rc = cli_load(&o, &sc)))
		return rc;
	sigset_t stop;
	interrupt_signals(&stop);
	char *oracle = NULL; /* found (or built) before the runs: a missing Go costs nothing */
	if (o.go_column && !(oracle = oracle_prepare(&sc, &stop, &rc))) {
		scenario_free(&sc);
		return rc;
	}
	struct cli_opts quiet = o; /* the two runs print nothing themselves */
	quiet.trace = false;
	quiet.csv_path = NULL;
	quiet.plot_path = NULL;
	struct outputs sim_out, real_out;
	memset(&real_out, 0, sizeof(real_out));
	rc = run_sim_into(&o, &sc, &sim_out, &quiet);
	if (rc == 0) {
		rc = run_real(&o, &sc, &real_out, &quiet);
		char *go_json = NULL;
		if (rc == 0 && oracle)
			go_json = oracle_run(&o, &sc, oracle, &stop, &rc);
		if (rc == 0)
			rc = print_compare(&sc, &sim_out.st, &real_out.st, go_json, &o);
		else if (real_out.st.ended) /* stopped early: the real run's summary so far */
			outputs_print_summary(&real_out, &quiet);
		free(go_json);
		outputs_close(&real_out, &quiet);
	} else if (sim_out.st.ended) {
		outputs_print_summary(&sim_out, &quiet);
	}
	outputs_close(&sim_out, &quiet);
	free(oracle);
	scenario_free(&sc);
	return rc;
}
