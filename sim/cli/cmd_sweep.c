/*
 * cmd_sweep.c: `poolsim sweep FILE --vary KEY=V1,V2,... [--vary ...]
 * [--seeds N] [--jobs N] [--json|--csv] [--plot F.svg] [--goal G]
 * [--print-jobs] [--only N] [--out F]` and `poolsim sweep --merge DIR`.
 *
 * Every point is the scenario loaded with the command's --set values and
 * then the point's --vary values (scenario_load_with_sets), simulated once
 * per seed. With --jobs above 1 the points are shared out to forked worker
 * processes (no exec, no shell) that take the next point from a counter in
 * shared memory and write its result into that point's slot, so the output,
 * printed by the parent in point order, is the same for any --jobs.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "sim.h"
#include "stats.h"
#include "sweep.h"

#define SWEEP_MAX_JOBS 256

struct sweep_cmd {
	struct cli_opts o;
	struct sweep_plan plan;
	const char *vary_args[SWEEP_MAX_VARY];
	int seeds, jobs;
	bool csv, print_jobs;
	long only; /* 1-based; 0 = every point */
	const char *goal_text, *merge_dir, *out_path;
	char path[PATH_MAX]; /* the scenario file, a lesson number resolved */
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "poolsim sweep: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'poolsim --help'.\n");
	return PS_EXIT_USAGE;
}

static int whole_number(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* take_value: the value of a flag given as --flag=V or --flag V. */
static const char *take_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq)
		return eq + 1;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

/* parse_args: the sweep's own flags; the rest go to cli_parse (--set, --seed, --go, --json,
 * --plot). */
static int parse_args(int argc, char **argv, struct sweep_cmd *c)
{
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	if (!rest)
		return usage_error("%s", "out of memory");
	int n_rest = 0, rc = 0;
	long v;
	for (int i = 0; i < argc && rc == 0; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		const char *val;
#define IS(flag) (strlen(flag) == len && !strncmp(a, flag, len))
		if (IS("--csv") && !eq) {
			c->csv = true;
		} else if (IS("--print-jobs") && !eq) {
			c->print_jobs = true;
		} else if (IS("--vary") || IS("--seeds") || IS("--jobs") || IS("--goal") ||
		           IS("--merge") || IS("--only") || IS("--out")) {
			char flag[16];
			snprintf(flag, sizeof flag, "%.*s", (int)len, a);
			if (!(val = take_value(argc, argv, &i, eq))) {
				rc = usage_error("option '%s' needs a value", flag);
			} else if (IS("--vary")) {
				char err[400];
				if (c->plan.n_vary < SWEEP_MAX_VARY)
					c->vary_args[c->plan.n_vary] = val;
				if (sweep_add_vary(&c->plan, val, err, sizeof err))
					rc = usage_error("--vary: %s", err);
			} else if (IS("--seeds")) {
				rc = whole_number(val, 1, 10000, &v)
				         ? usage_error("--seeds wants 1 to 10000, not '%s'", val)
				         : 0;
				c->seeds = (int)v;
			} else if (IS("--jobs")) {
				rc = whole_number(val, 1, SWEEP_MAX_JOBS, &v)
				         ? usage_error("--jobs wants 1 to 256, not '%s'", val)
				         : 0;
				c->jobs = (int)v;
			} else if (IS("--only")) {
				rc = whole_number(val, 1, SWEEP_MAX_POINTS, &c->only)
				         ? usage_error("--only wants a point number, not '%s'", val)
				         : 0;
			} else if (IS("--goal")) {
				c->goal_text = val;
			} else if (IS("--merge")) {
				c->merge_dir = val;
			} else {
				c->out_path = val;
			}
		} else {
			rest[n_rest++] = argv[i];
		}
#undef IS
	}
	if (rc == 0)
		rc = cli_parse(n_rest, rest, CLI_SET | CLI_JSON | CLI_PLOT, &c->o);
	free(rest);
	return rc;
}

/* ------------------------------------------------------------ one point */

struct runner {
	const struct sweep_cmd *c;
	const char *sets[CLI_MAX_SETS + SWEEP_MAX_VARY];
	int n_user_sets;
};

static void fold(struct sweep_point *pt, const struct stats *st, int seed_index)
{
	const struct counts *t = &st->count.total;
	double lat50 = stats_latency_ms(st, 0.50), lat99 = stats_latency_ms(st, 0.99);
	double w50 = stats_dist_ms(st, &st->conn_wait, 0.50);
	double w99 = stats_dist_ms(st, &st->conn_wait, 0.99);
#define WORST(field, v)                                                                            \
	if (seed_index == 0 || (v) > pt->field)                                                    \
	pt->field = (v)
	WORST(failed, t->failed);
	WORST(peak_open, t->peak_open);
	WORST(peak_idle, t->peak_idle);
	WORST(peak_time_wait, st->ports.total.peak_time_wait);
	WORST(peak_ports, st->ports.total.peak_ports);
	WORST(lat_p50, lat50);
	WORST(lat_p99, lat99);
	WORST(wait_p50, w50);
	WORST(wait_p99, w99);
	for (uint32_t h = 0; h < st->sc->n_hosts; h++)
		WORST(host_peak_open[h], st->count.hosts[h].peak_open);
#undef WORST
	pt->requests += t->requests;
	pt->dials += t->dials;
	/* reused_share holds the reused count until the last seed divides it. */
	pt->reused_share += (double)t->reused;
}

static int run_seed(struct sweep_point *pt, const struct scenario *sc, int seed_index)
{
	struct sim *s = sim_create(sc);
	struct stats st;
	if (!s || stats_init(&st, sc, "sim")) {
		sim_destroy(s);
		snprintf(pt->message, sizeof pt->message, "out of memory");
		return PS_EXIT_FAIL;
	}
	sim_add_sink(s, stats_sink(&st));
	sim_start(s);
	int sig = drive_sim(s); /* a long point ends at Ctrl-C too, not only between points */
	int rc = 0;
	if (sig) {
		raise(sig); /* pending again (it is blocked), for the loops that stop the sweep */
		snprintf(pt->message, sizeof pt->message, "interrupted");
		rc = PS_EXIT_SIGNAL + sig;
	} else if (sim_overflowed(s)) {
		snprintf(
		    pt->message, sizeof pt->message,
		    "the run holds too many requests and conns at once (poolsim run says more)");
		rc = PS_EXIT_FAIL;
	} else {
		fold(pt, &st, seed_index);
	}
	stats_free(&st);
	sim_destroy(s);
	return rc;
}

/* run_point: point i of the sweep into pt (its slot, zeroed). */
static void run_point(struct runner *r, long i, struct sweep_point *pt)
{
	const struct sweep_cmd *c = r->c;
	char assign[SWEEP_MAX_VARY][300];
	int n = r->n_user_sets;
	for (int k = 0; k < c->plan.n_vary; k++)
		r->sets[n++] = sweep_assignment(&c->plan, i, k, assign[k], sizeof assign[k]);
	struct scenario sc;
	struct scenario_error err;
	if (scenario_load_with_sets(c->path, r->sets, n, &sc, &err)) {
		pt->error = PS_EXIT_USAGE;
		if (err.set)
			snprintf(pt->message, sizeof pt->message, "--set %.200s: %s",
			         r->sets[err.set - 1], err.message);
		else
			snprintf(pt->message, sizeof pt->message, "%.200s:%d: %s", c->path,
			         err.line, err.message);
		pt->done = true;
		return;
	}
	if (c->o.go)
		scenario_parse_go(c->o.go, &sc.go, &sc.go_key); /* checked by the option parser */
	const char *conflict = scenario_release_conflict(&sc);
	if (conflict) {
		snprintf(pt->message, sizeof pt->message, "--go %.20s: %.300s",
		         c->o.go ? c->o.go : "current", conflict);
		pt->error = PS_EXIT_USAGE;
		pt->done = true;
		scenario_free(&sc);
		return;
	}
	uint64_t seed = c->o.seed_set ? c->o.seed : sc.seed;
	pt->transport = sc.transport;
	pt->client_timeout = sc.client_timeout;
	pt->duration_s = (double)sc.duration / (double)PS_SEC;
	for (int s = 0; s < c->seeds && !pt->error; s++) {
		sc.seed = seed + (uint64_t)s;
		pt->error = run_seed(pt, &sc, s);
	}
	if (!pt->error) {
		pt->reused_share = pt->requests ? pt->reused_share / (double)pt->requests : 0;
		pt->dials_per_s = pt->dials / (pt->duration_s * c->seeds);
	}
	scenario_free(&sc);
	pt->done = true;
}

/* ------------------------------------------------------------- the jobs */

struct shared {
	long next; /* the next point to hand out; taken with an atomic add */
};

static void worker(struct runner *r, struct shared *sh, struct sweep_results *res, long first,
                   long count)
{
	for (;;) {
		if (interrupt_pending())
			_exit(PS_EXIT_SIGNAL + SIGINT);
		long i = __atomic_fetch_add(&sh->next, 1, __ATOMIC_SEQ_CST);
		if (i >= count)
			_exit(0);
		run_point(r, first + i, sweep_at(res, first + i));
	}
}

/* run_all: the points first..first+count-1; 0, or PS_EXIT_SIGNAL + SIGINT if interrupted. */
static int run_all(struct runner *r, struct sweep_results *res, long first, long count, int jobs)
{
	if (jobs <= 1) {
		for (long i = first; i < first + count; i++) {
			if (interrupt_pending())
				return PS_EXIT_SIGNAL + SIGINT;
			run_point(r, i, sweep_at(res, i));
		}
		return 0;
	}
	struct shared *sh =
	    mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("poolsim sweep: mmap");
		return PS_EXIT_FAIL;
	}
	sh->next = 0;
	pid_t pids[SWEEP_MAX_JOBS];
	int started = 0;
	fflush(NULL);
	for (; started < jobs; started++) {
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0)
			worker(r, sh, res, first, count);
		pids[started] = pid;
	}
	int rc = started ? 0 : PS_EXIT_FAIL;
	if (!started)
		perror("poolsim sweep: fork");
	for (int live = started; live > 0;) {
		int sig = interrupt_pending();
		if (sig) {
			rc = PS_EXIT_SIGNAL + sig;
			__atomic_store_n(&sh->next, count, __ATOMIC_SEQ_CST);
			for (int j = 0; j < started; j++)
				if (pids[j] > 0)
					kill(pids[j], SIGTERM);
		}
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			for (int j = 0; j < started; j++)
				if (pids[j] == pid)
					pids[j] = 0, live--;
			if (WIFEXITED(status) && WEXITSTATUS(status) == PS_EXIT_SIGNAL + SIGINT &&
			    !rc)
				rc = PS_EXIT_SIGNAL + SIGINT;
			if (WIFSIGNALED(status) && !rc)
				rc = PS_EXIT_FAIL;
		} else if (pid < 0 && errno != EINTR) {
			break;
		} else {
			struct timespec ts = {0, 2 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	munmap(sh, sizeof *sh);
	return rc;
}

/* ---------------------------------------------------------- the command */

/* load_error: why the scenario with sets[0..n) does not load, said as `poolsim run` says it. */
static void load_error(const struct runner *r, const struct scenario_error *err)
{
	char shown[CLI_VISIBLE_MAX];
	if (err->set)
		fprintf(stderr, "poolsim sweep: %s %s: %s\n",
		        err->set > r->n_user_sets ? "--vary" : "--set", r->sets[err->set - 1],
		        err->message);
	else if (err->line > 0)
		fprintf(stderr, "%s:%d: %s\n", cli_visible(r->c->path, shown, sizeof shown),
		        err->line, err->message);
	else
		fprintf(stderr, "%s: %s\n", cli_visible(r->c->path, shown, sizeof shown),
		        err->message);
}

/* check_values: the file, then each --vary value alone, so a bad one is named before anything
 * runs; *first is the scenario with the --set values only. */
static int check_values(struct runner *r, struct scenario *first)
{
	const struct sweep_cmd *c = r->c;
	struct scenario_error err;
	if (scenario_load_with_sets(c->path, r->sets, r->n_user_sets, first, &err)) {
		load_error(r, &err);
		return PS_EXIT_USAGE;
	}
	for (int k = 0; k < c->plan.n_vary; k++)
		for (int j = 0; j < c->plan.vary[k].n; j++) {
			char a[300];
			snprintf(a, sizeof a, "%s=%s", c->plan.vary[k].key,
			         c->plan.vary[k].values[j]);
			r->sets[r->n_user_sets] = a;
			struct scenario sc;
			if (scenario_load_with_sets(c->path, r->sets, r->n_user_sets + 1, &sc,
			                            &err)) {
				load_error(r, &err);
				scenario_free(first);
				return PS_EXIT_USAGE;
			}
			scenario_free(&sc);
		}
	return 0;
}

/* shell_word: `s` as one word for a POSIX shell (the --print-jobs lines are for one). */
static void shell_word(FILE *out, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                    "_-.,/:=+@%") == strlen(s)) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	fputc('\'', out);
}

static void print_jobs(const struct sweep_cmd *c, long n, FILE *out)
{
	char abs[PATH_MAX];
	const char *file = realpath(c->path, abs) ? abs : c->path;
	for (long i = 0; i < n; i++) {
		fputs("poolsim sweep ", out);
		shell_word(out, file);
		for (int s = 0; s < c->o.n_sets; s++) {
			fputs(" --set ", out);
			shell_word(out, c->o.sets[s]);
		}
		if (c->o.seed_set)
			fprintf(out, " --seed %llu", (unsigned long long)c->o.seed);
		if (c->o.go)
			fprintf(out, " --go %s", c->o.go);
		for (int k = 0; k < c->plan.n_vary; k++) {
			fputs(" --vary ", out);
			shell_word(out, c->vary_args[k]);
		}
		fprintf(out, " --seeds %d --only %ld --jobs 1 --json --out sweep-%06ld.json\n",
		        c->seeds, i + 1, i + 1);
	}
}

static int default_jobs(long points)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > SWEEP_MAX_JOBS)
		n = SWEEP_MAX_JOBS;
	return (int)(n < points ? n : points);
}

/* report: the table, CSV or JSON, the plot, and the goal; the exit status. */
static int report(const struct sweep_cmd *c, struct sweep_report *rep, FILE *out)
{
	struct sweep_goal goal;
	char err[400];
	if (c->goal_text) {
		if (sweep_parse_goal(c->goal_text, &goal, err, sizeof err))
			return usage_error("--goal: %s", err);
		rep->goal = &goal;
		rep->chosen = sweep_cheapest(&goal, rep->res);
	}
	if (c->o.json)
		sweep_print_json(rep, out);
	else if (c->csv)
		sweep_print_csv(rep, out);
	else
		sweep_print_table(rep, out);
	int rc = 0;
	if (c->o.plot_path && sweep_plot_write(rep, c->o.plot_path)) {
		perror(c->o.plot_path);
		rc = PS_EXIT_FAIL;
	}
	for (long i = rep->first; i < rep->first + rep->count; i++) {
		const struct sweep_point *pt = sweep_at(rep->res, i);
		if (pt->error) {
			fprintf(stderr, "poolsim sweep: point %ld: %s\n", i + 1, pt->message);
			if (!rc)
				rc = pt->error;
		}
	}
	if (!c->goal_text)
		return rc;
	FILE *msg = c->o.json || c->csv ? stderr : out;
	if (rep->chosen < 0) {
		fprintf(msg, "\nNo point of the sweep meets the goal '%s'.\n", c->goal_text);
		return rc ? rc : PS_EXIT_FAIL;
	}
	const struct sweep_point *best = sweep_at(rep->res, rep->chosen);
	fprintf(msg,
	        "\nThe goal '%s' is met; the cheapest point (fewest peak open, then fewest dials), "
	        "marked *, is point %ld:",
	        c->goal_text, rep->chosen + 1);
	for (int k = 0; k < rep->plan->n_vary; k++)
		fprintf(msg, " %s=%s", rep->plan->vary[k].key,
		        sweep_value(rep->plan, rep->chosen, k));
	fprintf(msg, "\n(peak open %lld, %.3f dials/s, latency p99 %.3f ms, failed %lld)\n\n",
	        (long long)best->peak_open, best->dials_per_s, best->lat_p99,
	        (long long)best->failed);
	sweep_print_go(best, msg);
	return rc;
}

static int merge(struct sweep_cmd *c, FILE *out)
{
	struct sweep_plan plan;
	struct sweep_results res;
	char title[SCENARIO_TITLE_MAX], err[PATH_MAX + 400];
	int seeds = 1;
	int rc = sweep_merge_dir(c->merge_dir, &plan, &res, title, sizeof title, &seeds, err,
	                         sizeof err);
	if (rc == 0) {
		struct sweep_report rep = {.title = title,
		                           .file = c->merge_dir,
		                           .plan = &plan,
		                           .res = &res,
		                           .seeds = seeds,
		                           .first = 0,
		                           .count = res.n,
		                           .chosen = -1};
		rc = report(c, &rep, out);
	} else {
		fprintf(stderr, "poolsim sweep --merge: %s\n", err);
		rc = PS_EXIT_USAGE;
	}
	sweep_plan_free(&plan);
	free(res.base);
	free(res.host_names);
	return rc;
}

static int sweep_file(struct sweep_cmd *c, FILE *out)
{
	if (!c->plan.n_vary)
		return usage_error("%s", "which settings? Give one or more --vary KEY=V1,V2,...");
	if (c->only > c->plan.n_points)
		return usage_error("--only: the sweep has fewer points than that%s", "");
	struct runner r = {.c = c};
	for (int s = 0; s < c->o.n_sets; s++)
		r.sets[r.n_user_sets++] = c->o.sets[s];
	struct scenario first;
	int rc = check_values(&r, &first);
	if (rc)
		return rc;
	if (c->print_jobs) {
		print_jobs(c, c->plan.n_points, out);
		scenario_free(&first);
		return 0;
	}
	struct sweep_results res = {.n = c->plan.n_points, .n_hosts = first.n_hosts};
	res.stride = sizeof(struct sweep_point) + first.n_hosts * sizeof(int64_t);
	res.stride = (res.stride + 15) & ~(size_t)15;
	res.host_names = calloc(first.n_hosts, sizeof *res.host_names);
	long first_point = c->only ? c->only - 1 : 0, count = c->only ? 1 : res.n;
	int jobs = c->jobs ? c->jobs : default_jobs(count);
	/* Shared with the workers when there are any; zeroed either way. */
	res.base = jobs > 1 ? mmap(NULL, res.stride * (size_t)res.n, PROT_READ | PROT_WRITE,
	                           MAP_SHARED | MAP_ANONYMOUS, -1, 0)
	                    : calloc((size_t)res.n, res.stride);
	if (res.base == MAP_FAILED || !res.base || !res.host_names) {
		fprintf(stderr, "poolsim sweep: out of memory for %ld points\n", res.n);
		scenario_free(&first);
		free(res.host_names);
		return PS_EXIT_FAIL;
	}
	for (uint32_t h = 0; h < first.n_hosts; h++)
		snprintf(res.host_names[h], sizeof res.host_names[h], "%s", first.hosts[h].name);
	rc = run_all(&r, &res, first_point, count, jobs);
	struct sweep_report rep = {.title = first.title,
	                           .file = c->path,
	                           .plan = &c->plan,
	                           .res = &res,
	                           .seeds = c->seeds,
	                           .first = first_point,
	                           .count = count,
	                           .chosen = -1};
	if (rc) {
		long ran = 0;
		for (long i = first_point; i < first_point + count; i++)
			ran += sweep_at(&res, i)->done;
		fprintf(stderr, "poolsim sweep: interrupted: %ld of %ld points ran\n", ran, count);
		sweep_print_table(&rep, out);
	} else {
		rc = report(c, &rep, out);
	}
	if (jobs > 1)
		munmap(res.base, res.stride * (size_t)res.n);
	else
		free(res.base);
	free(res.host_names);
	scenario_free(&first);
	return rc;
}

int cmd_sweep(int argc, char **argv)
{
	struct sweep_cmd c = {.o = {.command = "sweep"}, .seeds = 1};
	int rc = parse_args(argc, argv, &c);
	FILE *out = stdout;
	if (rc == 0 && c.merge_dir && (c.o.file || c.plan.n_vary))
		rc = usage_error("%s", "--merge DIR takes no scenario and no --vary");
	if (rc == 0 && !c.merge_dir && !c.o.file)
		rc = usage_error("%s", "which scenario? Give a file or a lesson number.");
	if (rc == 0 && !c.merge_dir && !cli_scenario_path(c.o.file, c.path, sizeof c.path))
		rc = usage_error("scenario path too long: %s", c.o.file);
	if (rc == 0 && c.out_path && !(out = fopen(c.out_path, "w"))) {
		perror(c.out_path);
		rc = PS_EXIT_USAGE;
	}
	if (rc == 0)
		rc = c.merge_dir ? merge(&c, out) : sweep_file(&c, out);
	if (out != stdout && out && fclose(out) && !rc) {
		perror(c.out_path);
		rc = PS_EXIT_FAIL;
	}
	sweep_plan_free(&c.plan);
	return rc;
}
