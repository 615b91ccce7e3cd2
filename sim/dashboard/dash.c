/*
 * dash.c: the live dashboard's screen and input loop (dash.h).
 *
 * The only file that includes ncurses. It reads the views (plain data) and
 * draws them; it never looks inside an engine, only calls struct dash_driver.
 * The loop: advance the engines by the pace, repaint if a view or the screen
 * changed (at most DASH_FPS times a second), then wait in poll() on the
 * keyboard and a signalfd, so SIGINT and SIGTERM arrive as data, without a
 * handler or a global flag, and the terminal is always restored by endwin().
 */
#include "dash.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define FRAME_NS (PS_SEC / DASH_FPS)
/* --speed max: wall time per frame given to the engines, the rest is for drawing. */
#define MAX_SPEED_BUDGET_NS (PS_SEC / 50)
#define SPEED_CEILING       65536.0

enum dash_color {
	C_NORMAL,
	C_DIALING,
	C_TLS,
	C_ACTIVE,
	C_IDLE,
	C_CLOSING,
	C_LEAKED,
	C_MARK_CONNS,
	C_MARK_IDLE,
	C_TITLE,
	C_WAIT,
	C_DIM,
	C_COUNT
};

/* Handlers answer with what the loop should do (htop's style). */
enum {
	DASH_REDRAW = 1 << 0,
	DASH_QUIT = 1 << 1,
	DASH_RESTART = 1 << 2,
	DASH_STEP = 1 << 3,
};

struct dash {
	const struct dash_config *cfg;
	const struct dash_driver *drv;
	bool utf8, color;
	bool paused, help, finished;
	double speed;      /* 0 = max */
	ps_time max_delta; /* --speed max: scenario time per frame, adapted to the budget */
	ps_time clock;     /* scenario time shown */
	int selected;      /* host for the detail view, -1 = none */
	uint64_t seen;     /* sum of the views' change counters at the last paint */
	bool dirty;        /* the screen itself needs a repaint (resize, key, overlay) */
	long frames;
	int sfd;
};

/* ---------------------------------------------------------------- time */

static ps_time wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ps_time)ts.tv_sec * PS_SEC + ts.tv_nsec;
}

/* ---------------------------------------------------------------- text */

static attr_t attr_of(const struct dash *d, enum dash_color c)
{
	static const attr_t mono[C_COUNT] = {
	    [C_DIALING] = A_DIM,
	    [C_TLS] = A_DIM,
	    [C_ACTIVE] = A_BOLD,
	    [C_CLOSING] = A_DIM,
	    [C_LEAKED] = A_BOLD | A_UNDERLINE,
	    [C_MARK_CONNS] = A_BOLD,
	    [C_MARK_IDLE] = A_BOLD,
	    [C_TITLE] = A_REVERSE,
	    [C_WAIT] = A_BOLD,
	    [C_DIM] = A_DIM,
	};

	if (c == C_NORMAL)
		return A_NORMAL;
	if (!d->color)
		return mono[c];
	if (c == C_TITLE)
		return COLOR_PAIR(c) | A_BOLD;
	return COLOR_PAIR(c) | (c == C_ACTIVE || c == C_MARK_CONNS ? A_BOLD : 0);
}

static void init_colors(struct dash *d)
{
	static const short fg[C_COUNT] = {
	    [C_DIALING] = COLOR_YELLOW, [C_TLS] = COLOR_MAGENTA,    [C_ACTIVE] = COLOR_GREEN,
	    [C_IDLE] = COLOR_CYAN,      [C_CLOSING] = COLOR_RED,    [C_LEAKED] = COLOR_MAGENTA,
	    [C_MARK_CONNS] = COLOR_RED, [C_MARK_IDLE] = COLOR_BLUE, [C_TITLE] = COLOR_BLACK,
	    [C_WAIT] = COLOR_YELLOW,    [C_DIM] = COLOR_WHITE,
	};
	const char *no_color = getenv("NO_COLOR");

	/* https://no-color.org: any non-empty NO_COLOR turns colour off. */
	d->color = has_colors() && !(no_color && no_color[0]);
	if (!d->color)
		return;
	start_color();
	use_default_colors();
	for (short c = 1; c < C_COUNT; c++)
		init_pair(c, fg[c], c == C_TITLE ? COLOR_CYAN : -1);
}

/* Writes at most `w` screen columns of UTF-8 text (every glyph we use is one column wide). */
static void put(int y, int x, int w, attr_t a, const char *s)
{
	int cols = 0;
	size_t n = 0;

	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	for (; s[n]; n++) {
		if (((unsigned char)s[n] & 0xC0) != 0x80) {
			if (cols == w)
				break;
			cols++;
		}
	}
	attron(a);
	mvaddnstr(y, x, s, (int)n);
	attroff(a);
}

static void __attribute__((format(printf, 5, 6)))
putf(int y, int x, int w, attr_t a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(y, x, w, a, buf);
}

static double seconds(ps_time t)
{
	return (double)t / (double)PS_SEC;
}

static const char *limit(int64_t v, char *buf, size_t size)
{
	return view_limit_text(v, buf, size);
}

/* ---------------------------------------------------------------- header, footer */

static void speed_text(const struct dash *d, char *buf, size_t size)
{
	if (d->speed <= 0)
		snprintf(buf, size, "speed max");
	else if (d->speed >= 1)
		snprintf(buf, size, "speed x%g", d->speed);
	else
		snprintf(buf, size, "speed x1/%g", 1.0 / d->speed);
}

static void draw_header(const struct dash *d)
{
	const struct view *v = d->cfg->panes[0].view;
	const struct transport_config *tc = &v->sc->transport;
	char stop[64] = "";
	for (int i = 0; i < d->cfg->n_panes && !stop[0]; i++)
		if (d->cfg->panes[i].view->stopped != RUN_COMPLETE)
			snprintf(stop, sizeof(stop), "STOPPED: %s - q to quit",
			         run_stop_name(d->cfg->panes[i].view->stopped));
	const char *status = stop[0] ? stop
	                     : d->finished
	                         ? (d->utf8 ? "finished \u2014 q to quit" : "finished - q to quit")
	                     : d->paused ? "PAUSED"
	                                 : "running";
	char sp[32], a[32], b[32], c[32], idle[32], right[128];
	const char *modes = d->cfg->n_panes > 1 ? "compare" : d->cfg->panes[0].mode;

	speed_text(d, sp, sizeof(sp));
	move(0, 0);
	attron(attr_of(d, C_TITLE));
	hline(' ', COLS);
	attroff(attr_of(d, C_TITLE));
	snprintf(right, sizeof(right), "%.3fs / %gs  %s  %s ", seconds(d->clock),
	         seconds(v->sc->duration), sp, status);
	putf(0, 0, COLS - (int)strlen(right) - 2, attr_of(d, C_TITLE), " poolsim watch [%s] %s",
	     modes, d->cfg->title);
	/* The clock and the state win over the end of a long title. */
	put(0, COLS - 1 - (int)strlen(right), (int)strlen(right) + 1, attr_of(d, C_TITLE), right);
	if (v->limits.idle_timeout == PS_TIME_NEVER)
		snprintf(idle, sizeof(idle), "none");
	else
		format_duration(v->limits.idle_timeout, idle, sizeof(idle));
	if (tc->MaxIdleConnsPerHost == 0)
		snprintf(b, sizeof(b), "0%s%d", d->utf8 ? "\u2192" : "->",
		         GO_DEFAULT_MAX_IDLE_CONNS_PER_HOST);
	else
		snprintf(b, sizeof(b), "%lld", (long long)tc->MaxIdleConnsPerHost);
	putf(1, 0, COLS, A_NORMAL,
	     " MaxIdleConns %s  MaxIdleConnsPerHost %s  MaxConnsPerHost %s  IdleConnTimeout %s%s",
	     limit(v->limits.max_idle_total, a, sizeof(a)), b,
	     limit(v->limits.max_conns_per_host, c, sizeof(c)), idle,
	     tc->DisableKeepAlives ? "  DisableKeepAlives" : "");
}

static void draw_footer(const struct dash *d)
{
	put(LINES - 1, 0, COLS, attr_of(d, C_DIM),
	    " space pause  n step  +/- speed  r restart  tab/arrows host  esc log  ? help  q quit");
}

static void draw_help(const struct dash *d)
{
	const char *lines[] = {
	    "poolsim watch help",
	    "",
	    "space   pause / resume",
	    "n       one event forward (while paused)",
	    "+ -     speed x2 / /2",
	    "r       restart the run",
	    "tab     next host (arrows too): its connections",
	    "esc     back to the event log",
	    "?       this help",
	    "q       quit",
	    "",
	    "cells:  .  dialing    ~ TLS handshake   # active",
	    "        1-9 idle, seconds before IdleConnTimeout",
	    "        o  idle (longer)  x closed  ! leaked body",
	    "marks:  |  MaxConnsPerHost   :  MaxIdleConnsPerHost",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0])), w = 60;
	int y0 = (LINES - n - 2) / 2, x0 = (COLS - w) / 2;

	for (int i = 0; i < n + 2; i++) {
		move(y0 + i, x0);
		attron(A_REVERSE);
		hline(' ', w);
		attroff(A_REVERSE);
	}
	for (int i = 0; i < n; i++)
		put(y0 + 1 + i, x0 + 2, w - 4, A_REVERSE | (i == 0 ? A_BOLD : 0), lines[i]);
}

/* ---------------------------------------------------------------- panes */

struct box {
	int y, x, w, h;
};

static void draw_kernel_line(const struct dash *d, const struct view *v, int y, const struct box *b)
{
	const struct view_kernel *k = view_kernel(v, PS_NONE);

	putf(y, b->x, b->w, A_NORMAL,
	     "kernel: ESTABLISHED %lld  TIME_WAIT %lld  fds %lld   (pool open %lld)",
	     (long long)k->established, (long long)k->time_wait, (long long)k->fds,
	     (long long)view_counts(v, PS_NONE)->open);
}

static void draw_total_line(const struct dash *d, const struct dash_pane *p, int y,
                            const struct box *b)
{
	const struct view *v = p->view;
	const struct counts *t = view_counts(v, PS_NONE);
	char lim[32];

	putf(y, b->x, b->w, A_BOLD,
	     "[%s]%s%s  open %lld  active %lld  idle %lld/%s MaxIdleConns  waiting %lld  ok %lld  "
	     "failed %lld",
	     p->mode, p->note ? " " : "", p->note ? p->note : "", (long long)t->open,
	     (long long)t->active, (long long)t->idle,
	     limit(v->limits.max_idle_total, lim, sizeof(lim)), (long long)t->waiting,
	     (long long)t->ok, (long long)t->failed);
}

/* The waiting bar: one column per request while they fit, else scaled to the peak. */
static void draw_wait_bar(const struct dash *d, const struct counts *c, int y, int x, int w)
{
	int64_t scale = c->peak_waiting > w ? c->peak_waiting : w;
	int fill = (int)(c->waiting * w / (scale ? scale : 1));

	if (w < 3)
		return;
	if (c->waiting > 0 && fill == 0)
		fill = 1;
	put(y, x, 1, A_NORMAL, "[");
	for (int i = 0; i < w - 2; i++)
		put(y, x + 1 + i, 1, i < fill ? attr_of(d, C_WAIT) : A_NORMAL,
		    i < fill ? "=" : " ");
	put(y, x + w - 1, 1, A_NORMAL, "]");
}

static enum dash_color cell_color(const struct view_cell *c)
{
	switch ((enum view_cell_state)c->state) {
	case VIEW_CELL_DIALING:
		return C_DIALING;
	case VIEW_CELL_TLS:
		return C_TLS;
	case VIEW_CELL_ACTIVE:
		return c->leaked ? C_LEAKED : C_ACTIVE;
	case VIEW_CELL_IDLE:
		return C_IDLE;
	case VIEW_CELL_CLOSING:
		return C_CLOSING;
	default:
		return C_NORMAL;
	}
}

/*
 * The row of cells, wrapped over `rows` lines. A mark is drawn in front of
 * the cell at the MaxIdleConnsPerHost and MaxConnsPerHost positions, and the
 * row runs at least to the marks so the room left under each limit shows.
 */
static void draw_cells(const struct dash *d, const struct view *v, uint32_t host, int y, int x,
                       int w, int rows)
{
	size_t n, span, shown = 0;
	const struct view_cell *cells = view_host_cells(v, host, &n);
	int64_t mi = v->limits.max_idle_per_host, mc = v->limits.max_conns_per_host;
	int col = 0, row = 0;

	span = n;
	if (mi > 0 && (size_t)mi > span && mi < 10000)
		span = (size_t)mi;
	if (mc > 0 && (size_t)mc > span && mc < 10000)
		span = (size_t)mc;
	for (size_t i = 0; i < span && row < rows; i++) {
		int need = 1 + ((int64_t)i == mi && mi > 0) + ((int64_t)i == mc);

		if (col + need > w - (row == rows - 1 ? 6 : 0)) {
			if (++row == rows)
				break;
			col = 0;
		}
		if ((int64_t)i == mi && mi > 0)
			put(y + row, x + col++, 1, attr_of(d, C_MARK_IDLE),
			    d->utf8 ? "\u250a" : ":");
		if ((int64_t)i == mc)
			put(y + row, x + col++, 1, attr_of(d, C_MARK_CONNS),
			    d->utf8 ? "\u2503" : "|");
		if (i < n) {
			put(y + row, x + col, 1, attr_of(d, cell_color(&cells[i])),
			    view_cell_glyph(&cells[i], v->now, d->utf8));
			shown = i + 1;
		} else {
			put(y + row, x + col, 1, attr_of(d, C_DIM), d->utf8 ? "\u00b7" : " ");
		}
		col++;
	}
	if (row == rows && shown < n)
		putf(y + rows - 1, x + w - 6, 6, A_BOLD, "+%zu", n - shown);
	else if ((int64_t)span == mc && mc > 0 && row < rows)
		put(y + row, x + col, 1, attr_of(d, C_MARK_CONNS), d->utf8 ? "\u2503" : "|");
}

static int close_counts_text(const struct counts *c, char *buf, size_t size)
{
	int len = 0;

	buf[0] = 0;
	for (int r = 1; r < R_CLOSE_CATEGORY_COUNT && (size_t)len < size; r++)
		if (c->closes[r])
			len += snprintf(buf + len, size - (size_t)len, " %s %lld",
			                ev_reason_category_name((enum ev_reason)r),
			                (long long)c->closes[r]);
	return len;
}

/* One host: a title line, `rows` lines of cells, a counters line. */
static void draw_host(const struct dash *d, const struct view *v, uint32_t host, int y,
                      const struct box *b, int rows)
{
	const struct view_host *h = view_host(v, host);
	const struct counts *c = view_counts(v, host);
	char lim[32], lim2[32], closes[256];
	bool sel = d->selected == (int)host;
	int bar_w = b->w >= 100 ? 22 : b->w >= 80 ? 12 : 0, title_w = b->w - bar_w - 1;

	putf(y, b->x, title_w, sel ? A_REVERSE | A_BOLD : A_BOLD,
	     "%s%s%s  open %lld  active %lld  idle %lld/%s  dialing %lld  waiting %lld",
	     sel ? ">" : " ", h->name, h->tls ? " (https)" : "", (long long)c->open,
	     (long long)c->active, (long long)c->idle,
	     limit(v->limits.max_idle_per_host, lim, sizeof(lim)), (long long)c->dialing,
	     (long long)c->waiting);
	if (bar_w > 0)
		draw_wait_bar(d, c, y, b->x + b->w - bar_w, bar_w);
	draw_cells(d, v, host, y + 1, b->x + 2, b->w - 2, rows);
	close_counts_text(c, closes, sizeof(closes));
	if (h->kernel.present)
		putf(y + 1 + rows, b->x, b->w, A_NORMAL,
		     "  kernel ESTABLISHED %lld TIME_WAIT %lld fds %lld",
		     (long long)h->kernel.established, (long long)h->kernel.time_wait,
		     (long long)h->kernel.fds);
	putf(y + 1 + rows + h->kernel.present, b->x, b->w, A_NORMAL,
	     "  dials %lld  reused %lld  ok %lld  failed %lld  max conns %s  closes:%s",
	     (long long)c->dials, (long long)c->reused, (long long)c->ok, (long long)c->failed,
	     limit(v->limits.max_conns_per_host, lim2, sizeof(lim2)), closes[0] ? closes : " none");
}

static int host_height(const struct view *v, uint32_t host, int rows)
{
	return 2 + rows + (view_host(v, host)->kernel.present ? 1 : 0);
}

/* The sparkline of one gauge over the last `w` seconds, scaled to `max`. */
static void draw_spark(const struct dash *d, const struct view *v, uint32_t host, int which, int y,
                       int x, int w, int32_t max, enum dash_color color)
{
	static const char *const utf[] = {" ",      "\u2581", "\u2582", "\u2583", "\u2584",
	                                  "\u2585", "\u2586", "\u2587", "\u2588"};
	static const char *const ascii[] = {" ", ".", ".", ":", ":", "=", "=", "#", "#"};

	for (int i = 0; i < w; i++) {
		struct view_sample s;
		int32_t val;
		int level;

		if (!view_sample_at(v, host, w - 1 - i, &s))
			continue;
		val = which == 0 ? s.open : which == 1 ? s.active : which == 2 ? s.idle : s.waiting;
		level = max > 0 ? (int)((val * 8 + max - 1) / max) : 0;
		if (level > 8)
			level = 8;
		put(y, x + i, 1, attr_of(d, color), d->utf8 ? utf[level] : ascii[level]);
	}
}

static void draw_chart(const struct dash *d, const struct view *v, int y, const struct box *b)
{
	static const char *const names[] = {"open", "active", "idle", "waiting"};
	static const enum dash_color colors[] = {C_NORMAL, C_ACTIVE, C_IDLE, C_WAIT};
	uint32_t host = d->selected >= 0 && (uint32_t)d->selected < v->n_hosts
	                    ? (uint32_t)d->selected
	                    : PS_NONE;
	int w = b->w - 18;
	int32_t max = 0;
	struct view_sample s, now = {0, 0, 0, 0};

	if (w > VIEW_SERIES_SECONDS)
		w = VIEW_SERIES_SECONDS;
	for (int i = 0; i < w; i++)
		if (view_sample_at(v, host, i, &s)) {
			if (s.open > max)
				max = s.open;
			if (s.waiting > max)
				max = s.waiting;
		}
	view_sample_at(v, host, 0, &now);
	putf(y, b->x, b->w, A_BOLD, "last %ds of %s (peak per second, scale 0..%d)", w,
	     host == PS_NONE ? "all hosts" : view_host(v, host)->name, max);
	for (int k = 0; k < 4; k++) {
		int32_t cur = k == 0   ? now.open
		              : k == 1 ? now.active
		              : k == 2 ? now.idle
		                       : now.waiting;

		putf(y + 1 + k, b->x, 9, A_NORMAL, " %-8s", names[k]);
		draw_spark(d, v, host, k, y + 1 + k, b->x + 9, w, max, colors[k]);
		putf(y + 1 + k, b->x + 10 + w, 8, A_NORMAL, "%d", cur);
	}
}

static void draw_log(const struct view *v, int y, int h, const struct box *b)
{
	size_t n = view_log_count(v), first = n > (size_t)h ? n - (size_t)h : 0;

	for (size_t i = first; i < n; i++)
		put(y + (int)(i - first), b->x, b->w, A_NORMAL, view_log_line(v, i));
}

static const char *state_name(const struct view_cell *c)
{
	static const char *const names[] = {"", "dialing", "tls", "active", "idle", "closed"};

	if (c->state == VIEW_CELL_ACTIVE && c->leaked)
		return "leaked";
	return c->state < sizeof(names) / sizeof(names[0]) ? names[c->state] : "?";
}

/* The selected host's connections: age, requests served, time idle. */
static void draw_detail(const struct dash *d, const struct view *v, int y, int h,
                        const struct box *b)
{
	size_t n;
	const struct view_cell *cells = view_host_cells(v, (uint32_t)d->selected, &n);
	int row = 1;

	putf(y, b->x, b->w, A_BOLD, "%-8s %-8s %10s %8s %10s %10s  (%s; esc: log)", "conn", "state",
	     "age", "served", "idle total", "idle left", view_host(v, (uint32_t)d->selected)->name);
	for (size_t i = 0; i < n && row < h; i++) {
		const struct view_cell *c = &cells[i];
		ps_time idle = c->idle_total + (c->state == VIEW_CELL_IDLE ? v->now - c->since : 0);
		char left[32];

		if (c->state == VIEW_CELL_EMPTY)
			continue;
		if (c->state != VIEW_CELL_IDLE)
			snprintf(left, sizeof(left), "-");
		else if (c->idle_deadline == PS_TIME_NEVER)
			snprintf(left, sizeof(left), "never");
		else
			snprintf(left, sizeof(left), "%.3fs", seconds(c->idle_deadline - v->now));
		putf(y + row++, b->x, b->w, attr_of(d, cell_color(c)),
		     "#%-7u %-8s %9.3fs %8lld %9.3fs %10s", c->conn_id, state_name(c),
		     seconds(v->now - c->opened), (long long)c->served, seconds(idle), left);
	}
}

static void draw_pane(const struct dash *d, const struct dash_pane *p, const struct box *b)
{
	const struct view *v = p->view;
	int y = b->y, end = b->y + b->h, chart_h = 5, rows = 2, first = 0, avail;
	uint32_t shown = 0;

	draw_total_line(d, p, y++, b);
	if (view_kernel(v, PS_NONE)->present)
		draw_kernel_line(d, v, y++, b);
	/* Hosts get the room left after the chart and three log lines; fewer cell rows first, then
	 * fewer hosts. */
	avail = end - y - chart_h - 3;
	if (v->n_hosts == 1 && avail >= 10)
		rows = 4;
	for (; rows >= 1; rows--) {
		int need = 0;

		for (uint32_t i = 0; i < v->n_hosts; i++)
			need += host_height(v, i, rows);
		if (need <= avail || rows == 1)
			break;
	}
	if (d->selected >= 0)
		first = d->selected;
	while (first > 0 && avail > 0) {
		int need = 0;

		for (uint32_t i = (uint32_t)first - 1; i < v->n_hosts; i++)
			need += host_height(v, i, rows);
		if (need > avail)
			break;
		first--;
	}
	for (uint32_t i = (uint32_t)first; i < v->n_hosts; i++) {
		int hh = host_height(v, i, rows);

		if (y + hh > end - chart_h - 3 - (i + 1 < v->n_hosts ? 1 : 0))
			break;
		draw_host(d, v, i, y, b, rows);
		y += hh;
		shown++;
	}
	if (shown < v->n_hosts)
		putf(y++, b->x, b->w, attr_of(d, C_DIM), "(%u of %u hosts shown: tab picks one)",
		     shown, v->n_hosts);
	draw_chart(d, v, y, b);
	y += chart_h;
	if (d->selected >= 0 && (uint32_t)d->selected < v->n_hosts)
		draw_detail(d, v, y, end - y, b);
	else
		draw_log(v, y, end - y, b);
}

static void draw(struct dash *d)
{
	const struct dash_config *cfg = d->cfg;

	erase();
	if (COLS < 80 || LINES < 24) {
		putf(LINES / 2, 0, COLS, A_BOLD,
		     "poolsim watch needs at least 80x24; this is %dx%d", COLS, LINES);
		putf(LINES / 2 + 1, 0, COLS, A_NORMAL, "enlarge the window, or q to quit");
		refresh();
		return;
	}
	draw_header(d);
	if (cfg->n_panes == 1) {
		struct box b = {3, 1, COLS - 2, LINES - 4};

		draw_pane(d, &cfg->panes[0], &b);
	} else {
		int half = COLS / 2;
		struct box l = {3, 0, half - 1, LINES - 4},
		           r = {3, half + 1, COLS - half - 1, LINES - 4};

		draw_pane(d, &cfg->panes[0], &l);
		move(3, half);
		vline(d->utf8 ? ACS_VLINE : '|', LINES - 4);
		draw_pane(d, &cfg->panes[1], &r);
	}
	draw_footer(d);
	if (d->help)
		draw_help(d);
	refresh();
}

/* ---------------------------------------------------------------- pacing */

static uint64_t changes_of(const struct dash *d)
{
	uint64_t sum = 0;

	for (int i = 0; i < d->cfg->n_panes; i++)
		sum += d->cfg->panes[i].view->changes;
	return sum;
}

static void tick_views(struct dash *d)
{
	for (int i = 0; i < d->cfg->n_panes; i++)
		view_tick(d->cfg->panes[i].view, d->clock);
}

static void settle_if_finished(struct dash *d)
{
	if (!d->drv->finished(d->drv->ctx))
		return;
	d->finished = true;
	d->clock = d->drv->now(d->drv->ctx);
}

/* Move scenario time on by the wall time since the last frame times the speed. */
static void advance(struct dash *d, ps_time wall_dt)
{
	ps_time target, duration = d->cfg->panes[0].view->sc->duration;

	if (d->speed > 0) {
		target = d->clock + (ps_time)((double)wall_dt * d->speed);
		if (target > duration)
			target = duration;
		d->drv->run_until(d->drv->ctx, target);
		d->clock = target;
	} else {
		ps_time start = wall_now(), spent;

		/* As fast as possible, yet a frame every 1/30 s: grow the step while it fits the
		 * budget. */
		d->drv->run_until(d->drv->ctx, d->clock + d->max_delta);
		d->clock += d->max_delta;
		if (d->clock > duration)
			d->clock = duration;
		spent = wall_now() - start;
		if (spent < MAX_SPEED_BUDGET_NS / 4 && d->max_delta < PS_SEC * 3600)
			d->max_delta *= 2;
		else if (spent > MAX_SPEED_BUDGET_NS && d->max_delta > PS_US)
			d->max_delta /= 2;
	}
	tick_views(d);
	settle_if_finished(d);
}

static void step_once(struct dash *d)
{
	if (d->finished)
		return;
	d->drv->step(d->drv->ctx);
	d->clock = d->drv->now(d->drv->ctx);
	tick_views(d);
	settle_if_finished(d);
}

/* ---------------------------------------------------------------- input */

static void select_host(struct dash *d, int dir)
{
	int n = (int)d->cfg->panes[0].view->n_hosts;

	/* Cycle: no host (the log), host 0, ..., host n-1, back to the log. */
	d->selected += dir;
	if (d->selected >= n)
		d->selected = -1;
	else if (d->selected < -1)
		d->selected = n - 1;
}

static int on_key(struct dash *d, int ch)
{
	/* Any key but q and a resize only closes the help overlay. */
	if (d->help && ch != 'q' && ch != KEY_RESIZE) {
		d->help = false;
		return DASH_REDRAW;
	}
	switch (ch) {
	case 'q':
	case 'Q':
	case 3: /* Ctrl-C arriving as a character (raw terminals) */
		return DASH_QUIT;
	case ' ':
		d->paused = !d->paused;
		return DASH_REDRAW;
	case 'n':
		return d->paused ? DASH_STEP | DASH_REDRAW : 0;
	case '+':
	case '=':
		if (d->speed > 0)
			d->speed = d->speed * 2 >= SPEED_CEILING ? 0 : d->speed * 2;
		return DASH_REDRAW;
	case '-':
	case '_':
		d->speed = d->speed <= 0 ? SPEED_CEILING / 2 : d->speed / 2;
		if (d->speed < 1.0 / 64)
			d->speed = 1.0 / 64;
		return DASH_REDRAW;
	case 'r':
	case 'R':
		return DASH_RESTART | DASH_REDRAW;
	case '\t':
	case KEY_DOWN:
	case KEY_RIGHT:
		select_host(d, +1);
		return DASH_REDRAW;
	case KEY_BTAB:
	case KEY_UP:
	case KEY_LEFT:
		select_host(d, -1);
		return DASH_REDRAW;
	case 27: /* Esc */
		d->selected = -1;
		return DASH_REDRAW;
	case '?':
	case 'h':
		d->help = true;
		return DASH_REDRAW;
	case KEY_RESIZE:
		return DASH_REDRAW;
	default:
		return 0;
	}
}

static int restart(struct dash *d)
{
	if (d->drv->restart(d->drv->ctx) < 0)
		return -1;
	d->clock = 0;
	d->finished = false;
	d->max_delta = 10 * PS_MS;
	d->seen = 0;
	return 0;
}

/* Drain the keyboard and the signalfd; returns DASH_* flags, or sets *status on a signal. */
static int read_input(struct dash *d, int *status)
{
	int flags = 0, ch;
	struct signalfd_siginfo si;

	if (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		*status = 128 + (int)si.ssi_signo;
		return DASH_QUIT;
	}
	while ((ch = getch()) != ERR) {
		flags |= on_key(d, ch);
		if (flags & DASH_STEP) {
			step_once(d);
			flags &= ~DASH_STEP;
		}
		if (flags & DASH_QUIT)
			break;
	}
	return flags;
}

/* ---------------------------------------------------------------- terminal */

/* A crash must not leave the terminal raw: restore it, then die of the same signal. */
static void on_fatal(int sig)
{
	endwin();
	raise(sig);
}

static void catch_fatal(bool on)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_fatal : SIG_DFL;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int open_terminal(struct dash *d, SCREEN **scr)
{
	const char *cs;

	setlocale(LC_ALL, "");
	cs = nl_langinfo(CODESET);
	d->utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	/* newterm, not initscr: initscr exits the process on failure, leaving nothing to clean up.
	 */
	*scr = newterm(NULL, stdout, stdin);
	if (!*scr)
		return -1;
	set_term(*scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	init_colors(d);
	return 0;
}

static int loop(struct dash *d)
{
	ps_time last = wall_now(), next_frame = last;
	int status = 0;

	for (;;) {
		struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {d->sfd, POLLIN, 0}};
		ps_time now = wall_now(), wait;
		int flags;

		if (!d->paused && !d->finished)
			advance(d, now - last);
		last = now;
		if (d->dirty || changes_of(d) != d->seen) {
			draw(d);
			d->seen = changes_of(d);
			d->dirty = false;
		}
		if (d->cfg->frames > 0 && ++d->frames >= d->cfg->frames)
			return status;
		next_frame += FRAME_NS;
		now = wall_now();
		if (next_frame < now)
			next_frame = now;
		wait = (next_frame - now) / PS_MS;
		if (poll(fds, 2, (int)wait) < 0 && errno != EINTR)
			return DASH_ERR_SYSTEM;
		flags = read_input(d, &status);
		if (flags & DASH_QUIT)
			return status;
		if ((flags & DASH_RESTART) && restart(d) < 0)
			return DASH_ERR_ENGINE;
		if (flags & DASH_REDRAW)
			d->dirty = true;
	}
}

int dash_run(const struct dash_config *cfg, const struct dash_driver *drv)
{
	struct dash d;
	sigset_t block, old;
	SCREEN *scr;
	int rc;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.drv = drv;
	d.speed = cfg->speed;
	d.selected = -1;
	d.dirty = true;
	d.max_delta = 10 * PS_MS;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &old) < 0)
		return DASH_ERR_SYSTEM;
	d.sfd = signalfd(-1, &block, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d.sfd < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return DASH_ERR_SYSTEM;
	}
	if (open_terminal(&d, &scr) < 0) {
		close(d.sfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return DASH_ERR_TERMINAL;
	}
	catch_fatal(true);
	rc = loop(&d);
	endwin();
	delscreen(scr);
	catch_fatal(false);
	close(d.sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
