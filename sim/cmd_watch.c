/*
 * cmd_watch.c: the `poolsim watch` subcommand: the command line, the lesson
 * lookup, and the engines that feed the dashboard's views.
 *
 * It owns the engines (one simulator, or two side by side with --compare) and
 * hands dash.c a struct dash_driver to pace them; it must not include ncurses
 * or draw. It is a CLI edge: it prints errors and picks the exit status.
 */
#include "commands.h"
#include "dash.h"
#include "sim.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WATCH_PATH_MAX 4096

struct watch_opts {
	const char *target; /* FILE or lesson number */
	double speed;       /* 0 = max */
	bool real, compare;
	double time_scale;
	long frames;
	bool seed_set;
	uint64_t seed;
};

/*
 * One engine and the view it feeds. REAL: when the real engine exists, a
 * `struct real_run *real` joins `sim` here and the ops below pick by `is_real`.
 */
struct watch_engine {
	struct sim *sim;
	struct view *view;
	bool is_real;
};

struct watch {
	struct scenario sc;
	struct watch_opts opts;
	struct watch_engine eng[DASH_MAX_PANES];
	struct dash_pane panes[DASH_MAX_PANES];
	int n;
	ps_time linger;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: poolsim watch FILE|N [--speed X|max] [--real] [--compare] "
		     "[--time-scale X] [--frames N] [--seed N]\n"
		     "  N               lesson N: the first scenarios/NN-*.ini\n"
		     "  --speed X|max   scenario seconds per wall second (default 1)\n"
		     "  --real          real sockets on 127.0.0.1 instead of the simulator\n"
		     "  --compare       the simulator and real sockets side by side\n"
		     "  --time-scale X  real mode: multiply every duration by X\n"
		     "  --frames N      quit after N frames (tests)\n"
		     "  --seed N        override the scenario's seed\n");
}

/* ---------------------------------------------------------------- engines */

static void engine_free(struct watch_engine *e)
{
	/* REAL: real_destroy(e->real) */
	sim_destroy(e->sim);
	view_destroy(e->view);
	e->sim = NULL;
	e->view = NULL;
}

static int engine_open(struct watch *w, int i, bool is_real)
{
	struct watch_engine *e = &w->eng[i];

	e->is_real = is_real;
	e->view = view_create(&w->sc);
	/*
	 * REAL: no real engine API exists yet, so a second simulator stands in.
	 * Wanted: real_create(sc, time_scale), real_add_sink(real, sink),
	 * real_start(real), real_run_until(real, scenario_time) returning after at
	 * most a wall-clock budget (non-blocking), real_now, real_finished,
	 * real_destroy; records reported in scenario time, EV_KERNEL_SAMPLE included.
	 */
	e->sim = sim_create(&w->sc);
	if (!e->view || !e->sim || sim_add_sink(e->sim, view_sink(e->view)) < 0) {
		engine_free(e);
		return -1;
	}
	view_set_closing_linger(e->view, w->linger);
	sim_start(e->sim);
	w->panes[i].view = e->view;
	w->panes[i].mode = is_real ? "real" : "sim";
	w->panes[i].note = is_real ? "(stand-in: simulated)" : NULL;
	return 0;
}

static void watch_close(struct watch *w)
{
	for (int i = 0; i < w->n; i++)
		engine_free(&w->eng[i]);
}

static int watch_open(struct watch *w)
{
	bool first_real = w->opts.real && !w->opts.compare;

	w->n = w->opts.compare ? 2 : 1;
	for (int i = 0; i < w->n; i++)
		if (engine_open(w, i, i == 1 || first_real) < 0) {
			watch_close(w);
			return -1;
		}
	return 0;
}

/* ---------------------------------------------------------------- dash_driver */

static bool drv_run_until(void *ctx, ps_time t)
{
	struct watch *w = ctx;
	bool running = false;

	for (int i = 0; i < w->n; i++)
		running |= sim_run_until(w->eng[i].sim, t);
	return running;
}

static bool drv_step(void *ctx)
{
	struct watch *w = ctx;
	ps_time next = PS_TIME_NEVER;

	if (w->n == 1)
		return sim_step(w->eng[0].sim);
	/* Two engines move together: to the earliest next event of either. */
	for (int i = 0; i < w->n; i++) {
		ps_time t = sim_next_time(w->eng[i].sim);

		if (t < next)
			next = t;
	}
	if (next == PS_TIME_NEVER)
		return false;
	return drv_run_until(ctx, next);
}

static ps_time drv_now(void *ctx)
{
	struct watch *w = ctx;
	ps_time now = PS_TIME_NEVER;

	for (int i = 0; i < w->n; i++) {
		ps_time t = sim_now(w->eng[i].sim);

		if (t < now)
			now = t;
	}
	return now;
}

static bool drv_finished(void *ctx)
{
	struct watch *w = ctx;

	for (int i = 0; i < w->n; i++)
		if (!sim_finished(w->eng[i].sim))
			return false;
	return true;
}

static int drv_restart(void *ctx)
{
	struct watch *w = ctx;

	watch_close(w);
	return watch_open(w);
}

/* ---------------------------------------------------------------- lessons */

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The alphabetically first NN-*.ini (or NN*.ini) in `dir`; 0 if found. */
static int lesson_in(const char *dir, int n, char *out, size_t size)
{
	char prefix[16], best[256] = "";
	size_t plen;
	DIR *dh = opendir(dir);
	struct dirent *de;

	if (!dh)
		return -1;
	snprintf(prefix, sizeof(prefix), "%02d", n);
	plen = strlen(prefix);
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, prefix, plen) != 0 || (de->d_name[plen] >= '0' && de->d_name[plen] <= '9'))
			continue;
		if (len < 4 || strcmp(de->d_name + len - 4, ".ini") != 0 || len >= sizeof(best))
			continue;
		if (!best[0] || strcmp(de->d_name, best) < 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(dh);
	if (!best[0])
		return -1;
	snprintf(out, size, "%s/%s", dir, best);
	return 0;
}

/* Lesson N: ./scenarios, then next to the executable, then $POOLSIM_SCENARIOS. */
static int find_lesson(int n, char *out, size_t size)
{
	char exe[WATCH_PATH_MAX], dir[WATCH_PATH_MAX + 64];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *env = getenv("POOLSIM_SCENARIOS");

	if (lesson_in("scenarios", n, out, size) == 0)
		return 0;
	if (len > 0) {
		char *slash;

		exe[len] = 0;
		slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		snprintf(dir, sizeof(dir), "%s/../scenarios", exe);
		if (lesson_in(dir, n, out, size) == 0)
			return 0;
		/* make install puts the lessons in PREFIX/share/poolsim/scenarios */
		snprintf(dir, sizeof(dir), "%s/../share/poolsim/scenarios", exe);
		if (lesson_in(dir, n, out, size) == 0)
			return 0;
	}
	if (env && *env && lesson_in(env, n, out, size) == 0)
		return 0;
	return -1;
}

/* ---------------------------------------------------------------- arguments */

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno || end == s || *end || !(*out > 0)) ? -1 : 0;
}

static int parse_long(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno || end == s || *end || *out < 0) ? -1 : 0;
}

/* "--flag value" or "--flag=value": the value, advancing *i past it; NULL if missing. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag)
{
	size_t n = strlen(flag);

	if (strncmp(argv[*i], flag, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int bad_flag(const char *what, const char *value)
{
	fprintf(stderr, "poolsim watch: %s: %s\n", what, value ? value : "missing value");
	usage(stderr);
	return -1;
}

static int parse_one(int argc, char **argv, int *i, struct watch_opts *o)
{
	const char *a = argv[*i], *val;
	long long n;

	if (strcmp(a, "--real") == 0)
		o->real = true;
	else if (strcmp(a, "--compare") == 0)
		o->compare = true;
	else if (strncmp(a, "--speed", 7) == 0 && (a[7] == 0 || a[7] == '=')) {
		val = flag_value(argc, argv, i, "--speed");
		if (val && strcmp(val, "max") == 0)
			o->speed = 0;
		else if (!val || parse_double(val, &o->speed) < 0)
			return bad_flag("--speed wants a number > 0 or max", val);
	} else if (strncmp(a, "--time-scale", 12) == 0 && (a[12] == 0 || a[12] == '=')) {
		val = flag_value(argc, argv, i, "--time-scale");
		if (!val || parse_double(val, &o->time_scale) < 0)
			return bad_flag("--time-scale wants a number > 0", val);
	} else if (strncmp(a, "--frames", 8) == 0 && (a[8] == 0 || a[8] == '=')) {
		val = flag_value(argc, argv, i, "--frames");
		if (!val || parse_long(val, &n) < 0 || n == 0)
			return bad_flag("--frames wants a number > 0", val);
		o->frames = (long)n;
	} else if (strncmp(a, "--seed", 6) == 0 && (a[6] == 0 || a[6] == '=')) {
		val = flag_value(argc, argv, i, "--seed");
		if (!val || parse_long(val, &n) < 0)
			return bad_flag("--seed wants a number >= 0", val);
		o->seed = (uint64_t)n;
		o->seed_set = true;
	} else if (a[0] == '-' && a[1]) {
		return bad_flag("unknown option", a);
	} else if (!o->target) {
		o->target = a;
	} else {
		return bad_flag("one scenario only", a);
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct watch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->speed = 1;
	o->time_scale = 1;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 1;
		}
		if (parse_one(argc, argv, &i, o) < 0)
			return -1;
	}
	if (!o->target)
		return bad_flag("no scenario given", "FILE or lesson number");
	return 0;
}

/* ---------------------------------------------------------------- the command */

static int resolve_target(const char *target, char *path, size_t size)
{
	if (access(target, F_OK) == 0 || !is_number(target) || strlen(target) > 2) {
		snprintf(path, size, "%s", target);
		return 0;
	}
	if (find_lesson(atoi(target), path, size) == 0)
		return 0;
	fprintf(stderr, "poolsim watch: no lesson %s: no scenarios/%02d-*.ini here, next to the "
			"executable, or in $POOLSIM_SCENARIOS\n",
		target, atoi(target));
	return -1;
}

static int load(struct watch *w, const char *path)
{
	struct scenario_error err;

	if (scenario_load(path, &w->sc, &err) < 0) {
		if (err.line > 0)
			fprintf(stderr, "%s:%d: %s\n", path, err.line, err.message);
		else
			fprintf(stderr, "%s: %s\n", path, err.message);
		return -1;
	}
	if (w->opts.seed_set)
		w->sc.seed = w->opts.seed;
	return 0;
}

/* A closed conn shows as `x` for about half a wall second, however fast the run goes. */
static ps_time closing_linger(double speed)
{
	double ns = speed > 0 ? speed * 0.5 * (double)PS_SEC : 5.0 * (double)PS_SEC;

	if (ns < (double)PS_SEC)
		ns = (double)PS_SEC;
	if (ns > 60.0 * (double)PS_SEC)
		ns = 60.0 * (double)PS_SEC;
	return (ps_time)ns;
}

static int run_dashboard(struct watch *w)
{
	struct dash_driver drv = {w, drv_run_until, drv_step, drv_now, drv_finished, drv_restart};
	struct dash_config cfg = {w->sc.title, w->opts.speed, w->opts.frames, w->panes, 0};
	int rc;

	if (watch_open(w) < 0) {
		fprintf(stderr, "poolsim watch: out of memory\n");
		return PS_EXIT_FAIL;
	}
	cfg.n_panes = w->n;
	rc = dash_run(&cfg, &drv);
	watch_close(w);
	switch (rc) {
	case DASH_ERR_TERMINAL:
		fprintf(stderr, "poolsim watch: cannot set up the terminal (is TERM=%s right?)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return PS_EXIT_USAGE;
	case DASH_ERR_ENGINE:
		fprintf(stderr, "poolsim watch: restart failed: out of memory\n");
		return PS_EXIT_FAIL;
	case DASH_ERR_SYSTEM:
		perror("poolsim watch");
		return PS_EXIT_FAIL;
	default:
		return rc;
	}
}

int cmd_watch(int argc, char **argv)
{
	struct watch w;
	char path[WATCH_PATH_MAX];
	int rc;

	memset(&w, 0, sizeof(w));
	rc = parse_args(argc, argv, &w.opts);
	if (rc != 0)
		return rc > 0 ? PS_EXIT_OK : PS_EXIT_USAGE;
	if (resolve_target(w.opts.target, path, sizeof(path)) < 0)
		return PS_EXIT_USAGE;
	if (load(&w, path) < 0)
		return PS_EXIT_USAGE;
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "poolsim watch needs a terminal; try: poolsim run %s --trace\n", path);
		scenario_free(&w.sc);
		return PS_EXIT_USAGE;
	}
	w.linger = closing_linger(w.opts.speed);
	rc = run_dashboard(&w);
	scenario_free(&w.sc);
	return rc;
}
