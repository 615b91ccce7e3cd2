/*
 * cmd_watch.c: the `poolsim watch` subcommand: the engines that feed the
 * dashboard's views (one simulator, real sockets, or both side by side with
 * --compare) and the struct dash_driver that paces them.
 *
 * Real mode runs on the wall clock (scenario time = wall time / time scale),
 * so with --compare the simulator follows the real engine's clock and --speed
 * does not apply; pausing real mode holds the event loop, so the sockets'
 * timers fire late on resume (a note on screen says so). It must not include
 * ncurses or draw. It is a CLI edge: it prints errors and picks the exit status.
 */
#include "cli.h"
#include "commands.h"
#include "dash.h"
#include "real.h"
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How much wall time one drive call may spend waiting on real sockets. */
#define REAL_FRAME_BUDGET_NS (30 * PS_MS)
/* At most this many simulated events per engine per frame (a few tens of ms). */
#define WATCH_FRAME_EVENTS 200000u

/* One engine and the view it feeds: exactly one of sim and real is set. */
struct watch_engine {
	struct sim *sim;
	struct real *real;
	struct view *view;
};

struct watch {
	struct scenario sc;
	struct cli_opts opts;
	struct watch_engine eng[DASH_MAX_PANES];
	struct dash_pane panes[DASH_MAX_PANES];
	int n;
	int real_index; /* the pane driven by real sockets, or -1 */
	ps_time linger;
};

/* ---------------------------------------------------------------- engines */

static void engine_free(struct watch_engine *e)
{
	sim_destroy(e->sim);
	real_destroy(e->real);
	view_destroy(e->view);
	memset(e, 0, sizeof(*e));
}

static int open_real(struct watch *w, struct watch_engine *e)
{
	int err = 0;
	e->real = real_create(&w->sc, w->opts.time_scale, &err);
	if (!e->real) {
		errno = err;
		return -1;
	}
	if (real_add_sink(e->real, view_sink(e->view)) < 0)
		return -1;
	int rc = real_start(e->real, true);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

static int engine_open(struct watch *w, int i, bool is_real)
{
	struct watch_engine *e = &w->eng[i];
	e->view = view_create(&w->sc);
	if (!e->view)
		return -1;
	view_set_closing_linger(e->view, w->linger);
	if (is_real) {
		if (open_real(w, e) < 0) {
			engine_free(e);
			return -1;
		}
		w->real_index = i;
	} else {
		e->sim = sim_create(&w->sc);
		if (!e->sim || sim_add_sink(e->sim, view_sink(e->view)) < 0) {
			engine_free(e);
			return -1;
		}
		sim_start(e->sim);
		/* The simulator teaches; in compare mode its pause holds the real sockets too. */
		view_set_teach(e->view, w->opts.teach);
	}
	w->panes[i].view = e->view;
	w->panes[i].mode = is_real ? "real" : "sim";
	w->panes[i].note = is_real ? "(sockets on 127.0.0.1)" : NULL;
	return 0;
}

static void watch_close(struct watch *w)
{
	for (int i = 0; i < w->n; i++)
		engine_free(&w->eng[i]);
}

static int watch_open(struct watch *w)
{
	w->n = w->opts.compare ? 2 : 1;
	w->real_index = -1;
	for (int i = 0; i < w->n; i++)
		if (engine_open(w, i, w->opts.compare ? i == 1 : w->opts.real) < 0) {
			int saved = errno;
			watch_close(w);
			errno = saved;
			return -1;
		}
	return 0;
}

/* ---------------------------------------------------------------- dash_driver */

static ps_time engine_now(const struct watch_engine *e)
{
	return e->real ? real_now(e->real) : sim_now(e->sim);
}

static bool engine_finished(const struct watch_engine *e)
{
	return e->real ? real_finished(e->real) : sim_finished(e->sim);
}

/*
 * drv_run_until: the simulators run to `t`; real sockets cannot run ahead of
 * the wall clock, so when there is a real engine it advances for at most one
 * frame's worth of wall time and the simulators follow its clock instead.
 */
static bool drv_run_until(void *ctx, ps_time t)
{
	struct watch *w = ctx;
	bool running = false;
	if (w->real_index >= 0) {
		struct real *r = w->eng[w->real_index].real;
		ps_time budget = (ps_time)((double)REAL_FRAME_BUDGET_NS / w->opts.time_scale);
		ps_time limit = ps_time_add(real_now(r), budget);
		if (real_run_until(r, limit) < 0)
			return false;
		t = real_finished(r) ? PS_TIME_NEVER : real_now(r);
	}
	for (int i = 0; i < w->n; i++) {
		struct watch_engine *e = &w->eng[i];
		/* Bounded, so keys and signals are read every frame however busy the run; in
		 * teaching mode one event at a time, so the run stops at the rule it explains. */
		if (e->sim && w->opts.teach)
			for (uint32_t k = 0;
			     k < WATCH_FRAME_EVENTS && !view_teach_pending(e->view) &&
			     sim_next_time(e->sim) <= t;
			     k++)
				sim_run_some(e->sim, t, 1);
		else if (e->sim)
			sim_run_some(e->sim, t, WATCH_FRAME_EVENTS);
		running |= !engine_finished(e);
	}
	return running;
}

/*
 * drv_step: one event of each simulator. Real sockets stay paused: they
 * cannot be stepped, and the header's clock stays at the time both agree on.
 */
static bool drv_step(void *ctx)
{
	struct watch *w = ctx;
	bool running = false;
	for (int i = 0; i < w->n; i++) {
		if (w->eng[i].sim)
			sim_step(w->eng[i].sim);
		running |= !engine_finished(&w->eng[i]);
	}
	return running;
}

static void drv_pause(void *ctx, bool paused)
{
	struct watch *w = ctx;
	if (w->real_index >= 0)
		real_pause(w->eng[w->real_index].real, paused);
}

static ps_time drv_now(void *ctx)
{
	struct watch *w = ctx;
	ps_time now = PS_TIME_NEVER;
	for (int i = 0; i < w->n; i++) {
		ps_time t = engine_now(&w->eng[i]);
		if (t < now)
			now = t;
	}
	return now;
}

static ps_time drv_pane_now(void *ctx, int i)
{
	struct watch *w = ctx;
	return engine_now(&w->eng[i]);
}

static bool drv_finished(void *ctx)
{
	struct watch *w = ctx;
	for (int i = 0; i < w->n; i++)
		if (!engine_finished(&w->eng[i]))
			return false;
	return true;
}

static int drv_restart(void *ctx)
{
	struct watch *w = ctx;
	watch_close(w);
	return watch_open(w);
}

/* ---------------------------------------------------------------- the command */

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

/* print_interrupted: after Ctrl-C, each run ends where it is and prints its counts so far
 * (requests in flight are unfinished). */
static void print_interrupted(struct watch *w)
{
	for (int i = 0; i < w->n; i++) {
		struct watch_engine *e = &w->eng[i];
		if (e->sim && !sim_finished(e->sim))
			sim_stop(e->sim, RUN_INTERRUPTED);
		if (e->real && !real_finished(e->real))
			real_stop(e->real, RUN_INTERRUPTED);
		const struct counts *t = view_counts(e->view, PS_NONE);
		fprintf(
		    stderr,
		    "poolsim watch: %s run interrupted at %.3fs; requests %lld: ok %lld, failed "
		    "%lld, unfinished %lld\n",
		    w->panes[i].mode, (double)e->view->now / PS_SEC, (long long)t->requests,
		    (long long)t->ok, (long long)t->failed,
		    (long long)(t->requests - t->ok - t->failed));
	}
}

/* report_stops: a pane whose run stopped at a limit says so after the screen is restored. */
static int report_stops(const struct watch *w)
{
	int rc = 0;
	for (int i = 0; i < w->n; i++) {
		const struct view *v = w->eng[i].view;
		if (!v || v->stopped == RUN_COMPLETE || v->stopped == RUN_INTERRUPTED)
			continue;
		fprintf(stderr, "poolsim watch: the %s run stopped at %.3fs: %s (%s)\n",
		        w->panes[i].mode, (double)v->now / PS_SEC, run_stop_name(v->stopped),
		        v->stopped == RUN_LIVE_LIMIT
		            ? "more requests and conns at once than poolsim holds"
		            : "simulated time stopped advancing; see docs/format.md, Progress");
		rc = PS_EXIT_FAIL;
	}
	return rc;
}

static int run_dashboard(struct watch *w)
{
	struct dash_driver drv = {w,           drv_run_until, drv_step,    drv_now, drv_finished,
	                          drv_restart, drv_pause,     drv_pane_now};
	/* Decided from the flags: real_index is only known once watch_open has run. */
	bool wall = w->opts.real || w->opts.compare;
	double speed = wall ? 1.0 / w->opts.time_scale : w->opts.speed;
	char changed[512], lesson[2048];
	struct dash_config cfg = {
	    .title = w->sc.title,
	    .speed = speed,
	    .frames = w->opts.frames,
	    .panes = w->panes,
	    .wall_clock = wall,
	    .changed = cli_sets_text(&w->opts, changed, sizeof(changed)),
	    .teach = w->opts.teach,
	    .lesson_text = cli_lesson_text(w->sc.path, lesson, sizeof(lesson)),
	};
	int rc;

	if (watch_open(w) < 0) {
		fprintf(stderr, "poolsim watch: cannot start: %s\n", strerror(errno));
		return PS_EXIT_FAIL;
	}
	cfg.n_panes = w->n;
	rc = dash_run(&cfg, &drv);
	if (rc > 128)
		print_interrupted(w);
	int stop_rc = report_stops(w);
	watch_close(w);
	if (rc == 0)
		rc = stop_rc;
	switch (rc) {
	case DASH_ERR_TERMINAL:
		fprintf(stderr, "poolsim watch: cannot set up the terminal (is TERM=%s right?)\n",
		        getenv("TERM") ? getenv("TERM") : "");
		return PS_EXIT_USAGE;
	case DASH_ERR_ENGINE:
		fprintf(stderr, "poolsim watch: restart failed: %s\n", strerror(errno));
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
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--attach"))
			return watch_attach(argc, argv);
	struct watch w;
	memset(&w, 0, sizeof(w));
	w.opts.command = "watch";
	int rc = cli_parse(argc, argv, CLI_WATCH | CLI_SCALE | CLI_SET | CLI_TEACH, &w.opts);
	if (rc)
		return rc;
	if ((rc = cli_load(&w.opts, &w.sc)))
		return rc;
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		char shown[CLI_VISIBLE_MAX];
		fprintf(stderr, "poolsim watch needs a terminal; try: poolsim run %s --trace\n",
		        cli_visible(w.sc.path, shown, sizeof shown));
		scenario_free(&w.sc);
		return PS_EXIT_USAGE;
	}
	bool real = w.opts.real || w.opts.compare;
	w.linger = closing_linger(real ? 1.0 / w.opts.time_scale : w.opts.speed);
	rc = run_dashboard(&w);
	scenario_free(&w.sc);
	return rc;
}
