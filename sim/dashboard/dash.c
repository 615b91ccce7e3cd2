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
	int teach_pane;        /* teaching mode: the pane whose rule explanation is up, or -1 */
	char message[192];     /* a one-off answer to a key (a refused speed change) */
	ps_time message_until; /* wall time it stays up */
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

/* ---------------------------------------------------------------- fitting text */

/* Screen columns of UTF-8 text (every glyph we use is one column wide). */
static int text_cols(const char *s)
{
	int cols = 0;

	for (; *s; s++)
		cols += ((unsigned char)*s & 0xC0) != 0x80;
	return cols;
}

/*
 * put_fit: the first of `n` variants (longest first) that fits `w` columns;
 * a variant may hold '\n' to take more than one line. Returns the lines drawn.
 */
static int fit_index(int w, const char *const *variants, int n)
{
	for (int i = 0; i < n; i++) {
		const char *p = variants[i];
		bool fits = true;

		while (fits && p) {
			const char *nl = strchr(p, '\n');
			char line[512];
			size_t len = nl ? (size_t)(nl - p) : strlen(p);

			snprintf(line, sizeof(line), "%.*s", (int)len, p);
			fits = text_cols(line) <= w;
			p = nl ? nl + 1 : NULL;
		}
		if (fits)
			return i;
	}
	return n - 1;
}

static int put_fit(int y, int x, int w, attr_t a, const char *const *variants, int n)
{
	const char *p = variants[fit_index(w, variants, n)];
	int lines = 0;

	while (p) {
		const char *nl = strchr(p, '\n');
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		put(y + lines++, x, w, a, line);
		p = nl ? nl + 1 : NULL;
	}
	return lines;
}

/*
 * flow: items (a label, "open 12", ...) on one line two spaces apart when
 * they fit, else wrapped at item boundaries one space apart, later lines
 * indented by one column, so no number is ever cut. Returns the lines used;
 * draws nothing unless `draw`.
 */
#define FLOW_MAX 24

static int flow(int y, int x, int w, attr_t a, const char *const *items, int n, bool draw)
{
	int total = 0, lines = 1, col = 0;

	for (int i = 0; i < n; i++)
		total += text_cols(items[i]) + (i ? 2 : 0);
	for (int i = 0; i < n; i++) {
		int cols = text_cols(items[i]), gap = col ? (total <= w ? 2 : 1) : 0;

		if (col && col + gap + cols > w) {
			lines++;
			col = 1;
			gap = 0;
		}
		if (draw)
			put(y + lines - 1, x + col + gap, w - col - gap, a, items[i]);
		col += gap + cols;
	}
	return lines;
}

/* An item of a flow, printf-style, in one of `n` slots of `buf`. */
struct flow_items {
	char text[FLOW_MAX][96];
	const char *items[FLOW_MAX];
	int n;
};

static void __attribute__((format(printf, 2, 3))) item(struct flow_items *f, const char *fmt, ...)
{
	va_list ap;

	if (f->n == FLOW_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(f->text[f->n], sizeof(f->text[0]), fmt, ap);
	va_end(ap);
	f->items[f->n] = f->text[f->n];
	f->n++;
}

/*
 * wrap_words: the next line of `text` that fits `w` columns, broken at a
 * space where there is one; returns where the rest begins (NULL at the end).
 */
static const char *wrap_words(const char *text, int w, char *line, size_t size)
{
	size_t len = strlen(text), cut = 0, last_space = 0;
	int cols = 0;

	while (cut < len && (cols < w || ((unsigned char)text[cut] & 0xC0) == 0x80)) {
		if (((unsigned char)text[cut] & 0xC0) != 0x80)
			cols++;
		if (text[cut] == ' ')
			last_space = cut;
		cut++;
	}
	if (cut < len && last_space > 0)
		cut = last_space;
	snprintf(line, size, "%.*s", (int)cut, text);
	while (text[cut] == ' ')
		cut++;
	return text[cut] ? text + cut : NULL;
}

/* Lines `text` takes wrapped to `w` columns (after the first, lines are indented by `indent`). */
static int wrapped_lines(const char *text, int w, int indent)
{
	char line[512];
	int n = 0;

	for (const char *p = text; p; n++)
		p = wrap_words(p, n == 0 ? w : w - indent, line, sizeof(line));
	return n;
}

static int put_wrapped(int y, int x, int w, int max_lines, int indent, attr_t a, const char *text)
{
	char line[512];
	int n = 0;

	for (const char *p = text; p && n < max_lines; n++) {
		int off = n == 0 ? 0 : indent;

		p = wrap_words(p, w - off, line, sizeof(line));
		put(y + n, x + off, w - off, a, line);
	}
	return n;
}

/* ---------------------------------------------------------------- header, footer */

static void speed_text(const struct dash *d, char *buf, size_t size)
{
	if (d->cfg->wall_clock)
		snprintf(buf, size, "wall clock");
	else if (d->speed <= 0)
		snprintf(buf, size, "speed max");
	else if (d->speed >= 1)
		snprintf(buf, size, "speed x%g", d->speed);
	else
		snprintf(buf, size, "speed x1/%g", 1.0 / d->speed);
}

static const char *status_text(const struct dash *d, char *buf, size_t size)
{
	for (int i = 0; i < d->cfg->n_panes; i++)
		if (d->cfg->panes[i].view->stopped != RUN_COMPLETE) {
			snprintf(buf, size, "STOPPED: %s - q to quit",
			         run_stop_name(d->cfg->panes[i].view->stopped));
			return buf;
		}
	if (d->finished)
		return d->utf8 ? "finished \u2014 q to quit" : "finished - q to quit";
	if (d->teach_pane >= 0)
		return "TEACH: a key goes on";
	return d->paused ? "PAUSED" : "running";
}

/* The settings line: one line, or two when the screen is narrow. */
static void settings_text(const struct dash *d, char *one, char *two, size_t size)
{
	const struct view *v = d->cfg->panes[0].view;
	const struct transport_config *tc = &v->sc->transport;
	char a[32], b[32], c[32], idle[32];

	if (v->limits.idle_timeout == PS_TIME_NEVER)
		snprintf(idle, sizeof(idle), "none");
	else
		format_duration(v->limits.idle_timeout, idle, sizeof(idle));
	if (tc->MaxIdleConnsPerHost == 0)
		snprintf(b, sizeof(b), "0%s%d", d->utf8 ? "\u2192" : "->",
		         GO_DEFAULT_MAX_IDLE_CONNS_PER_HOST);
	else
		snprintf(b, sizeof(b), "%lld", (long long)tc->MaxIdleConnsPerHost);
	limit(v->limits.max_idle_total, a, sizeof(a));
	limit(v->limits.max_conns_per_host, c, sizeof(c));
	snprintf(one, size,
	         " MaxIdleConns %s  MaxIdleConnsPerHost %s  MaxConnsPerHost %s  IdleConnTimeout "
	         "%s%s",
	         a, b, c, idle, tc->DisableKeepAlives ? "  DisableKeepAlives" : "");
	snprintf(two, size,
	         " MaxIdleConns %s  MaxIdleConnsPerHost %s\n MaxConnsPerHost %s  IdleConnTimeout "
	         "%s%s",
	         a, b, c, idle, tc->DisableKeepAlives ? "  DisableKeepAlives" : "");
}

/* The title with what --set changed, so a lesson's title is never read as the changed run's. */
static void title_text(const struct dash *d, char *buf, size_t size)
{
	if (d->cfg->changed && d->cfg->changed[0])
		snprintf(buf, size, "%s  [changed: %s]", d->cfg->title, d->cfg->changed);
	else
		snprintf(buf, size, "%s", d->cfg->title);
}

static int draw_header(const struct dash *d)
{
	const struct view *v = d->cfg->panes[0].view;
	char sp[32], right[160], title[512], one[256], two[256], st[64];
	const char *set[2] = {one, two};
	const char *modes = d->cfg->n_panes > 1 ? "compare" : d->cfg->panes[0].mode;
	int y = 1, rw;

	speed_text(d, sp, sizeof(sp));
	title_text(d, title, sizeof(title));
	move(0, 0);
	attron(attr_of(d, C_TITLE));
	hline(' ', COLS);
	attroff(attr_of(d, C_TITLE));
	/* The clock is the scenario time every pane has reached (compare: both agree on it). */
	snprintf(right, sizeof(right), "%.3fs / %gs  %s  %s ", seconds(d->clock),
	         seconds(v->sc->duration), sp, status_text(d, st, sizeof(st)));
	rw = text_cols(right);
	if (text_cols(title) + 24 + rw <= COLS) {
		putf(0, 0, COLS - rw - 1, attr_of(d, C_TITLE), " poolsim watch [%s] %s", modes,
		     title);
	} else {
		putf(0, 0, COLS - rw - 1, attr_of(d, C_TITLE), " poolsim watch [%s]", modes);
		y += put_wrapped(y, 1, COLS - 2, 3, 0, A_BOLD, title);
	}
	put(0, COLS - rw, rw, attr_of(d, C_TITLE), right);
	settings_text(d, one, two, sizeof(one));
	y += put_fit(y, 0, COLS, A_NORMAL, set, 2);
	return y + (LINES >= 30); /* a blank line where there is room for it */
}

static void draw_footer(const struct dash *d)
{
	static const char *const keys[] = {
	    " space pause  n step  +/- speed  r restart  tab/arrows host  esc log  ? help  q quit",
	    " space pause n step +/- speed r restart tab host esc log ? help q quit",
	};

	if (d->message[0] && wall_now() < d->message_until) {
		put(LINES - 1, 0, COLS, attr_of(d, C_WAIT), d->message);
		return;
	}
	put_fit(LINES - 1, 0, COLS, attr_of(d, C_DIM), keys, 2);
}

/* ---------------------------------------------------------------- the legend */

/* A sample cell of each state, so the legend draws what the screen draws. */
static struct view_cell legend_cell(enum view_cell_state s, bool leaked, ps_time idle_left)
{
	struct view_cell c;

	memset(&c, 0, sizeof(c));
	c.state = (uint8_t)s;
	c.leaked = leaked;
	c.idle_deadline = idle_left;
	return c;
}

struct legend_item {
	struct view_cell cell;
	const char *glyph; /* when not a cell's own */
	enum dash_color color;
	const char *words, *short_words;
};

static int legend_items(const struct dash *d, struct legend_item *out)
{
	int n = 0;

	out[n++] = (struct legend_item){legend_cell(VIEW_CELL_DIALING, false, 0), NULL, C_DIALING,
	                                "dialing (yellow)", "dial"};
	out[n++] = (struct legend_item){legend_cell(VIEW_CELL_TLS, false, 0), NULL, C_TLS,
	                                "TLS handshake (magenta)", "TLS"};
	out[n++] = (struct legend_item){legend_cell(VIEW_CELL_ACTIVE, false, 0), NULL, C_ACTIVE,
	                                "active: serving a request (green)", "active"};
	out[n++] = (struct legend_item){legend_cell(VIEW_CELL_IDLE, false, 3 * PS_SEC), "1-9",
	                                C_IDLE, "idle, seconds left before IdleConnTimeout (cyan)",
	                                "idle, s left"};
	out[n++] =
	    (struct legend_item){legend_cell(VIEW_CELL_IDLE, false, PS_TIME_NEVER), NULL, C_IDLE,
	                         "idle, 10 s or more left, or no timeout (cyan)", "idle"};
	out[n++] = (struct legend_item){legend_cell(VIEW_CELL_CLOSING, false, 0), NULL, C_CLOSING,
	                                "just closed (red); the log says why", "closed"};
	out[n++] = (struct legend_item){legend_cell(VIEW_CELL_ACTIVE, true, 0), NULL, C_LEAKED,
	                                "held by a body never closed (B1)", "leaked"};
	out[n++] = (struct legend_item){
	    legend_cell(VIEW_CELL_EMPTY, false, 0), d->utf8 ? "\u00b7" : " ", C_DIM,
	    d->utf8 ? "free position under a limit (dim)" : "(a blank) free position under a limit",
	    "free"};
	out[n++] = (struct legend_item){
	    legend_cell(VIEW_CELL_EMPTY, false, 0), d->utf8 ? "\u2503" : "|", C_MARK_CONNS,
	    "MaxConnsPerHost: no conn beyond it (red)", "MaxConnsPerHost"};
	out[n++] = (struct legend_item){
	    legend_cell(VIEW_CELL_EMPTY, false, 0), d->utf8 ? "\u250a" : ":", C_MARK_IDLE,
	    "MaxIdleConnsPerHost: idle ones beyond it are closed (blue)", "MaxIdleConnsPerHost"};
	return n;
}

static const char *legend_glyph(const struct dash *d, const struct legend_item *it)
{
	return it->glyph ? it->glyph : view_cell_glyph(&it->cell, 0, d->utf8);
}

/* The one-line legend above the key bar, on screens tall enough; short words where narrow. */
static void draw_legend_strip(const struct dash *d, int y)
{
	struct legend_item items[16];
	int n = legend_items(d, items), x = 1;

	for (int i = 0; i < n; i++) {
		const char *g = legend_glyph(d, &items[i]);
		int gw = text_cols(g), need = gw + 1 + text_cols(items[i].short_words) + 2;

		if (x + need > COLS)
			break;
		put(y, x, gw, attr_of(d, items[i].color), g);
		put(y, x + gw + 1, COLS - x - gw - 1, attr_of(d, C_DIM), items[i].short_words);
		x += need;
	}
}

/* Does any pane have the kernel's counts (real mode)? */
static bool any_kernel(const struct dash *d)
{
	for (int i = 0; i < d->cfg->n_panes; i++)
		if (view_kernel(d->cfg->panes[i].view, PS_NONE)->present)
			return true;
	return false;
}

/* The help's lines on TIME_WAIT and ports, with the scenario's hold and range; how many. */
static int ports_legend(const struct dash *d, char lines[3][128])
{
	const struct view *v = d->cfg->panes[0].view;
	char hold[32];
	int n = 0;

	format_duration(view_time_wait_hold(v), hold, sizeof(hold));
	snprintf(lines[n++], sizeof(lines[0]),
	         "TIME_WAIT  client sockets in TIME_WAIT now: it closed first; held %s", hold);
	snprintf(lines[n++], sizeof(lines[0]),
	         "ports      ephemeral ports in use (open + TIME_WAIT), of %lld a host",
	         (long long)view_port_range(v));
	if (any_kernel(d))
		snprintf(lines[n++], sizeof(lines[0]),
		         "kernel     the kernel's sockets; (counted N): TIME_WAIT as above");
	return n;
}

static void draw_help(const struct dash *d)
{
	static const char *const keys[] = {
	    "space   pause / resume (compare: the real load pauses too)",
	    "n       one event forward while paused (compare: the simulator only)",
	    "+ -     speed x2, /2 (refused with real sockets: the wall clock)",
	    "r       restart      tab, arrows: a host's conns      esc: the log",
	    "?       this help    q quit",
	};
	static const char *const more[] = {
	    "host line  counts now; idle N/M: N idle, M is MaxIdleConnsPerHost",
	    "(https, h2) an HTTP/2 host: streams N now, M a conn (the server's limit);",
	    "           tab lists each conn's streams N/M",
	    "[====   ]  waiting bar: a column per waiting request, scaled to the",
	    "           peak when they do not fit",
	    "+N         N more open conns than the row has room for",
	    "sparklines each second's peak; the number after each: this second's;",
	    "           the chart's title gives the scale 0..max",
	    "0\u21922        MaxIdleConnsPerHost 0 means Go's default, 2",
	};
	struct legend_item items[16];
	int n_items = legend_items(d, items);
	char ports[3][128];
	int n_ports = ports_legend(d, ports);
	int n_keys = (int)(sizeof(keys) / sizeof(keys[0])),
	    n_more = (int)(sizeof(more) / sizeof(more[0])) + n_ports;
	/* A short screen drops the keys (the key bar has them) and the blank lines. */
	bool compact = LINES < 32;
	int h = compact ? 2 + n_items + n_more : 2 + n_keys + 2 + n_items + 1 + n_more;
	int w = COLS - 4 < 84 ? COLS - 4 : 84;
	int y0 = (LINES - h - 2) / 2, x0 = (COLS - w) / 2, y;

	if (y0 < 0)
		y0 = 0;
	for (int i = 0; i < h + 2 && y0 + i < LINES; i++) {
		move(y0 + i, x0);
		attron(A_REVERSE);
		hline(' ', w);
		attroff(A_REVERSE);
	}
	y = y0 + 1;
	put(y++, x0 + 2, w - 4, A_REVERSE | A_BOLD, "poolsim watch help");
	if (!compact) {
		y++;
		for (int i = 0; i < n_keys; i++)
			put(y++, x0 + 2, w - 4, A_REVERSE, keys[i]);
		y++;
	}
	put(y++, x0 + 2, w - 4, A_REVERSE | A_BOLD, "what the screen draws");
	for (int i = 0; i < n_items; i++) {
		const char *g = legend_glyph(d, &items[i]);

		/* The glyph in its own colour on the normal background, as in the rows. */
		put(y, x0 + 2, text_cols(g), attr_of(d, items[i].color), g);
		put(y, x0 + 7, w - 9, A_REVERSE, items[i].words);
		y++;
	}
	if (!compact)
		y++;
	for (int i = 0; i < n_more; i++) {
		const char *line = i < n_more - n_ports ? more[i] : ports[i - (n_more - n_ports)];
		char ascii[128];

		if (!d->utf8 && strstr(line, "\u2192")) {
			snprintf(ascii, sizeof(ascii),
			         "0->2       MaxIdleConnsPerHost 0 means Go's default, 2");
			line = ascii;
		}
		put(y++, x0 + 2, w - 4, A_REVERSE, line);
	}
}

/* ---------------------------------------------------------------- teaching mode */

struct box {
	int y, x, w, h;
};

/* The lesson's own text (Shows / Watch / Next), wrapped into `h` lines at most. */
static int draw_lesson_text(const struct dash *d, int y, int h, const struct box *b)
{
	const char *p = d->cfg->lesson_text;
	int used = 0;

	while (p && *p && used < h) {
		const char *nl = strchr(p, '\n');
		char para[1024];

		snprintf(para, sizeof(para), "%.*s", (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		used += put_wrapped(y + used, b->x, b->w, h - used, 8, attr_of(d, C_DIM), para);
		p = nl ? nl + 1 : NULL;
	}
	return used;
}

/* The explanation of the rule that just fired, over the log, until a key is pressed. */
static void draw_teach(const struct dash *d)
{
	const struct view *v = d->cfg->panes[d->teach_pane].view;
	int w = COLS - 4, lines = 0, y0;
	const char *p = v->teach_text;
	char head[96];

	for (const char *q = p; q;) {
		const char *nl = strchr(q, '\n');
		char para[512];

		snprintf(para, sizeof(para), "%.*s", (int)(nl ? (size_t)(nl - q) : strlen(q)), q);
		lines += wrapped_lines(para, w - 4, 2);
		q = nl ? nl + 1 : NULL;
	}
	y0 = LINES - 3 - lines - 3;
	if (y0 < 3)
		y0 = 3;
	for (int i = 0; i < lines + 3; i++) {
		move(y0 + i, 2);
		attron(A_REVERSE);
		hline(' ', w);
		attroff(A_REVERSE);
	}
	snprintf(head, sizeof(head), "teach  %.3fs  [%s]  any key goes on", seconds(v->teach_at),
	         d->cfg->panes[d->teach_pane].mode);
	put(y0, 4, w - 4, A_REVERSE | A_BOLD, head);
	for (int y = y0 + 1; p;) {
		const char *nl = strchr(p, '\n');
		char para[512];

		snprintf(para, sizeof(para), "%.*s", (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		y += put_wrapped(y, 4, w - 4, lines, 2, A_REVERSE, para);
		p = nl ? nl + 1 : NULL;
	}
}

/* ---------------------------------------------------------------- panes */

static void kernel_items(const struct view *v, struct flow_items *f)
{
	const struct view_kernel *k = view_kernel(v, PS_NONE);

	f->n = 0;
	item(f, "kernel: ESTABLISHED %lld", (long long)k->established);
	item(f, "TIME_WAIT %lld (counted %lld)", (long long)k->time_wait,
	     (long long)view_time_wait(v, PS_NONE));
	item(f, "fds %lld", (long long)k->fds);
	item(f, "(pool open %lld)", (long long)view_counts(v, PS_NONE)->open);
}

/* The pane's totals; its own clock in compare mode (the header's is the one both agree on). */
static void total_items(const struct dash *d, const struct dash_pane *p, struct flow_items *f)
{
	const struct view *v = p->view;
	const struct counts *t = view_counts(v, PS_NONE);
	char lim[32];

	f->n = 0;
	limit(v->limits.max_idle_total, lim, sizeof(lim));
	if (d->cfg->n_panes > 1)
		item(f, "[%s] %.3fs%s%s", p->mode,
		     seconds(d->drv->pane_now
		                 ? d->drv->pane_now(d->drv->ctx, (int)(p - d->cfg->panes))
		                 : v->now),
		     p->note ? " " : "", p->note ? p->note : "");
	else
		item(f, "[%s]%s%s", p->mode, p->note ? " " : "", p->note ? p->note : "");
	item(f, "open %lld", (long long)t->open);
	item(f, "active %lld", (long long)t->active);
	item(f, "idle %lld/%s MaxIdleConns", (long long)t->idle, lim);
	item(f, "waiting %lld", (long long)t->waiting);
	/* One item, so a narrow pane never wraps between the two. */
	item(f, "ok %lld  failed %lld", (long long)t->ok, (long long)t->failed);
	item(f, "TIME_WAIT %lld", (long long)view_time_wait(v, PS_NONE));
	item(f, "ports %lld", (long long)view_ports(v, PS_NONE));
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
 * `+N` counts the open conns (not free positions, not closed ones) that did not fit.
 */
static void draw_cells(const struct dash *d, const struct view *v, uint32_t host, int y, int x,
                       int w, int rows)
{
	size_t n, span, shown = 0, hidden = 0;
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
	for (size_t i = shown; row == rows && i < n; i++)
		hidden += cells[i].state != VIEW_CELL_EMPTY && cells[i].state != VIEW_CELL_CLOSING;
	if (hidden > 0)
		putf(y + rows - 1, x + w - 6, 6, A_BOLD, "+%zu", hidden);
	else if ((int64_t)span == mc && mc > 0 && row < rows)
		put(y + row, x + col, 1, attr_of(d, C_MARK_CONNS), d->utf8 ? "\u2503" : "|");
}

/* A host's title: its counts now; each idle conn of a per-request Transport is its own pool. */
static void host_title_items(const struct view *v, uint32_t host, bool sel, struct flow_items *f)
{
	const struct view_host *h = view_host(v, host);
	const struct counts *c = view_counts(v, host);
	char lim[32];

	f->n = 0;
	limit(v->limits.max_idle_per_host, lim, sizeof(lim));
	item(f, "%s%s%s", sel ? ">" : "", h->name,
	     h->h2    ? " (https, h2)"
	     : h->tls ? " (https)"
	              : "");
	item(f, "open %lld", (long long)c->open);
	item(f, "active %lld", (long long)c->active);
	if (h->h2) /* H5: every conn's limit is its server's SETTINGS_MAX_CONCURRENT_STREAMS */
		item(f, "streams %lld, %lld a conn", (long long)c->streams,
		     (long long)h->max_streams);
	if (h->own_transports)
		item(f, "idle %lld, each in its own Transport (of %s)", (long long)c->idle, lim);
	else
		item(f, "idle %lld/%s", (long long)c->idle, lim);
	item(f, "dialing %lld", (long long)c->dialing);
	item(f, "waiting %lld", (long long)c->waiting);
	item(f, "TIME_WAIT %lld", (long long)view_time_wait(v, host));
	item(f, "ports %lld", (long long)view_ports(v, host));
}

/* A host's counters and its closes by reason, in the summary's words. */
static void counters_items(const struct view *v, uint32_t host, struct flow_items *f)
{
	const struct counts *c = view_counts(v, host);
	bool any = false;

	f->n = 0;
	item(f, "dials %lld", (long long)c->dials);
	item(f, "reused %lld", (long long)c->reused);
	item(f, "ok %lld", (long long)c->ok);
	item(f, "failed %lld", (long long)c->failed);
	for (int r = 1; r < R_CLOSE_CATEGORY_COUNT; r++)
		if (c->closes[r]) {
			item(f, "%s%s %lld",
			     any ? "" : "closes: ", ev_reason_category_name((enum ev_reason)r),
			     (long long)c->closes[r]);
			any = true;
		}
	if (!any)
		item(f, "closes: none");
}

static void host_kernel_items(const struct view *v, uint32_t host, struct flow_items *f)
{
	const struct view_host *h = view_host(v, host);

	f->n = 0;
	item(f, "kernel ESTABLISHED %lld", (long long)h->kernel.established);
	item(f, "TIME_WAIT %lld (counted %lld)", (long long)h->kernel.time_wait,
	     (long long)view_time_wait(v, host));
	item(f, "fds %lld", (long long)h->kernel.fds);
}

static int bar_width(const struct box *b)
{
	return b->w >= 100 ? 22 : b->w >= 80 ? 12 : 0;
}

static int host_height(const struct view *v, uint32_t host, int rows, const struct box *b)
{
	struct flow_items f;
	int h;

	host_title_items(v, host, false, &f);
	h = flow(0, 0, b->w - bar_width(b) - 1, A_NORMAL, f.items, f.n, false);
	counters_items(v, host, &f);
	h += flow(0, 0, b->w - 2, A_NORMAL, f.items, f.n, false);
	if (view_host(v, host)->kernel.present) {
		host_kernel_items(v, host, &f);
		h += flow(0, 0, b->w - 2, A_NORMAL, f.items, f.n, false);
	}
	return h + rows;
}

/* One host: its title, `rows` lines of cells, the kernel's counts in real mode, its counters. */
static void draw_host(const struct dash *d, const struct view *v, uint32_t host, int y,
                      const struct box *b, int rows)
{
	const struct view_host *h = view_host(v, host);
	struct flow_items f;
	bool sel = d->selected == (int)host;
	int bar_w = bar_width(b);

	host_title_items(v, host, sel, &f);
	if (bar_w > 0)
		draw_wait_bar(d, view_counts(v, host), y, b->x + b->w - bar_w, bar_w);
	y += flow(y, b->x + 1, b->w - bar_w - 2, sel ? A_REVERSE | A_BOLD : A_BOLD, f.items, f.n,
	          true);
	draw_cells(d, v, host, y, b->x + 2, b->w - 2, rows);
	y += rows;
	if (h->kernel.present) {
		host_kernel_items(v, host, &f);
		y += flow(y, b->x + 2, b->w - 2, A_NORMAL, f.items, f.n, true);
	}
	counters_items(v, host, &f);
	flow(y, b->x + 2, b->w - 2, A_NORMAL, f.items, f.n, true);
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
	char one[160], two[160];
	const char *variants[] = {one, two};
	const char *who = host == PS_NONE ? "all hosts" : view_host(v, host)->name;

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
	snprintf(one, sizeof(one), "last %ds of %s (peak per second, scale 0..%d; right: now)", w,
	         who, max);
	snprintf(two, sizeof(two), "last %ds, %s, 0..%d", w, who, max);
	put_fit(y, b->x, b->w, A_BOLD, variants, 2);
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

/* The newest log lines that fit `h` rows; a long line wraps at a word, indented. */
static void draw_log(const struct view *v, int y, int h, const struct box *b)
{
	size_t n = view_log_count(v), first = n;
	int used = 0;

	while (first > 0) {
		int need = wrapped_lines(view_log_line(v, first - 1), b->w, 10);

		if (used + need > h)
			break;
		used += need;
		first--;
	}
	for (size_t i = first; i < n; i++)
		y += put_wrapped(y, b->x, b->w, h, 10, A_NORMAL, view_log_line(v, i));
}

static const char *state_name(const struct view_cell *c)
{
	static const char *const names[] = {"", "dialing", "tls", "active", "idle", "closed"};

	if (c->state == VIEW_CELL_ACTIVE && c->leaked)
		return "leaked";
	return c->state < sizeof(names) / sizeof(names[0]) ? names[c->state] : "?";
}

/* The selected host's connections: age (until its close), requests served, time idle, why closed.
 */
static void draw_detail(const struct dash *d, const struct view *v, int y, int h,
                        const struct box *b)
{
	size_t n;
	uint32_t host = (uint32_t)d->selected;
	const struct view_cell *cells = view_host_cells(v, host, &n);
	/* HTTP/2 hosts get a column of streams now / the server's limit (H5). */
	bool h2 = view_host(v, host)->h2;
	int row = 1;

	putf(y, b->x, b->w, A_BOLD, "%-8s %-8s %10s %8s%s %10s %10s  %-20s (%s; esc: log)", "conn",
	     "state", "age", "served", h2 ? "   streams" : "", "idle total", "idle left",
	     "closed by", view_host(v, host)->name);
	for (size_t i = 0; i < n && row < h; i++) {
		const struct view_cell *c = &cells[i];
		ps_time idle = c->idle_total + (c->state == VIEW_CELL_IDLE ? v->now - c->since : 0);
		/* A closed conn's age stops at its close. */
		ps_time until = c->state == VIEW_CELL_CLOSING ? c->since : v->now;
		char left[32], streams[32] = "";

		if (c->state == VIEW_CELL_EMPTY)
			continue;
		if (c->state != VIEW_CELL_IDLE)
			snprintf(left, sizeof(left), "-");
		else if (c->idle_deadline == PS_TIME_NEVER)
			snprintf(left, sizeof(left), "never");
		else
			snprintf(left, sizeof(left), "%.3fs", seconds(c->idle_deadline - v->now));
		if (h2) {
			char text[24];

			snprintf(streams, sizeof(streams), " %9s",
			         view_cell_streams_text(v, host, c, text, sizeof(text)));
		}
		putf(y + row++, b->x, b->w, attr_of(d, cell_color(c)),
		     "#%-7u %-8s %9.3fs %8lld%s %9.3fs %10s  %s", c->conn_id, state_name(c),
		     seconds(until - c->opened), (long long)c->served, streams, seconds(idle), left,
		     c->state == VIEW_CELL_CLOSING ? ev_reason_go_name((enum ev_reason)c->reason)
		                                   : "-");
	}
}

static void draw_pane(const struct dash *d, const struct dash_pane *p, const struct box *b)
{
	const struct view *v = p->view;
	/* A short screen gives the chart's rows to the hosts: they carry the numbers. */
	int y = b->y, end = b->y + b->h, chart_h = b->h >= 24 ? 5 : 0, rows = 2, first = 0, avail,
	    lesson_h = 0;
	uint32_t shown = 0;

	struct flow_items f;

	total_items(d, p, &f);
	y += flow(y, b->x, b->w, A_BOLD, f.items, f.n, true);
	if (view_kernel(v, PS_NONE)->present) {
		kernel_items(v, &f);
		y += flow(y, b->x, b->w, A_NORMAL, f.items, f.n, true);
	}
	if (d->cfg->teach && d->cfg->lesson_text && b->h >= 30)
		lesson_h = 6;
	/* Hosts get the room left after the chart, the lesson and three log lines; fewer cell rows
	 * first, then fewer hosts. */
	avail = end - y - chart_h - 3 - lesson_h;
	if (v->n_hosts == 1 && avail >= 10)
		rows = 4;
	for (; rows >= 1; rows--) {
		int need = 0;

		for (uint32_t i = 0; i < v->n_hosts; i++)
			need += host_height(v, i, rows, b);
		if (need <= avail || rows == 1)
			break;
	}
	if (d->selected >= 0)
		first = d->selected;
	while (first > 0 && avail > 0) {
		int need = 0;

		for (uint32_t i = (uint32_t)first - 1; i < v->n_hosts; i++)
			need += host_height(v, i, rows, b);
		if (need > avail)
			break;
		first--;
	}
	for (uint32_t i = (uint32_t)first; i < v->n_hosts; i++) {
		int hh = host_height(v, i, rows, b);

		if (y + hh > end - chart_h - 3 - lesson_h - (i + 1 < v->n_hosts ? 1 : 0))
			break;
		draw_host(d, v, i, y, b, rows);
		y += hh;
		shown++;
	}
	if (shown < v->n_hosts)
		putf(y++, b->x, b->w, attr_of(d, C_DIM), "(%u of %u hosts shown: tab picks one)",
		     shown, v->n_hosts);
	if (chart_h) {
		draw_chart(d, v, y, b);
		y += chart_h;
	}
	if (lesson_h)
		y += draw_lesson_text(d, y, lesson_h, b);
	if (d->selected >= 0 && (uint32_t)d->selected < v->n_hosts)
		draw_detail(d, v, y, end - y, b);
	else
		draw_log(v, y, end - y, b);
}

/* Rows the legend strip needs: one, on screens tall enough to spare it. */
static int legend_strip_height(void)
{
	return LINES >= 30 ? 1 : 0;
}

static void draw(struct dash *d)
{
	const struct dash_config *cfg = d->cfg;
	int top, bottom;

	erase();
	if (COLS < 80 || LINES < 24) {
		putf(LINES / 2, 0, COLS, A_BOLD,
		     "poolsim watch needs at least 80x24; this is %dx%d", COLS, LINES);
		putf(LINES / 2 + 1, 0, COLS, A_NORMAL, "enlarge the window, or q to quit");
		refresh();
		return;
	}
	top = draw_header(d);
	bottom = LINES - 1 - legend_strip_height();
	if (cfg->n_panes == 1) {
		struct box b = {top, 1, COLS - 2, bottom - top};

		draw_pane(d, &cfg->panes[0], &b);
	} else {
		int half = COLS / 2;
		struct box l = {top, 0, half - 1, bottom - top},
		           r = {top, half + 1, COLS - half - 1, bottom - top};

		draw_pane(d, &cfg->panes[0], &l);
		move(top, half);
		vline(d->utf8 ? ACS_VLINE : '|', bottom - top);
		draw_pane(d, &cfg->panes[1], &r);
	}
	if (legend_strip_height())
		draw_legend_strip(d, LINES - 2);
	draw_footer(d);
	if (d->teach_pane >= 0)
		draw_teach(d);
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

static void set_paused(struct dash *d, bool paused)
{
	d->paused = paused;
	if (d->drv->pause)
		d->drv->pause(d->drv->ctx, paused);
}

/* Teaching mode: a pane whose view holds a rule's first firing pauses the run there. */
static void check_teach(struct dash *d)
{
	if (!d->cfg->teach || d->teach_pane >= 0)
		return;
	for (int i = 0; i < d->cfg->n_panes; i++)
		if (view_teach_pending(d->cfg->panes[i].view)) {
			d->teach_pane = i;
			d->clock = d->drv->now(d->drv->ctx);
			set_paused(d, true);
			d->dirty = true;
			return;
		}
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

	if (d->cfg->wall_clock) {
		/* Real sockets set the pace: the clock is where the engines have got to. */
		d->drv->run_until(d->drv->ctx, duration);
		d->clock = d->drv->now(d->drv->ctx);
	} else if (d->speed > 0) {
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
	check_teach(d);
	tick_views(d);
	settle_if_finished(d);
}

/* Paused with real sockets: they are still served (in-flight requests finish), the clock holds. */
static void serve_paused(struct dash *d)
{
	if (!d->cfg->wall_clock || d->finished)
		return;
	d->drv->run_until(d->drv->ctx, d->clock);
	d->clock = d->drv->now(d->drv->ctx);
	tick_views(d);
	settle_if_finished(d);
}

static void step_once(struct dash *d)
{
	if (d->finished)
		return;
	d->drv->step(d->drv->ctx);
	d->clock = d->drv->now(d->drv->ctx);
	check_teach(d);
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

static void say(struct dash *d, const char *msg)
{
	snprintf(d->message, sizeof(d->message), " %s", msg);
	d->message_until = wall_now() + 4 * PS_SEC;
}

/* + and -: the simulator's pace; real sockets run on the wall clock, so they refuse. */
static int change_speed(struct dash *d, bool faster)
{
	if (d->cfg->wall_clock) {
		say(d, "speed: real sockets run on the wall clock; --time-scale X sets their pace "
		       "(0.5 = twice as fast)");
		return DASH_REDRAW;
	}
	if (faster) {
		if (d->speed > 0)
			d->speed = d->speed * 2 >= SPEED_CEILING ? 0 : d->speed * 2;
	} else {
		d->speed = d->speed <= 0 ? SPEED_CEILING / 2 : d->speed / 2;
		if (d->speed < 1.0 / 64)
			d->speed = 1.0 / 64;
	}
	return DASH_REDRAW;
}

/* A key after a teaching pause: the explanation goes, the run goes on. */
static void teach_done(struct dash *d)
{
	view_teach_done(d->cfg->panes[d->teach_pane].view);
	d->teach_pane = -1;
	set_paused(d, false);
}

static bool has_sim_pane(const struct dash *d)
{
	for (int i = 0; i < d->cfg->n_panes; i++)
		if (!strcmp(d->cfg->panes[i].mode, "sim"))
			return true;
	return false;
}

/* n: one event while paused; otherwise (or with nothing to step) say why not. */
static int step_key(struct dash *d)
{
	if (!d->paused) {
		say(d, "n steps one event at a time while paused: press space first");
		return DASH_REDRAW;
	}
	if (!has_sim_pane(d)) {
		say(d, "n: only a simulator can be stepped; this run is on the wall clock "
		       "(space resumes it)");
		return DASH_REDRAW;
	}
	return DASH_STEP | DASH_REDRAW;
}

static int on_key(struct dash *d, int ch)
{
	/* Any key but q and a resize only closes the help overlay (or the teaching pause). */
	if (d->help && ch != 'q' && ch != KEY_RESIZE) {
		d->help = false;
		return DASH_REDRAW;
	}
	if (d->teach_pane >= 0 && ch != 'q' && ch != 'Q' && ch != 3 && ch != KEY_RESIZE &&
	    ch != '?' && ch != 'h') {
		teach_done(d);
		return DASH_REDRAW;
	}
	switch (ch) {
	case 'q':
	case 'Q':
	case 3: /* Ctrl-C arriving as a character (raw terminals) */
		return DASH_QUIT;
	case ' ':
		set_paused(d, !d->paused);
		return DASH_REDRAW;
	case 'n':
		return step_key(d);
	case '+':
	case '=':
		return change_speed(d, true);
	case '-':
	case '_':
		return change_speed(d, false);
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
	d->teach_pane = -1;
	if (d->paused && d->drv->pause)
		d->drv->pause(d->drv->ctx, true); /* the new engines start paused too */
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
	sa.sa_flags = (int)SA_RESETHAND; /* an unsigned constant in glibc */
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
		else if (d->paused)
			serve_paused(d);
		if (d->message[0] && now >= d->message_until) {
			d->message[0] = '\0';
			d->dirty = true;
		}
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
	d.teach_pane = -1;
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
