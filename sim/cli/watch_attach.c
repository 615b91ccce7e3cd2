/*
 * watch_attach.c: `poolsim watch --attach SOCKET`: the dashboard fed by a
 * live Go program's probe (probe/, docs/probe.md) over a Unix socket. The
 * records are read as they come (outputs/capture.c) into the same view model
 * the simulator and the real engine feed, shown in one pane labelled "go".
 * The probe meets hosts as the program does: a new host rebuilds the view
 * from the records kept so far. When the program's probe stops (the socket
 * closes), the screen holds the final counts until q, and the counts are
 * printed after the screen is restored. With --compare-sim, a second pane,
 * "sim", replays the same requests in the simulator as they come
 * (watch_attach_sim.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "commands.h"
#include "dash.h"
#include "watch_attach_sim.h"

#define ATTACH_LINE_MAX (64 * 1024)
#define ATTACH_LOG_MAX  (1u << 20) /* records kept to rebuild the view when a host appears */

struct attach {
	const char *path;
	int fd;
	struct capture c;
	struct scenario sc;
	struct view *view;
	struct dash_pane pane[DASH_MAX_PANES];
	struct attach_sim *sim; /* --compare-sim, else NULL */
	char *buf;
	size_t len;
	long line;
	struct ps_event *log;
	size_t n_log, cap_log;
	bool log_full, eof, failed;
	ps_time first_t, last_t;
	struct timespec first_wall;
	bool seen;
	char title[200];
};

static ps_time mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ps_time)ts.tv_sec * PS_SEC + ts.tv_nsec;
}

static ps_time first_wall_ns(const struct attach *a)
{
	return (ps_time)a->first_wall.tv_sec * PS_SEC + a->first_wall.tv_nsec;
}

static int rebuild_view(struct attach *a)
{
	view_destroy(a->view);
	a->view = view_create(&a->sc);
	a->pane[0].view = a->view;
	if (!a->view)
		return -1;
	view_set_closing_linger(a->view, PS_SEC);
	for (size_t i = 0; i < a->n_log; i++)
		view_on_event(a->view, &a->log[i]);
	return 0;
}

static void keep(struct attach *a, const struct ps_event *ev)
{
	if (a->log_full)
		return;
	if (a->n_log == a->cap_log) {
		size_t cap = a->cap_log ? a->cap_log * 2 : 4096;
		struct ps_event *l =
		    cap <= ATTACH_LOG_MAX ? realloc(a->log, cap * sizeof *l) : NULL;
		if (!l) {
			a->log_full = true;
			return;
		}
		a->log = l;
		a->cap_log = cap;
	}
	a->log[a->n_log++] = *ev;
}

/* one_line: a complete line of the stream. */
static void one_line(struct attach *a, const char *text)
{
	struct ps_event ev;
	bool added;
	struct transport_config before = a->sc.transport;
	int r = capture_line(&a->c, ++a->line, text, &a->sc, &ev, &added);
	if (r < 0) {
		a->failed = a->eof = true;
		return;
	}
	bool changed = added || memcmp(&before, &a->sc.transport, sizeof before);
	if ((added && rebuild_view(a) < 0) ||
	    (changed && a->sim && attach_sim_changed(a->sim, a->sc.n_hosts) < 0)) {
		snprintf(a->c.error, sizeof a->c.error, "%s: out of memory", a->path);
		a->failed = a->eof = true;
		return;
	}
	if (r == 1 && a->view) {
		if (!a->seen) {
			a->seen = true;
			a->first_t = ev.t;
			clock_gettime(CLOCK_MONOTONIC, &a->first_wall);
		}
		if (ev.t > a->last_t)
			a->last_t = ev.t;
		keep(a, &ev);
		view_on_event(a->view, &ev);
		if (a->sim)
			attach_sim_record(a->sim, &ev);
		if (ev.kind == EV_RUN_END)
			a->eof = true;
	}
}

/* pump: everything the socket has now, line by line; never waits. */
static void pump(struct attach *a)
{
	while (!a->eof) {
		if (a->len == ATTACH_LINE_MAX) {
			snprintf(a->c.error, sizeof a->c.error,
			         "%s:%ld: a line longer than %d bytes", a->path, a->line + 1,
			         ATTACH_LINE_MAX);
			a->failed = a->eof = true;
			return;
		}
		ssize_t n = read(a->fd, a->buf + a->len, ATTACH_LINE_MAX - a->len);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			a->eof = true; /* the probe stopped, or the program ended */
			return;
		}
		a->len += (size_t)n;
		char *start = a->buf, *nl;
		while (!a->eof && (nl = memchr(start, '\n', a->len - (size_t)(start - a->buf)))) {
			*nl = '\0';
			one_line(a, start);
			start = nl + 1;
		}
		a->len -= (size_t)(start - a->buf);
		memmove(a->buf, start, a->len);
	}
}

static bool drv_run_until(void *ctx, ps_time t)
{
	(void)t; /* a live program runs on its own clock */
	struct attach *a = ctx;
	pump(a);
	if (a->sim && a->seen && attach_sim_advance(a->sim, &a->sc, a->last_t, a->eof) < 0) {
		snprintf(a->c.error, sizeof a->c.error, "%s: the simulator is out of memory",
		         a->path);
		a->failed = a->eof = true;
	}
	if (a->sim)
		a->pane[1].view = attach_sim_view(a->sim);
	return !a->eof;
}

static bool drv_step(void *ctx)
{
	return drv_run_until(ctx, 0);
}

/* drv_now: the program's clock, as far as the records and the wall clock since the first
 * one tell it; it stands still once the stream ended. */
static ps_time drv_now(void *ctx)
{
	struct attach *a = ctx;
	if (!a->seen)
		return 0;
	if (a->eof)
		return a->last_t;
	ps_time t = a->first_t + (mono_ns() - first_wall_ns(a));
	return t > a->last_t ? t : a->last_t;
}

static ps_time drv_pane_now(void *ctx, int i)
{
	struct attach *a = ctx;
	return i == 1 && a->sim ? attach_sim_now(a->sim) : drv_now(ctx);
}

static bool drv_finished(void *ctx)
{
	return ((struct attach *)ctx)->eof;
}

static int drv_restart(void *ctx)
{
	(void)ctx; /* a live program cannot be restarted from here: r does nothing */
	return 0;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static void print_pane(const char *mode, const struct view *v)
{
	const struct counts *t = v ? view_counts(v, PS_NONE) : NULL;
	if (!t)
		return;
	fprintf(stderr,
	        "poolsim watch: %s: requests %lld: ok %lld, failed %lld; dials %lld (failed "
	        "%lld), reused %lld, peak open %lld, closed %lld\n",
	        mode, (long long)t->requests, (long long)t->ok, (long long)t->failed,
	        (long long)t->dials, (long long)t->dial_failures, (long long)t->reused,
	        (long long)t->peak_open, (long long)t->closed);
}

static void print_counts(const struct attach *a)
{
	print_pane("go", a->view);
	if (a->sim)
		print_pane("sim", attach_sim_view(a->sim));
	if (a->c.dropped)
		fprintf(stderr,
		        "poolsim watch: the probe dropped %lld records: every count is short\n",
		        (long long)a->c.dropped);
}

#define ATTACH_USAGE "usage: poolsim watch --attach SOCKET [--compare-sim] [--frames N]\n"

/* watch_attach: argv is "--attach SOCKET [--compare-sim] [--frames N]". */
int watch_attach(int argc, char **argv)
{
	struct attach a = {.fd = -1};
	long frames = 0;
	bool compare_sim = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--attach") && i + 1 < argc && !a.path)
			a.path = argv[++i];
		else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--compare-sim"))
			compare_sim = true;
		else {
			fprintf(stderr, ATTACH_USAGE);
			return PS_EXIT_USAGE;
		}
	}
	if (!a.path) {
		fprintf(stderr, ATTACH_USAGE);
		return PS_EXIT_USAGE;
	}
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "poolsim watch needs a terminal; try: poolsim summary CAPTURE\n");
		return PS_EXIT_USAGE;
	}
	if ((a.fd = connect_socket(a.path)) < 0) {
		fprintf(stderr, "poolsim watch: --attach '%s': %s\n", a.path, strerror(errno));
		return PS_EXIT_USAGE;
	}
	int rc = 0;
	a.buf = malloc(ATTACH_LINE_MAX);
	if (compare_sim && !(a.sim = attach_sim_create()))
		rc = PS_EXIT_FAIL;
	if (rc || !a.buf || capture_begin(&a.c, a.path, &a.sc) || rebuild_view(&a) < 0) {
		fprintf(stderr, "poolsim watch: out of memory\n");
		rc = PS_EXIT_FAIL;
	}
	if (!rc) {
		snprintf(a.title, sizeof a.title, "a Go program's pool, live (%s)", a.path);
		a.sc.duration = 1000 * 3600 * PS_SEC; /* a live program has no end */
		a.pane[0] = (struct dash_pane){.view = a.view, .mode = "go", .note = "(the probe)"};
		a.pane[1] = (struct dash_pane){
		    .view = NULL, .mode = "sim", .note = "(the same requests, replayed)"};
		if (a.sim && attach_sim_advance(a.sim, &a.sc, 0, false) == 0)
			a.pane[1].view = attach_sim_view(a.sim);
		struct dash_driver drv = {&a,           drv_run_until, drv_step, drv_now,
		                          drv_finished, drv_restart,   NULL,     drv_pane_now};
		struct dash_config cfg = {.title = a.title,
		                          .speed = 1,
		                          .frames = frames,
		                          .panes = a.pane,
		                          .n_panes = a.sim ? 2 : 1,
		                          .wall_clock = true};
		rc = dash_run(&cfg, &drv);
		if (rc == DASH_ERR_TERMINAL) {
			fprintf(stderr, "poolsim watch: cannot set up the terminal\n");
			rc = PS_EXIT_USAGE;
		} else if (rc < 0) {
			perror("poolsim watch");
			rc = PS_EXIT_FAIL;
		}
		if (a.failed) {
			fprintf(stderr, "poolsim watch: %s\n", a.c.error);
			rc = PS_EXIT_USAGE;
		}
		print_counts(&a);
	}
	view_destroy(a.view);
	attach_sim_destroy(a.sim);
	free(a.log);
	free(a.buf);
	scenario_free(&a.sc);
	close(a.fd);
	return rc;
}
