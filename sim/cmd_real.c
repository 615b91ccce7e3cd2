/*
 * cmd_real.c: `poolsim real` (a scenario on real sockets) and `poolsim
 * compare` (the simulator beside real mode, and with --go beside Go itself).
 *
 * SIGINT and SIGTERM are blocked for the whole run and polled between short
 * steps, so an interrupt ends the run cleanly: every socket closed, the
 * servers stopped, a summary of what happened so far, exit 130.
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
#include "outputs.h"
#include "real.h"
#include "sim.h"

#define KERNEL_SAMPLES_PER_SECOND 10

struct real_result {
	bool interrupted;
	int error; /* errno from the loop, or 0 */
};

static int add_real_sink(void *run, struct ev_sink sink)
{
	return real_add_sink(run, sink);
}

static int add_sim_sink(void *run, struct ev_sink sink)
{
	return sim_add_sink(run, sink);
}

static bool signal_pending(const sigset_t *set)
{
	struct timespec zero = {0, 0};
	return sigtimedwait(set, NULL, &zero) > 0;
}

/* drive_real: run to the end in steps of about 50 ms of wall time, watching for signals. */
static struct real_result drive_real(struct real *r, const struct cli_opts *o, const sigset_t *stop)
{
	struct real_result res = {0};
	ps_time step = (ps_time)(50.0 * (double)PS_MS / o->time_scale);
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
		if (signal_pending(stop)) {
			res.interrupted = true;
			break;
		}
	}
	return res;
}

static ps_time kernel_period(const struct cli_opts *o)
{
	return (ps_time)((double)PS_SEC / KERNEL_SAMPLES_PER_SECOND / o->time_scale);
}

static void explain_failures(const struct stats *st, long fd_limit)
{
	if (st->failures[R_RESOURCE])
		fprintf(stderr,
			"poolsim real: %lld requests failed: out of file descriptors (the limit is %ld; "
			"raise it with ulimit -n, or lower the scenario's concurrency)\n",
			(long long)st->failures[R_RESOURCE], fd_limit);
	if (st->failures[R_IO_ERROR])
		fprintf(stderr, "poolsim real: %lld requests failed on socket or TLS errors\n",
			(long long)st->failures[R_IO_ERROR]);
}

/* run_real: the scenario on real sockets into `out`; an exit status. */
static int run_real(const struct cli_opts *o, const struct scenario *sc, struct outputs *out,
		    const struct cli_opts *sink_opts)
{
	memset(out, 0, sizeof(*out)); /* outputs_close is safe on it whatever happens below */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigset_t old;
	/* Blocked before the server thread starts, so it inherits the mask and never takes them. */
	sigprocmask(SIG_BLOCK, &stop, &old);
	int err = 0;
	struct real *r = real_create(sc, o->time_scale, &err);
	if (!r) {
		fprintf(stderr, "poolsim real: cannot start the loopback servers: %s\n", strerror(err));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return PS_EXIT_FAIL;
	}
	int rc = outputs_open(out, sink_opts, sc, "real", add_real_sink, r);
	if (rc == 0) {
		real_set_check_invariants(r, o->check_invariants);
		rc = real_start(r, kernel_period(o));
		if (rc) {
			fprintf(stderr, "poolsim real: cannot start: %s\n", strerror(-rc));
			rc = PS_EXIT_FAIL;
		}
	}
	struct real_result res = {0};
	if (rc == 0)
		res = drive_real(r, o, &stop);
	long fd_limit = real_fd_limit(r);
	if (rc == 0)
		out->st.lag = (struct stats_lag){true, real_schedule_lag_ms(r, 0.5),
						 real_schedule_lag_ms(r, 0.99), real_schedule_lag_ms(r, 1.0)};
	real_destroy(r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return rc;
	explain_failures(&out->st, fd_limit);
	if (res.error) {
		fprintf(stderr, "poolsim real: the event loop failed: %s\n", strerror(res.error));
		return PS_EXIT_FAIL;
	}
	if (res.interrupted) {
		fprintf(stderr, "poolsim real: interrupted at %.3fs of %.3fs; summary so far:\n",
			(double)out->st.end / PS_SEC, (double)sc->duration / PS_SEC);
		return 130;
	}
	return 0;
}

int cmd_real(int argc, char **argv)
{
	struct cli_opts o = {.command = "real"};
	int rc = cli_parse(argc, argv,
			   CLI_JSON | CLI_TRACE | CLI_CSV | CLI_PLOT | CLI_SET | CLI_SCALE | CLI_DEBUG, &o);
	if (rc)
		return rc;
	struct scenario sc;
	if ((rc = cli_load(&o, &sc)))
		return rc;
	struct outputs out;
	rc = run_real(&o, &sc, &out, &o);
	if (rc == 0 || rc == 130)
		outputs_print_summary(&out, &o);
	int rc2 = outputs_close(&out, &o);
	scenario_free(&sc);
	return rc ? rc : rc2;
}

/* ------------------------------------------------------------------ compare */

enum verdict { V_SAME, V_CLOSE, V_DIFF };

struct row {
	const char *name;
	double sim, real;
	bool is_latency;
};

/*
 * judge: counts agree exactly (=) or within max(1, 5% of the larger) (~);
 * latencies within max(25%, 2 ms of wall time) (~). Anything else differs.
 * The tolerances are documented in docs/model.md ("Comparing with real mode").
 */
static enum verdict judge(const struct row *r, double time_scale)
{
	double diff = fabs(r->real - r->sim);
	double big = fmax(fabs(r->sim), fabs(r->real));
	if (diff < 1e-9)
		return V_SAME;
	if (r->is_latency)
		return diff <= fmax(0.25 * big, 2.0 / time_scale) ? V_CLOSE : V_DIFF;
	return diff <= fmax(1.0, 0.05 * big) ? V_CLOSE : V_DIFF;
}

static const char *verdict_word(enum verdict v)
{
	return v == V_SAME ? "same" : v == V_CLOSE ? "close" : "DIFFERS";
}

static int collect_rows(const struct stats *a, const struct stats *b, struct row *rows)
{
	int n = 0;
#define COUNT_ROW(label, field) \
	rows[n++] = (struct row){label, (double)a->total.field, (double)b->total.field, false}
	COUNT_ROW("requests", requests);
	COUNT_ROW("ok", ok);
	COUNT_ROW("failed", failed);
	COUNT_ROW("dials", dials);
	COUNT_ROW("reused", reused);
	COUNT_ROW("peak_open", peak_open);
	COUNT_ROW("peak_idle", peak_idle);
	COUNT_ROW("closed", closed);
#undef COUNT_ROW
	static char names[R_CLOSE_CATEGORY_COUNT][40];
	for (int r = R_IDLE_TIMEOUT; r < R_CLOSE_CATEGORY_COUNT; r++) {
		if (a->closes[r] == 0 && b->closes[r] == 0)
			continue;
		snprintf(names[r], sizeof(names[r]), "  %s", ev_reason_category_name((enum ev_reason)r));
		rows[n++] = (struct row){names[r], (double)a->closes[r], (double)b->closes[r], false};
	}
	rows[n++] = (struct row){"latency p50 ms", stats_latency_ms(a, 0.5), stats_latency_ms(b, 0.5), true};
	rows[n++] = (struct row){"latency p99 ms", stats_latency_ms(a, 0.99), stats_latency_ms(b, 0.99), true};
	return n;
}

static int print_compare(const struct scenario *sc, const struct stats *a, const struct stats *b,
			 const struct cli_opts *o)
{
	struct row rows[32];
	int n = collect_rows(a, b, rows);
	int differs = 0;
	if (o->json) {
		printf("{\n  \"mode\": \"compare\",\n  \"scenario\": ");
		stats_json_string(stdout, sc->title);
		printf(",\n  \"time_scale\": %g,\n  \"rows\": [\n", o->time_scale);
	} else {
		printf("%s\nsimulated vs real sockets (time scale %g)\n\n", sc->title, o->time_scale);
		printf("%-22s %12s %12s %10s  %s\n", "", "sim", "real", "diff", "verdict");
	}
	for (int i = 0; i < n; i++) {
		enum verdict v = judge(&rows[i], o->time_scale);
		differs += v == V_DIFF;
		if (o->json)
			printf("    {\"name\": \"%s\", \"sim\": %.3f, \"real\": %.3f, \"verdict\": \"%s\"}%s\n",
			       rows[i].name[0] == ' ' ? rows[i].name + 2 : rows[i].name, rows[i].sim,
			       rows[i].real, verdict_word(v), i + 1 < n ? "," : "");
		else if (rows[i].is_latency)
			printf("%-22s %12.3f %12.3f %+10.3f  %s\n", rows[i].name, rows[i].sim, rows[i].real,
			       rows[i].real - rows[i].sim, verdict_word(v));
		else
			printf("%-22s %12.0f %12.0f %+10.0f  %s\n", rows[i].name, rows[i].sim, rows[i].real,
			       rows[i].real - rows[i].sim, verdict_word(v));
	}
	if (b->kernel.present && !o->json)
		printf("\nkernel (real run): peak ESTABLISHED %lld, TIME_WAIT at end %lld, peak fds %lld\n",
		       (long long)b->kernel.peak_established, (long long)b->kernel.time_wait_end,
		       (long long)b->kernel.peak_fds);
	if (o->json)
		printf("  ],\n  \"differs\": %d\n}\n", differs);
	else
		printf("\n%s\n", differs ? "verdict: the runs DIFFER (see rows marked DIFFERS)"
					 : "verdict: simulated and real agree within tolerance");
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
		sim_set_check_invariants(s, o->check_invariants);
		sim_start(s);
		sim_run(s);
	}
	sim_destroy(s);
	return rc;
}

/* The Go column: build/oracle/oracle next to the binary, or $POOLSIM_ORACLE. */
static int print_go_column(const struct cli_opts *o, const char *path)
{
	const char *oracle = getenv("POOLSIM_ORACLE");
	char guess[4096];
	if (!oracle) {
		ssize_t n = readlink("/proc/self/exe", guess, sizeof(guess) - 32);
		if (n <= 0)
			return PS_EXIT_FAIL;
		guess[n] = '\0';
		char *slash = strrchr(guess, '/');
		if (slash)
			strcpy(slash, "/oracle/oracle");
		oracle = guess;
	}
	if (access(oracle, X_OK)) {
		fprintf(stderr, "poolsim compare --go: no Go oracle at %s: run `make oracle` first "
				"(needs golang-go)\n", oracle);
		return PS_EXIT_USAGE;
	}
	printf("\nGo itself (net/http, %s):\n", oracle);
	fflush(stdout);
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "'%s' run --scale %g '%s'", oracle, o->time_scale, path);
	return system(cmd) == 0 ? 0 : PS_EXIT_FAIL;
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
	struct cli_opts quiet = o; /* the two runs print nothing themselves */
	quiet.trace = false;
	quiet.csv_path = NULL;
	quiet.plot_path = NULL;
	struct outputs sim_out, real_out;
	memset(&real_out, 0, sizeof(real_out));
	rc = run_sim_into(&o, &sc, &sim_out, &quiet);
	if (rc == 0) {
		rc = run_real(&o, &sc, &real_out, &quiet);
		if (rc == 0)
			rc = print_compare(&sc, &sim_out.st, &real_out.st, &o);
		if (rc != PS_EXIT_USAGE && o.go_column) {
			int rc_go = print_go_column(&o, sc.path);
			rc = rc ? rc : rc_go;
		}
		outputs_close(&real_out, &quiet);
	}
	outputs_close(&sim_out, &quiet);
	scenario_free(&sc);
	return rc;
}
