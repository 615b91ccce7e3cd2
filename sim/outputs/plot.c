/*
 * plot.c: `--plot FILE.svg`, a self-contained SVG time chart of one run.
 *
 * It owns the sampling of the gauges of struct stats into fixed buckets and
 * the drawing of them: one panel per host (at most PLOT_MAX_PANELS), lines for
 * open / active / idle / waiting, the per-host limits as dashed lines, server
 * actions as vertical lines and closes as ticks coloured by reason category.
 * Everything is allocated in plot_create from the scenario (duration, hosts,
 * events); recording a record allocates nothing. It must not read a clock,
 * print pointers or anything else that varies between runs: the same run
 * gives a byte-identical file (docs/img is checked in and diffed).
 *
 * The sink runs before stats' own sink, so at each record the gauges still
 * hold the value they had since the host's previous record; that value is
 * folded, as a maximum, into every bucket it covered, so a spike shorter than
 * a bucket still shows.
 */
#include "plot.h"

#include "transport_limits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_SAMPLES    600
#define PLOT_MAX_PANELS 8

/* Layout, in SVG user units (= CSS px at the default size). */
#define PLOT_W         1000
#define PLOT_LEFT      64
#define PLOT_RIGHT     24
#define PLOT_AREA_W    (PLOT_W - PLOT_LEFT - PLOT_RIGHT)
#define PLOT_AREA_H    130
#define PANEL_HEAD     22 /* host name line above the plot area */
#define PANEL_FOOT     40 /* close strip and time labels below it */
#define PANEL_H        (PANEL_HEAD + PLOT_AREA_H + PANEL_FOOT)
#define STRIP_GAP      3
#define STRIP_H        9
#define LINE_H         15
#define SUBTITLE_CHARS 150
#define LABEL_ROWS     3

enum plot_series { SERIES_OPEN, SERIES_ACTIVE, SERIES_IDLE, SERIES_WAITING, SERIES_COUNT };
/* The client's sockets in TIME_WAIT (core/timewait.h): sampled like a gauge, drawn dashed, and
 * only when it fits the panel's scale (three times its other lines at most). */
#define SERIES_TIME_WAIT ((enum plot_series)SERIES_COUNT)
#define SAMPLED_SERIES   (SERIES_COUNT + 1)
#define TIME_WAIT_COLOUR "#8c564b"

static const char *const series_name[SERIES_COUNT] = {"open", "active", "idle", "waiting"};
#define SERIES_OPEN_FILL "#1f77b4"
static const char *const series_colour[SERIES_COUNT] = {SERIES_OPEN_FILL, "#2ca02c", "#17a2b8",
                                                        "#9467bd"};
static const char *const series_width[SERIES_COUNT] = {"3", "1.5", "1.5", "1.5"};

/* Close ticks, one colour per JSON "closes" category (index = enum ev_reason below
 * R_CLOSE_CATEGORY_COUNT). */
static const char *const close_colour[R_CLOSE_CATEGORY_COUNT] = {
    [R_NONE] = "#555555",
    [R_IDLE_TIMEOUT] = "#999999",
    [R_MAX_IDLE_PER_HOST] = "#d62728",
    [R_MAX_IDLE_TOTAL] = "#e377c2",
    [R_SERVER] = "#ff7f0e",
    [R_BODY_NOT_READ] = "#8c564b",
    [R_KEEPALIVES_DISABLED] = "#bcbd22",
    [R_ERROR] = "#000000",
};

#define ACTION_COLOUR "#444444"
/* Limits are darker than the series they bound: they are drawn over them, and often lie right on
 * them. */
#define LIMIT_CONNS_COLOUR "#0b3c6e"
#define LIMIT_IDLE_COLOUR  "#0a6470"

struct plot_mark {
	ps_time t;
	uint32_t host;  /* PS_NONE: every panel */
	int64_t action; /* enum ev_server_action */
};

/*
 * samples holds, per panel, series and bucket, the largest value the gauge
 * had in that bucket up to last_t of the panel; buckets from last_t's on are
 * completed at write time from the live gauges (see value_at).
 */
struct plot {
	const struct scenario *sc;
	const struct stats *st;
	ps_time duration;
	ps_time bucket_ns;
	uint32_t n_buckets;
	uint32_t n_panels;
	int32_t *samples; /* [panel][series][bucket] */
	uint8_t *closes;  /* [panel][bucket]: bit c = a close of category c */
	ps_time *last_t;  /* [panel] */
	struct plot_mark *marks;
	uint32_t n_marks, cap_marks;
	ps_time end; /* latest record time, clamped to the duration */
};

struct plot *plot_create(const struct scenario *sc, const struct stats *st)
{
	struct plot *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->sc = sc;
	p->st = st;
	p->duration = sc->duration > 0 ? sc->duration : PS_SEC;
	p->bucket_ns = (p->duration + PLOT_SAMPLES - 1) / PLOT_SAMPLES;
	if (p->bucket_ns < 1)
		p->bucket_ns = 1;
	p->n_buckets = (uint32_t)((p->duration + p->bucket_ns - 1) / p->bucket_ns);
	p->n_panels = sc->n_hosts < PLOT_MAX_PANELS ? sc->n_hosts : PLOT_MAX_PANELS;
	size_t panels = p->n_panels ? p->n_panels : 1;
	/* down makes two records (down, up); the rest one each */
	p->cap_marks = 2 * sc->n_actions + 1;
	p->samples = calloc(panels * SAMPLED_SERIES * p->n_buckets, sizeof(*p->samples));
	p->closes = calloc(panels * p->n_buckets, sizeof(*p->closes));
	p->last_t = calloc(panels, sizeof(*p->last_t));
	p->marks = calloc(p->cap_marks, sizeof(*p->marks));
	if (!p->samples || !p->closes || !p->last_t || !p->marks) {
		plot_destroy(p);
		return NULL;
	}
	return p;
}

void plot_destroy(struct plot *p)
{
	if (!p)
		return;
	free(p->samples);
	free(p->closes);
	free(p->last_t);
	free(p->marks);
	free(p);
}

static uint32_t bucket_of(const struct plot *p, ps_time t)
{
	if (t <= 0)
		return 0;
	ps_time b = t / p->bucket_ns;
	return b >= (ps_time)p->n_buckets ? p->n_buckets - 1 : (uint32_t)b;
}

static int32_t clamp32(int64_t v)
{
	return v < 0 ? 0 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

static int32_t gauge_now(const struct plot *p, uint32_t host, enum plot_series s)
{
	const struct counts *c = &p->st->count.hosts[host];
	/* Expiring up to the panel's last record is safe: no later record is older. */
	struct timewait *tw = (struct timewait *)&p->st->ports;
	switch ((int)s) {
	case SERIES_COUNT:
		return clamp32(timewait_count(tw, host, p->last_t[host]));
	case SERIES_OPEN:
		return clamp32(c->open);
	case SERIES_ACTIVE:
		return clamp32(c->active);
	case SERIES_IDLE:
		return clamp32(c->idle);
	default:
		return clamp32(c->waiting);
	}
}

static int32_t *series_of(const struct plot *p, uint32_t panel, enum plot_series s)
{
	return p->samples + ((size_t)panel * SAMPLED_SERIES + (size_t)s) * p->n_buckets;
}

/* fold: the panel's gauges held their current values from last_t to t. */
static void fold(struct plot *p, uint32_t panel, ps_time t)
{
	uint32_t from = bucket_of(p, p->last_t[panel]), to = bucket_of(p, t);
	for (int s = 0; s < SAMPLED_SERIES; s++) {
		int32_t v = gauge_now(p, panel, (enum plot_series)s);
		int32_t *row = series_of(p, panel, (enum plot_series)s);
		for (uint32_t b = from; b <= to; b++)
			if (row[b] < v)
				row[b] = v;
	}
	if (t > p->last_t[panel])
		p->last_t[panel] = t;
}

static void on_event(void *ctx, const struct ps_event *ev)
{
	struct plot *p = ctx;
	ps_time t = ev->t < 0 ? 0 : ev->t > p->duration ? p->duration : ev->t;
	if (t > p->end)
		p->end = t;
	if (ev->kind == EV_RUN_END) {
		for (uint32_t h = 0; h < p->n_panels; h++)
			fold(p, h, t);
		return;
	}
	if (ev->kind == EV_SERVER_ACTION && p->n_marks < p->cap_marks) {
		p->marks[p->n_marks++] =
		    (struct plot_mark){.t = t, .host = ev->host, .action = ev->value};
		return;
	}
	if (ev->host >= p->n_panels)
		return; /* a host past the cap, or a record of no host */
	fold(p, ev->host, t);
	if (ev->kind == EV_CONN_CLOSED) {
		enum ev_reason c = ev_reason_category((enum ev_reason)ev->reason);
		p->closes[(size_t)ev->host * p->n_buckets + bucket_of(p, t)] |= (uint8_t)(1u << c);
	}
}

struct ev_sink plot_sink(struct plot *p)
{
	return (struct ev_sink){.on_event = on_event, .ctx = p};
}

/* ---------------------------------------------------------------- drawing */

/* value_at: a bucket the record stream has not closed yet also holds the live gauge (a stream cut
 * short). */
static int32_t value_at(const struct plot *p, uint32_t panel, enum plot_series s, uint32_t b)
{
	int32_t v = series_of(p, panel, s)[b];
	if (b >= bucket_of(p, p->last_t[panel])) {
		int32_t now = gauge_now(p, panel, s);
		if (now > v)
			v = now;
	}
	return v;
}

/* num: coordinates with at most one decimal, formatted from integers so every libc prints the same.
 */
static void num(FILE *out, double v)
{
	long long tenths = llround(v * 10.0);
	if (tenths < 0) {
		fputc('-', out);
		tenths = -tenths;
	}
	if (tenths % 10)
		fprintf(out, "%lld.%lld", tenths / 10, tenths % 10);
	else
		fprintf(out, "%lld", tenths / 10);
}

/* utf8_len: the length of a valid UTF-8 sequence at s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (s[0] >= 0xf5)
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* esc: text as XML character data; control bytes and invalid UTF-8 become '?', which XML 1.0 would
 * refuse. */
void plot_xml_text(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	while (*s) {
		if (*s >= 0x80) {
			int n = utf8_len(s);
			if (n) {
				fwrite(s, 1, (size_t)n, out);
				s += n;
			} else {
				fputc('?', out);
				s++;
			}
			continue;
		}
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			fputc(*s < 0x20 ? '?' : *s, out);
		}
		s++;
	}
}

/* text_w: a width estimate for 11px sans-serif; enough to place labels without overlap. */
static double text_w(const char *s, double size)
{
	int chars = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			chars++;
	return chars * size * 0.6;
}

static void text(FILE *out, double x, double y, const char *attrs, const char *s)
{
	fputs("<text x=\"", out);
	num(out, x);
	fputs("\" y=\"", out);
	num(out, y);
	fprintf(out, "\" %s>", attrs);
	plot_xml_text(out, s);
	fputs("</text>\n", out);
}

static void line(FILE *out, double x1, double y1, double x2, double y2, const char *attrs)
{
	fputs("<line x1=\"", out);
	num(out, x1);
	fputs("\" y1=\"", out);
	num(out, y1);
	fputs("\" x2=\"", out);
	num(out, x2);
	fputs("\" y2=\"", out);
	num(out, y2);
	fprintf(out, "\" %s/>\n", attrs);
}

static void rect(FILE *out, double x, double y, double w, double h, const char *attrs)
{
	fputs("<rect x=\"", out);
	num(out, x);
	fputs("\" y=\"", out);
	num(out, y);
	fputs("\" width=\"", out);
	num(out, w);
	fputs("\" height=\"", out);
	num(out, h);
	fprintf(out, "\" %s/>\n", attrs);
}

static double x_of(const struct plot *p, ps_time t)
{
	return PLOT_LEFT + (double)PLOT_AREA_W * (double)t / (double)p->duration;
}

/* nice_step: the smallest 1, 2 or 5 x 10^k at or above `target`. */
static int64_t nice_step(double target)
{
	int64_t base = 1;
	for (;;) {
		if ((double)base >= target)
			return base;
		if ((double)(2 * base) >= target)
			return 2 * base;
		if ((double)(5 * base) >= target)
			return 5 * base;
		if (base > INT64_MAX / 100)
			return base * 10;
		base *= 10;
	}
}

/* ---------------------------------------------------------------- header */

/* The per-host limit lines of a chart, from the limits the pool applies (core/transport_limits.h).
 */
struct limits {
	int64_t conns; /* MaxConnsPerHost, 0 = no line */
	int64_t idle;  /* effective idle limit */
	char conns_label[64], idle_label[96];
};

static struct limits limits_of(const struct transport_config *tc)
{
	struct transport_limits eff = transport_limits_of(tc);
	struct limits l = {.conns =
	                       eff.max_conns_per_host == LIMIT_NONE ? 0 : eff.max_conns_per_host,
	                   .idle = eff.max_idle_per_host};
	snprintf(l.conns_label, sizeof(l.conns_label), "MaxConnsPerHost %lld", (long long)l.conns);
	if (tc->DisableKeepAlives)
		snprintf(l.idle_label, sizeof(l.idle_label), "idle limit 0 (DisableKeepAlives)");
	else if (tc->MaxIdleConnsPerHost < 0)
		snprintf(l.idle_label, sizeof(l.idle_label),
		         "MaxIdleConnsPerHost %lld: keeps 0 idle",
		         (long long)tc->MaxIdleConnsPerHost);
	else if (tc->MaxIdleConnsPerHost == 0)
		snprintf(l.idle_label, sizeof(l.idle_label),
		         "MaxIdleConnsPerHost %lld (0 means %d)", (long long)l.idle,
		         GO_DEFAULT_MAX_IDLE_CONNS_PER_HOST);
	else
		snprintf(l.idle_label, sizeof(l.idle_label), "MaxIdleConnsPerHost %lld",
		         (long long)l.idle);
	return l;
}

/* subtitle_items: the Transport settings, one short phrase each. Returns how many. */
static int subtitle_items(const struct scenario *sc, char items[][64], int max)
{
	const struct transport_config *tc = &sc->transport;
	struct transport_limits eff = transport_limits_of(tc);
	char d[40];
	int n = 0;
#define ITEM(...) (n < max ? snprintf(items[n++], 64, __VA_ARGS__) : 0)
	ITEM("MaxIdleConns %lld%s", (long long)tc->MaxIdleConns,
	     tc->MaxIdleConns == 0 ? " (no limit)" : "");
	if (tc->MaxIdleConnsPerHost == 0)
		ITEM("MaxIdleConnsPerHost 0 (= %d)", GO_DEFAULT_MAX_IDLE_CONNS_PER_HOST);
	else
		ITEM("MaxIdleConnsPerHost %lld", (long long)tc->MaxIdleConnsPerHost);
	ITEM("MaxConnsPerHost %lld%s", (long long)tc->MaxConnsPerHost,
	     eff.max_conns_per_host == LIMIT_NONE ? " (no limit)" : "");
	ITEM("IdleConnTimeout %s", eff.idle_timeout != PS_TIME_NEVER
	                               ? format_duration(eff.idle_timeout, d, sizeof(d))
	                               : "0 (never)");
	if (tc->DisableKeepAlives)
		ITEM("DisableKeepAlives");
	if (tc->TLSHandshakeTimeout > 0)
		ITEM("TLSHandshakeTimeout %s",
		     format_duration(tc->TLSHandshakeTimeout, d, sizeof(d)));
	if (tc->ResponseHeaderTimeout > 0)
		ITEM("ResponseHeaderTimeout %s",
		     format_duration(tc->ResponseHeaderTimeout, d, sizeof(d)));
	if (tc->DialTimeout > 0)
		ITEM("Dialer.Timeout %s", format_duration(tc->DialTimeout, d, sizeof(d)));
	if (sc->client_timeout > 0)
		ITEM("Client.Timeout %s", format_duration(sc->client_timeout, d, sizeof(d)));
	if (sc->base_zero)
		ITEM("base: zero Transport");
#undef ITEM
	return n;
}

/* subtitle: wraps the items into lines of about SUBTITLE_CHARS; returns the y below the last line.
 */
static double subtitle(FILE *out, const struct scenario *sc, double y, bool draw)
{
	char items[12][64];
	int n = subtitle_items(sc, items, 12);
	char buf[512];
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *prefix = i == 0 ? "Transport: " : ", ";
		if (len > 0 && len + strlen(prefix) + strlen(items[i]) > SUBTITLE_CHARS) {
			if (draw)
				text(out, PLOT_LEFT, y, "font-size=\"11\" fill=\"#444444\"", buf);
			y += LINE_H;
			len = 0;
			prefix = "";
		}
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", prefix, items[i]);
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
	}
	if (draw && len)
		text(out, PLOT_LEFT, y, "font-size=\"11\" fill=\"#444444\"", buf);
	return y + LINE_H;
}

struct legend_item {
	const char *colour;
	const char *label;
	int style; /* 0 line, 1 dashed line, 2 tick, 3 server action */
	const char *width;
};

static bool time_wait_drawn(const struct plot *p, uint32_t h);

static int legend_items(const struct plot *p, struct legend_item *items)
{
	int n = 0;
	for (int s = 0; s < SERIES_COUNT; s++)
		items[n++] =
		    (struct legend_item){series_colour[s], series_name[s], 0, series_width[s]};
	for (uint32_t h = 0; h < p->n_panels; h++)
		if (time_wait_drawn(p, h)) {
			items[n++] = (struct legend_item){TIME_WAIT_COLOUR, "time_wait", 1, "1.5"};
			break;
		}
	items[n++] = (struct legend_item){"#333333", "limit", 1, "1.2"};
	if (p->n_marks)
		items[n++] = (struct legend_item){ACTION_COLOUR, "server action", 3, "1"};
	uint8_t seen = 0;
	size_t cells = (size_t)p->n_panels * p->n_buckets;
	for (size_t i = 0; i < cells; i++)
		seen |= p->closes[i];
	for (int c = 0; c < R_CLOSE_CATEGORY_COUNT; c++)
		if (seen & (1u << c))
			items[n++] = (struct legend_item){
			    close_colour[c], ev_reason_category_name((enum ev_reason)c), 2, "2"};
	return n;
}

/* legend: returns the y below it; wraps when a row is full. */
static double legend(FILE *out, const struct plot *p, double y, bool draw)
{
	struct legend_item items[SERIES_COUNT + 3 + R_CLOSE_CATEGORY_COUNT];
	int n = legend_items(p, items);
	double x = PLOT_LEFT;
	bool closes_label = false;
	for (int i = 0; i < n; i++) {
		const struct legend_item *it = &items[i];
		char label[64];
		snprintf(label, sizeof(label), "%s%s",
		         it->style == 2 && !closes_label ? "close: " : "", it->label);
		if (it->style == 2)
			closes_label = true;
		double w =
		    24 + text_w(label, 10) + 14; /* items may sit a little loose, never overlap */
		if (x + w > PLOT_W - PLOT_RIGHT && x > PLOT_LEFT) {
			x = PLOT_LEFT;
			y += LINE_H;
		}
		if (draw) {
			char attrs[128];
			switch (it->style) {
			case 2:
			case 3:
				snprintf(attrs, sizeof(attrs),
				         "stroke=\"%s\" stroke-width=\"%s\"%s", it->colour,
				         it->width,
				         it->style == 3 ? " stroke-dasharray=\"4,3\"" : "");
				line(out, x + 10, y - 10, x + 10, y + 2, attrs);
				break;
			default:
				if (i == SERIES_OPEN)
					rect(out, x, y - 4, 20, 6,
					     "fill=\"" SERIES_OPEN_FILL "\" fill-opacity=\"0.13\"");
				snprintf(attrs, sizeof(attrs),
				         "stroke=\"%s\" stroke-width=\"%s\"%s", it->colour,
				         it->width,
				         it->style == 1     ? " stroke-dasharray=\"6,4\""
				         : i == SERIES_OPEN ? " stroke-opacity=\"0.6\""
				                            : "");
				line(out, x, y - 4, x + 20, y - 4, attrs);
			}
			text(out, x + 24, y, "font-size=\"11\" fill=\"#222222\"", label);
		}
		x += w;
	}
	return y + LINE_H;
}

/* ---------------------------------------------------------------- panels */

struct panel_geom {
	double top;    /* top of the plot area */
	double bottom; /* bottom of the plot area */
	int64_t ymax, ystep;
	uint32_t last_b; /* the last bucket the run reached */
};

static double y_of(const struct panel_geom *g, int64_t v)
{
	return g->bottom - (double)PLOT_AREA_H * (double)v / (double)g->ymax;
}

static int32_t panel_peak(const struct plot *p, uint32_t h, enum plot_series s, uint32_t last_b)
{
	int32_t m = 0;
	for (uint32_t b = 0; b <= last_b; b++) {
		int32_t v = value_at(p, h, s, b);
		if (v > m)
			m = v;
	}
	return m;
}

/* others_peak: the highest of the panel's open, active, idle and waiting. */
static int64_t others_peak(const struct plot *p, uint32_t h, uint32_t last_b)
{
	int64_t data_max = 0;
	for (int s = 0; s < SERIES_COUNT; s++) {
		int32_t m = panel_peak(p, h, (enum plot_series)s, last_b);
		if (m > data_max)
			data_max = m;
	}
	return data_max;
}

static bool time_wait_drawn(const struct plot *p, uint32_t h)
{
	uint32_t last_b = bucket_of(p, p->end);
	int64_t tw = panel_peak(p, h, SERIES_TIME_WAIT, last_b);
	return tw > 0 && tw <= 3 * others_peak(p, h, last_b);
}

/* in_scale: a limit far above the data would flatten it; such a limit is named, not drawn. */
static bool in_scale(int64_t limit, int64_t data_max)
{
	return limit <= 3 * data_max || limit <= 10;
}

static void panel_scale(struct panel_geom *g, int64_t data_max, const struct limits *l)
{
	int64_t m = data_max;
	if (l->conns > m && in_scale(l->conns, data_max))
		m = l->conns;
	if (l->idle > m && in_scale(l->idle, data_max))
		m = l->idle;
	if (m < 1)
		m = 1;
	g->ystep = nice_step((double)m / 4.0);
	g->ymax = (m / g->ystep + 1) * g->ystep; /* headroom: a line on the frame is hard to see */
}

static void panel_axes(FILE *out, const struct plot *p, const struct panel_geom *g)
{
	rect(out, PLOT_LEFT, g->top, PLOT_AREA_W, PLOT_AREA_H,
	     "fill=\"#ffffff\" stroke=\"#999999\"");
	char buf[40];
	for (int64_t v = 0; v <= g->ymax; v += g->ystep) {
		double y = y_of(g, v);
		if (v > 0 && v < g->ymax)
			line(out, PLOT_LEFT, y, PLOT_LEFT + PLOT_AREA_W, y, "stroke=\"#e6e6e6\"");
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		text(out, PLOT_LEFT - 6, y + 4,
		     "font-size=\"11\" text-anchor=\"end\" fill=\"#444444\"", buf);
	}
	ps_time step = (ps_time)nice_step((double)p->duration / 10.0);
	double lab_y = g->bottom + STRIP_GAP + STRIP_H + 14;
	for (ps_time t = 0; t <= p->duration; t += step) {
		double x = x_of(p, t);
		line(out, x, g->bottom, x, g->bottom + STRIP_GAP + STRIP_H + 2,
		     "stroke=\"#bbbbbb\"");
		text(out, x, lab_y, "font-size=\"11\" text-anchor=\"middle\" fill=\"#444444\"",
		     format_duration(t, buf, sizeof(buf)));
	}
	text(out, PLOT_LEFT - 6, g->bottom + STRIP_GAP + STRIP_H - 1,
	     "font-size=\"9\" text-anchor=\"end\" fill=\"#777777\"", "closes");
}

static void panel_header(FILE *out, const struct plot *p, uint32_t h, const struct panel_geom *g)
{
	const struct host_spec *hs = &p->sc->hosts[h];
	char peaks[200];
	int n = snprintf(peaks, sizeof(peaks), "%s   peak open %d, active %d, idle %d, waiting %d",
	                 hs->tls ? " (https)" : "", panel_peak(p, h, SERIES_OPEN, g->last_b),
	                 panel_peak(p, h, SERIES_ACTIVE, g->last_b),
	                 panel_peak(p, h, SERIES_IDLE, g->last_b),
	                 panel_peak(p, h, SERIES_WAITING, g->last_b));
	int32_t tw = panel_peak(p, h, SERIES_TIME_WAIT, g->last_b);
	if (tw > 0 && n > 0 && (size_t)n < sizeof(peaks))
		snprintf(peaks + n, sizeof(peaks) - (size_t)n, ", TIME_WAIT %d%s", tw,
		         time_wait_drawn(p, h) ? "" : " (off the scale: not drawn)");
	fputs("<text x=\"", out);
	num(out, PLOT_LEFT);
	fputs("\" y=\"", out);
	num(out, g->top - 7);
	fputs("\" font-size=\"13\" fill=\"#111111\"><tspan font-weight=\"bold\">", out);
	plot_xml_text(out, hs->name);
	fputs("</tspan><tspan font-size=\"11\" fill=\"#555555\">", out);
	plot_xml_text(out, peaks);
	fputs("</tspan></text>\n", out);
}

/* limit_label: text on a white backing, right-aligned at x_right, so lines behind stay readable. */
static double limit_label(FILE *out, double x_right, double y, const char *colour,
                          const char *label)
{
	double w = text_w(label, 11);
	rect(out, x_right - w - 2, y - 10, w + 4, 13, "fill=\"#ffffff\" fill-opacity=\"0.85\"");
	char attrs[96];
	snprintf(attrs, sizeof(attrs), "font-size=\"11\" text-anchor=\"end\" fill=\"%s\"", colour);
	text(out, x_right, y, attrs, label);
	return w + 12;
}

static void panel_limits(FILE *out, const struct panel_geom *g, const struct limits *l)
{
	double right = PLOT_LEFT + PLOT_AREA_W - 4;
	struct {
		bool on;
		int64_t v;
		const char *label, *colour;
	} lim[2] = {
	    {l->conns > 0, l->conns, l->conns_label, LIMIT_CONNS_COLOUR},
	    {true, l->idle, l->idle_label, LIMIT_IDLE_COLOUR},
	};
	double used_y[2] = {0, 0};
	double used_w[2] = {0, 0};
	for (int i = 0; i < 2; i++) {
		if (!lim[i].on)
			continue;
		char attrs[96], off[128];
		double y;
		if (lim[i].v > g->ymax) {
			y = g->top + 12;
			snprintf(off, sizeof(off), "%s (above the scale)", lim[i].label);
		} else {
			y = y_of(g, lim[i].v);
			snprintf(attrs, sizeof(attrs),
			         "stroke=\"%s\" stroke-width=\"1.2\" stroke-dasharray=\"6,4\"",
			         lim[i].colour);
			line(out, PLOT_LEFT, y, PLOT_LEFT + PLOT_AREA_W, y, attrs);
			y = y - 3 < g->top + 12 ? g->top + 12 : y - 3;
			snprintf(off, sizeof(off), "%s", lim[i].label);
		}
		/* two labels at about the same height sit side by side */
		double x = right;
		for (int j = 0; j < i; j++)
			if (used_w[j] > 0 && fabs(used_y[j] - y) < 13)
				x -= used_w[j];
		used_y[i] = y;
		used_w[i] = limit_label(out, x, y, lim[i].colour, off);
	}
}

/* step_points: the gauge as steps, a point only where the value changes; returns the x it ends at.
 */
static double step_points(FILE *out, const struct plot *p, uint32_t h, enum plot_series s,
                          const struct panel_geom *g)
{
	int32_t prev = value_at(p, h, s, 0);
	num(out, x_of(p, 0));
	fputc(',', out);
	num(out, y_of(g, prev));
	for (uint32_t b = 1; b <= g->last_b; b++) {
		int32_t v = value_at(p, h, s, b);
		if (v == prev)
			continue;
		double x = x_of(p, (ps_time)b * p->bucket_ns);
		fputc(' ', out);
		num(out, x);
		fputc(',', out);
		num(out, y_of(g, prev));
		fputc(' ', out);
		num(out, x);
		fputc(',', out);
		num(out, y_of(g, v));
		prev = v;
	}
	ps_time end = (ps_time)(g->last_b + 1) * p->bucket_ns;
	if (p->end > 0 && p->end < end)
		end = p->end;
	double x_end = x_of(p, end);
	fputc(' ', out);
	num(out, x_end);
	fputc(',', out);
	num(out, y_of(g, prev));
	return x_end;
}

/*
 * panel_series: open is also a shaded area, since active, idle and the
 * limits often lie right on top of it; the thin lines go over the thick one.
 */
static void panel_series(FILE *out, const struct plot *p, uint32_t h, const struct panel_geom *g)
{
	fprintf(out,
	        "<polygon class=\"open-area\" fill=\"%s\" fill-opacity=\"0.13\" stroke=\"none\" "
	        "points=\"",
	        series_colour[SERIES_OPEN]);
	double x_end = step_points(out, p, h, SERIES_OPEN, g);
	fputc(' ', out);
	num(out, x_end);
	fputc(',', out);
	num(out, g->bottom);
	fputc(' ', out);
	num(out, x_of(p, 0));
	fputc(',', out);
	num(out, g->bottom);
	fputs("\"/>\n", out);
	static const int order[SERIES_COUNT] = {SERIES_OPEN, SERIES_IDLE, SERIES_ACTIVE,
	                                        SERIES_WAITING};
	for (int k = 0; k < SERIES_COUNT; k++) {
		enum plot_series s = (enum plot_series)order[k];
		fprintf(out,
		        "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
		        "stroke-linejoin=\"round\"%s points=\"",
		        series_name[s], series_colour[s], series_width[s],
		        s == SERIES_OPEN ? " stroke-opacity=\"0.6\"" : "");
		step_points(out, p, h, s, g);
		fputs("\"/>\n", out);
	}
}

static void panel_closes(FILE *out, const struct plot *p, uint32_t h, const struct panel_geom *g)
{
	const uint8_t *row = p->closes + (size_t)h * p->n_buckets;
	double y0 = g->bottom + STRIP_GAP;
	for (uint32_t b = 0; b < p->n_buckets; b++) {
		if (!row[b])
			continue;
		int n = __builtin_popcount(row[b]), i = 0;
		double x = x_of(p, (ps_time)b * p->bucket_ns + p->bucket_ns / 2);
		for (int c = 0; c < R_CLOSE_CATEGORY_COUNT; c++) {
			if (!(row[b] & (1u << c)))
				continue;
			char attrs[64];
			snprintf(attrs, sizeof(attrs), "stroke=\"%s\" stroke-width=\"2\"",
			         close_colour[c]);
			line(out, x, y0 + STRIP_H * i / n, x, y0 + STRIP_H * (i + 1) / n, attrs);
			i++;
		}
	}
}

static bool mark_in_panel(const struct plot_mark *m, uint32_t h)
{
	return m->host == h || m->host == PS_NONE;
}

/* panel_marks: server actions; a down..up span is shaded; labels take the first free of LABEL_ROWS
 * rows. */
static void panel_marks(FILE *out, const struct plot *p, uint32_t h, const struct panel_geom *g)
{
	for (uint32_t i = 0; i < p->n_marks; i++) {
		const struct plot_mark *m = &p->marks[i];
		if (!mark_in_panel(m, h) || m->action != SRV_DOWN)
			continue;
		ps_time up = p->end > m->t ? p->end : p->duration;
		for (uint32_t j = i + 1; j < p->n_marks; j++)
			if (p->marks[j].host == m->host && p->marks[j].action == SRV_UP) {
				up = p->marks[j].t;
				break;
			}
		rect(out, x_of(p, m->t), g->top, x_of(p, up) - x_of(p, m->t), PLOT_AREA_H,
		     "fill=\"#000000\" fill-opacity=\"0.07\"");
	}
	double row_end[LABEL_ROWS] = {0};
	for (uint32_t i = 0; i < p->n_marks; i++) {
		const struct plot_mark *m = &p->marks[i];
		if (!mark_in_panel(m, h))
			continue;
		double x = x_of(p, m->t);
		line(out, x, g->top, x, g->bottom,
		     "stroke=\"" ACTION_COLOUR "\" stroke-width=\"1\" stroke-dasharray=\"4,3\"");
		const char *name = ev_server_action_name((enum ev_server_action)m->action);
		double w = text_w(name, 10);
		bool right_side = x + 3 + w <= PLOT_LEFT + PLOT_AREA_W;
		double lx = right_side ? x + 3 : x - 3 - w;
		int row = 0;
		while (row < LABEL_ROWS - 1 && row_end[row] > lx)
			row++;
		row_end[row] = lx + w + 4;
		rect(out, lx - 1, g->top + 3 + row * 12, w + 2, 11,
		     "fill=\"#ffffff\" fill-opacity=\"0.85\"");
		text(out, lx, g->top + 12 + row * 12, "font-size=\"10\" fill=\"" ACTION_COLOUR "\"",
		     name);
	}
}

static void panel(FILE *out, const struct plot *p, uint32_t h, double top, const struct limits *l)
{
	struct panel_geom g = {.top = top + PANEL_HEAD, .bottom = top + PANEL_HEAD + PLOT_AREA_H};
	g.last_b = bucket_of(p, p->end);
	int64_t data_max = others_peak(p, h, g.last_b);
	bool tw = time_wait_drawn(p, h);
	if (tw && panel_peak(p, h, SERIES_TIME_WAIT, g.last_b) > data_max)
		data_max = panel_peak(p, h, SERIES_TIME_WAIT, g.last_b);
	panel_scale(&g, data_max, l);
	fprintf(out, "<g class=\"host\">\n");
	panel_header(out, p, h, &g);
	panel_axes(out, p, &g);
	panel_marks(out, p, h, &g);
	panel_series(out, p, h, &g);
	if (tw) {
		fprintf(out,
		        "<polyline class=\"time_wait\" fill=\"none\" stroke=\"%s\" "
		        "stroke-width=\"1.5\" stroke-dasharray=\"4 3\" points=\"",
		        TIME_WAIT_COLOUR);
		step_points(out, p, h, SERIES_TIME_WAIT, &g);
		fputs("\"/>\n", out);
	}
	panel_limits(out, &g, l);
	panel_closes(out, p, h, &g);
	fputs("</g>\n", out);
}

/* ---------------------------------------------------------------- the file */

int plot_write(const struct plot *p, FILE *out)
{
	struct limits l = limits_of(&p->sc->transport);
	double head = subtitle(NULL, p->sc, 46, false);
	head = legend(NULL, p, head + 4, false) + 4;
	uint32_t hidden = p->sc->n_hosts - p->n_panels;
	double foot = 28 + (hidden ? LINE_H : 0);
	double h = head + p->n_panels * PANEL_H + foot;

	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"",
	        PLOT_W);
	num(out, h);
	fprintf(out, "\" viewBox=\"0 0 %d ", PLOT_W);
	num(out, h);
	fputs("\" font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\">\n<title>", out);
	plot_xml_text(out, p->sc->title);
	fputs("</title>\n", out);
	rect(out, 0, 0, PLOT_W, h, "fill=\"#ffffff\"");
	text(out, PLOT_LEFT, 26, "font-size=\"16\" font-weight=\"bold\" fill=\"#111111\"",
	     p->sc->title);
	subtitle(out, p->sc, 46, true);
	legend(out, p, subtitle(NULL, p->sc, 46, false) + 4, true);
	fputs("<text x=\"16\" y=\"", out);
	num(out, head + PANEL_HEAD + PLOT_AREA_H / 2.0);
	fputs("\" font-size=\"11\" fill=\"#444444\" text-anchor=\"middle\" transform=\"rotate(-90 "
	      "16 ",
	      out);
	num(out, head + PANEL_HEAD + PLOT_AREA_H / 2.0);
	fputs(")\">connections / waiting requests</text>\n", out);
	for (uint32_t i = 0; i < p->n_panels; i++)
		panel(out, p, i, head + i * PANEL_H, &l);
	double y = head + p->n_panels * PANEL_H + 4;
	if (hidden) {
		char buf[64];
		snprintf(buf, sizeof(buf), "(%u more host%s not shown)", hidden,
		         hidden == 1 ? "" : "s");
		text(out, PLOT_LEFT, y + 8, "font-size=\"12\" fill=\"#444444\"", buf);
		y += LINE_H;
	}
	text(out, PLOT_LEFT + PLOT_AREA_W / 2.0, y + 10,
	     "font-size=\"11\" text-anchor=\"middle\" fill=\"#444444\"",
	     "scenario time (simulated)");
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}

int plot_write_file(const struct plot *p, const char *path)
{
	FILE *out = fopen(path, "w");
	if (!out)
		return -1;
	int rc = plot_write(p, out);
	if (fclose(out))
		rc = -1;
	return rc;
}
