/*
 * sweep_report.c: what a sweep prints (sweep.h): the table, CSV and JSON of
 * its points, the --goal and the point it picks, that point's Go code, and
 * the merge of the JSON files --print-jobs commands wrote.
 */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "stats.h"

/* ------------------------------------------------------------------ goal */

enum metric {
	M_LAT_P50,
	M_LAT_P99,
	M_WAIT_P50,
	M_WAIT_P99,
	M_FAILED,
	M_DIALS,
	M_REUSED,
	M_PEAK_OPEN,
	M_PEAK_IDLE,
	M_PEAK_TIME_WAIT,
	M_PEAK_PORTS,
	M_COUNT
};

static const struct {
	const char *name, *alias;
	bool is_time;
} metrics[M_COUNT] = {
    [M_LAT_P50] = {"p50", "latency_p50", true},
    [M_LAT_P99] = {"p99", "latency_p99", true},
    [M_WAIT_P50] = {"wait_p50", NULL, true},
    [M_WAIT_P99] = {"wait_p99", NULL, true},
    [M_FAILED] = {"failed", NULL, false},
    [M_DIALS] = {"dials", "dials_per_s", false},
    [M_REUSED] = {"reused", NULL, false},
    [M_PEAK_OPEN] = {"peak_open", "open", false},
    [M_PEAK_IDLE] = {"peak_idle", "idle", false},
    [M_PEAK_TIME_WAIT] = {"peak_time_wait", "time_wait", false},
    [M_PEAK_PORTS] = {"peak_ports", "ports", false},
};

enum op { OP_LE, OP_GE, OP_LT, OP_GT, OP_EQ };

static double metric_of(const struct sweep_point *pt, int m)
{
	switch (m) {
	case M_LAT_P50:
		return pt->lat_p50;
	case M_LAT_P99:
		return pt->lat_p99;
	case M_WAIT_P50:
		return pt->wait_p50;
	case M_WAIT_P99:
		return pt->wait_p99;
	case M_FAILED:
		return (double)pt->failed;
	case M_DIALS:
		return pt->dials_per_s;
	case M_REUSED:
		return pt->reused_share;
	case M_PEAK_OPEN:
		return (double)pt->peak_open;
	case M_PEAK_TIME_WAIT:
		return (double)pt->peak_time_wait;
	case M_PEAK_PORTS:
		return (double)pt->peak_ports;
	default:
		return (double)pt->peak_idle;
	}
}

__attribute__((format(printf, 3, 4))) static int report_error(char *err, size_t size,
                                                              const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* goal_value: a time as a duration (50ms) or bare milliseconds; a share as 0.9 or 90%. */
static int goal_value(int m, const char *s, double *out)
{
	ps_time t;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (metrics[m].is_time && parse_duration(s, &t) == 0) {
		*out = (double)t / (double)PS_MS;
		return 0;
	}
	if (errno || end == s || !isfinite(v))
		return -1;
	if (m == M_REUSED && *end == '%' && !end[1]) {
		*out = v / 100;
		return 0;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_term(const char *term, struct sweep_goal *g, char *err, size_t size)
{
	size_t name_len = strcspn(term, "<>=");
	if (!term[name_len])
		return report_error(err, size, "goal term '%s' needs <=, >=, <, > or =", term);
	int m = -1;
	for (int i = 0; i < M_COUNT; i++)
		if ((strlen(metrics[i].name) == name_len &&
		     !strncmp(term, metrics[i].name, name_len)) ||
		    (metrics[i].alias && strlen(metrics[i].alias) == name_len &&
		     !strncmp(term, metrics[i].alias, name_len)))
			m = i;
	if (m < 0)
		return report_error(
		    err, size,
		    "unknown goal metric '%.*s' (p50, p99, wait_p50, wait_p99, "
		    "failed, dials, reused, peak_open, peak_idle, peak_time_wait, peak_ports)",
		    (int)name_len, term);
	const char *o = term + name_len;
	int op = !strncmp(o, "<=", 2)   ? OP_LE
	         : !strncmp(o, ">=", 2) ? OP_GE
	         : !strncmp(o, "==", 2) ? OP_EQ
	         : *o == '<'            ? OP_LT
	         : *o == '>'            ? OP_GT
	         : *o == '='            ? OP_EQ
	                                : -1;
	const char *value = o + (o[1] == '=' ? 2 : 1);
	if (op < 0 || goal_value(m, value, &g->terms[g->n].value))
		return report_error(err, size, "goal term '%s': bad value '%s'%s", term, value,
		                    metrics[m].is_time ? " (a duration such as 50ms)" : "");
	g->terms[g->n].metric = m;
	g->terms[g->n].op = op;
	g->n++;
	return 0;
}

int sweep_parse_goal(const char *text, struct sweep_goal *g, char *err, size_t err_size)
{
	memset(g, 0, sizeof *g);
	g->text = text;
	char buf[512];
	if (strlen(text) >= sizeof buf)
		return report_error(err, err_size, "--goal is too long");
	snprintf(buf, sizeof buf, "%s", text);
	for (char *term = strtok(buf, ", "); term; term = strtok(NULL, ", ")) {
		if (g->n == SWEEP_MAX_TERMS)
			return report_error(err, err_size, "at most %d goal terms",
			                    SWEEP_MAX_TERMS);
		if (parse_term(term, g, err, err_size))
			return -1;
	}
	if (g->n == 0)
		return report_error(err, err_size, "--goal is empty (e.g. 'p99<=50ms,failed=0')");
	return 0;
}

bool sweep_meets(const struct sweep_goal *g, const struct sweep_point *pt)
{
	if (!pt->done || pt->error)
		return false;
	for (int i = 0; i < g->n; i++) {
		double v = metric_of(pt, g->terms[i].metric), w = g->terms[i].value;
		bool ok;
		switch (g->terms[i].op) {
		case OP_LE:
			ok = v <= w;
			break;
		case OP_GE:
			ok = v >= w;
			break;
		case OP_LT:
			ok = v < w;
			break;
		case OP_GT:
			ok = v > w;
			break;
		default:
			ok = v == w;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

long sweep_cheapest(const struct sweep_goal *g, const struct sweep_results *r)
{
	long best = -1;
	for (long i = 0; i < r->n; i++) {
		const struct sweep_point *pt = sweep_at(r, i);
		if (!sweep_meets(g, pt))
			continue;
		const struct sweep_point *b = best >= 0 ? sweep_at(r, best) : NULL;
		if (!b || pt->peak_open < b->peak_open ||
		    (pt->peak_open == b->peak_open && pt->dials < b->dials))
			best = i;
	}
	return best;
}

/* ----------------------------------------------------------------- table */

#define COLS_MAX (SWEEP_MAX_VARY + 16 + 64)

struct column {
	char head[80];
	int width;
};

static int n_host_columns(const struct sweep_results *res)
{
	return res->n_hosts > 1 && res->n_hosts <= 64 ? (int)res->n_hosts : 0;
}

/* cell: the text of column c of point i (the vary values first, then the metrics). */
static void cell(const struct sweep_report *rep, long i, int c, char *buf, size_t size)
{
	const struct sweep_plan *p = rep->plan;
	const struct sweep_point *pt = sweep_at(rep->res, i);
	int hosts = n_host_columns(rep->res);
	if (c < p->n_vary) {
		snprintf(buf, size, "%s", sweep_value(p, i, c));
		return;
	}
	c -= p->n_vary;
	if (!pt->done || pt->error) {
		snprintf(buf, size, "%s", c == 0 ? (pt->error ? "error" : "not run") : "-");
		return;
	}
	if (c >= 3 && c < 3 + hosts) {
		snprintf(buf, size, "%lld", (long long)pt->host_peak_open[c - 3]);
		return;
	}
	if (c >= 3 + hosts)
		c -= hosts;
	switch (c) {
	case 0:
		snprintf(buf, size, "%.3f", pt->dials_per_s);
		break;
	case 1:
		snprintf(buf, size, "%.1f%%", pt->reused_share * 100);
		break;
	case 2:
		snprintf(buf, size, "%lld", (long long)pt->peak_open);
		break;
	case 3:
		snprintf(buf, size, "%lld", (long long)pt->peak_idle);
		break;
	case 4:
		snprintf(buf, size, "%.3f", pt->wait_p50);
		break;
	case 5:
		snprintf(buf, size, "%.3f", pt->wait_p99);
		break;
	case 6:
		snprintf(buf, size, "%.3f", pt->lat_p50);
		break;
	case 7:
		snprintf(buf, size, "%.3f", pt->lat_p99);
		break;
	case 8:
		snprintf(buf, size, "%lld", (long long)pt->failed);
		break;
	case 9:
		snprintf(buf, size, "%lld", (long long)pt->peak_time_wait);
		break;
	default:
		snprintf(buf, size, "%lld", (long long)pt->peak_ports);
		break;
	}
}

static int columns(const struct sweep_report *rep, struct column *cols)
{
	static const char *const tail[] = {"idle",   "wait_p50_ms", "wait_p99_ms", "p50_ms",
	                                   "p99_ms", "failed",      "time_wait",   "ports"};
	int n = 0;
	for (int k = 0; k < rep->plan->n_vary; k++)
		snprintf(cols[n++].head, sizeof cols[0].head, "%s", rep->plan->vary[k].key);
	snprintf(cols[n++].head, sizeof cols[0].head, "dials/s");
	snprintf(cols[n++].head, sizeof cols[0].head, "reused");
	snprintf(cols[n++].head, sizeof cols[0].head, "open");
	for (int h = 0; h < n_host_columns(rep->res); h++)
		snprintf(cols[n++].head, sizeof cols[0].head, "open:%s", rep->res->host_names[h]);
	for (size_t t = 0; t < sizeof tail / sizeof tail[0]; t++)
		snprintf(cols[n++].head, sizeof cols[0].head, "%s", tail[t]);
	return n;
}

void sweep_print_table(const struct sweep_report *rep, FILE *out)
{
	struct column cols[COLS_MAX];
	int n = columns(rep, cols);
	char buf[128];
	for (int c = 0; c < n; c++) {
		cols[c].width = (int)strlen(cols[c].head);
		for (long i = rep->first; i < rep->first + rep->count; i++) {
			cell(rep, i, c, buf, sizeof buf);
			if ((int)strlen(buf) > cols[c].width)
				cols[c].width = (int)strlen(buf);
		}
	}
	fprintf(out, "%s: %ld point%s", rep->title, rep->res->n, rep->res->n == 1 ? "" : "s");
	if (rep->seeds > 1)
		fprintf(out,
		        ", %d seeds each (dials/s and reused: the mean; the rest: the worst seed)",
		        rep->seeds);
	fputc('\n', out);
	if (rep->goal)
		fputs("  ", out);
	for (int c = 0; c < n; c++)
		fprintf(out, "%s%*s", c ? "  " : "",
		        c < rep->plan->n_vary ? -cols[c].width : cols[c].width, cols[c].head);
	fputc('\n', out);
	for (long i = rep->first; i < rep->first + rep->count; i++) {
		if (rep->goal)
			fprintf(out, "%c ",
			        i == rep->chosen                                ? '*'
			        : sweep_meets(rep->goal, sweep_at(rep->res, i)) ? '+'
			                                                        : ' ');
		for (int c = 0; c < n; c++) {
			cell(rep, i, c, buf, sizeof buf);
			fprintf(out, "%s%*s", c ? "  " : "",
			        c < rep->plan->n_vary ? -cols[c].width : cols[c].width, buf);
		}
		fputc('\n', out);
	}
}

void sweep_print_csv(const struct sweep_report *rep, FILE *out)
{
	struct column cols[COLS_MAX];
	int n = columns(rep, cols);
	char buf[128];
	for (int c = 0; c < n; c++)
		fprintf(out, "%s%s", c ? "," : "", cols[c].head);
	fputc('\n', out);
	for (long i = rep->first; i < rep->first + rep->count; i++) {
		for (int c = 0; c < n; c++) {
			cell(rep, i, c, buf, sizeof buf);
			char *pct = strchr(buf, '%');
			if (pct) /* CSV keeps a share a plain number, 0..1 */
				snprintf(buf, sizeof buf, "%.4f",
				         sweep_at(rep->res, i)->reused_share);
			fprintf(out, "%s%s", c ? "," : "", buf);
		}
		fputc('\n', out);
	}
}

/* ------------------------------------------------------------------ JSON */

static void print_transport_json(const struct sweep_point *pt, FILE *out)
{
	const struct transport_config *t = &pt->transport;
	char a[40], b[40], c[40], d[40], e[40];
	fprintf(
	    out,
	    "\"transport\": {\"MaxIdleConns\": %lld, \"MaxIdleConnsPerHost\": %lld, "
	    "\"MaxConnsPerHost\": %lld, \"IdleConnTimeout\": \"%s\", \"DisableKeepAlives\": %s, "
	    "\"TLSHandshakeTimeout\": \"%s\", \"ResponseHeaderTimeout\": \"%s\", "
	    "\"DialTimeout\": \"%s\"}, \"client\": {\"Timeout\": \"%s\"}",
	    (long long)t->MaxIdleConns, (long long)t->MaxIdleConnsPerHost,
	    (long long)t->MaxConnsPerHost, format_duration(t->IdleConnTimeout, a, sizeof a),
	    t->DisableKeepAlives ? "true" : "false",
	    format_duration(t->TLSHandshakeTimeout, b, sizeof b),
	    format_duration(t->ResponseHeaderTimeout, c, sizeof c),
	    format_duration(t->DialTimeout, d, sizeof d),
	    format_duration(pt->client_timeout, e, sizeof e));
}

static void print_point_json(const struct sweep_report *rep, long i, FILE *out)
{
	const struct sweep_point *pt = sweep_at(rep->res, i);
	fprintf(out, "    {\"point\": %ld, \"set\": {", i + 1);
	for (int k = 0; k < rep->plan->n_vary; k++) {
		fprintf(out, "%s", k ? ", " : "");
		stats_json_string(out, rep->plan->vary[k].key);
		fputs(": ", out);
		stats_json_string(out, sweep_value(rep->plan, i, k));
	}
	fprintf(out, "}, \"done\": %s, \"error\": %d", pt->done ? "true" : "false", pt->error);
	if (pt->done && !pt->error) {
		fprintf(
		    out,
		    ", \"requests\": %lld, \"failed\": %lld, \"dials\": %lld, \"duration_s\": "
		    "%.9g, "
		    "\"dials_per_s\": %.9g, \"reused_share\": %.9g, \"peak_open\": %lld, "
		    "\"peak_idle\": %lld, \"peak_time_wait\": %lld, \"peak_ports\": %lld, "
		    "\"wait_p50_ms\": %.6f, \"wait_p99_ms\": %.6f, "
		    "\"latency_p50_ms\": %.6f, \"latency_p99_ms\": %.6f, \"peak_open_hosts\": [",
		    (long long)pt->requests, (long long)pt->failed, (long long)pt->dials,
		    pt->duration_s, pt->dials_per_s, pt->reused_share, (long long)pt->peak_open,
		    (long long)pt->peak_idle, (long long)pt->peak_time_wait,
		    (long long)pt->peak_ports, pt->wait_p50, pt->wait_p99, pt->lat_p50,
		    pt->lat_p99);
		for (uint32_t h = 0; h < rep->res->n_hosts; h++)
			fprintf(out, "%s%lld", h ? ", " : "", (long long)pt->host_peak_open[h]);
		fputs("], ", out);
		print_transport_json(pt, out);
	}
	fputc('}', out);
}

void sweep_print_json(const struct sweep_report *rep, FILE *out)
{
	fputs("{\n  \"sweep\": ", out);
	stats_json_string(out, rep->title);
	fputs(",\n  \"file\": ", out);
	stats_json_string(out, rep->file);
	fprintf(out, ",\n  \"seeds\": %d,\n  \"of\": %ld,\n  \"vary\": [", rep->seeds, rep->res->n);
	for (int k = 0; k < rep->plan->n_vary; k++) {
		fputs(k ? ", " : "", out);
		stats_json_string(out, rep->plan->vary[k].key);
	}
	fputs("],\n", out);
	for (int k = 0; k < rep->plan->n_vary; k++) {
		fprintf(out, "  \"values_%d\": [", k + 1);
		for (int j = 0; j < rep->plan->vary[k].n; j++) {
			fputs(j ? ", " : "", out);
			stats_json_string(out, rep->plan->vary[k].values[j]);
		}
		fputs("],\n", out);
	}
	fputs("  \"hosts\": [", out);
	for (uint32_t h = 0; h < rep->res->n_hosts; h++) {
		fputs(h ? ", " : "", out);
		stats_json_string(out, rep->res->host_names[h]);
	}
	fputs("],\n  \"points\": [\n", out);
	for (long i = rep->first; i < rep->first + rep->count; i++) {
		print_point_json(rep, i, out);
		fputs(i + 1 < rep->first + rep->count ? ",\n" : "\n", out);
	}
	fputs("  ]", out);
	if (rep->goal) {
		fputs(",\n  \"goal\": {\"text\": ", out);
		stats_json_string(out, rep->goal->text);
		fprintf(out, ", \"point\": %ld}", rep->chosen >= 0 ? rep->chosen + 1 : 0);
	}
	fputs("\n}\n", out);
}

/* -------------------------------------------------------------------- Go */

/* go_duration: a Go constant expression: 90 * time.Second, 1500 * time.Millisecond. */
static char *go_duration(ps_time d, char *buf, size_t size)
{
	static const struct {
		ps_time unit;
		const char *name;
	} units[] = {{3600 * PS_SEC, "time.Hour"},
	             {60 * PS_SEC, "time.Minute"},
	             {PS_SEC, "time.Second"},
	             {PS_MS, "time.Millisecond"},
	             {PS_MS / 1000, "time.Microsecond"}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (d % units[i].unit == 0) {
			long long n = (long long)(d / units[i].unit);
			if (n == 1)
				snprintf(buf, size, "%s", units[i].name);
			else
				snprintf(buf, size, "%lld * %s", n, units[i].name);
			return buf;
		}
	snprintf(buf, size, "%lld", (long long)d);
	return buf;
}

void sweep_print_go(const struct sweep_point *pt, FILE *out)
{
	const struct transport_config *t = &pt->transport;
	char lines[9][2][96];
	int n = 0;
	char d[64];
#define FIELD(name, ...)                                                                           \
	do {                                                                                       \
		snprintf(lines[n][0], sizeof lines[n][0], "%s:", name);                            \
		snprintf(lines[n][1], sizeof lines[n][1], __VA_ARGS__);                            \
		n++;                                                                               \
	} while (0)
	if (t->MaxIdleConns)
		FIELD("MaxIdleConns", "%lld", (long long)t->MaxIdleConns);
	if (t->MaxIdleConnsPerHost)
		FIELD("MaxIdleConnsPerHost", "%lld", (long long)t->MaxIdleConnsPerHost);
	if (t->MaxConnsPerHost)
		FIELD("MaxConnsPerHost", "%lld", (long long)t->MaxConnsPerHost);
	if (t->IdleConnTimeout)
		FIELD("IdleConnTimeout", "%s", go_duration(t->IdleConnTimeout, d, sizeof d));
	if (t->DisableKeepAlives)
		FIELD("DisableKeepAlives", "true");
	if (t->TLSHandshakeTimeout)
		FIELD("TLSHandshakeTimeout", "%s",
		      go_duration(t->TLSHandshakeTimeout, d, sizeof d));
	if (t->ResponseHeaderTimeout)
		FIELD("ResponseHeaderTimeout", "%s",
		      go_duration(t->ResponseHeaderTimeout, d, sizeof d));
	if (t->DialTimeout)
		FIELD("DialContext", "(&net.Dialer{Timeout: %s}).DialContext",
		      go_duration(t->DialTimeout, d, sizeof d));
#undef FIELD
	int w = 0;
	for (int i = 0; i < n; i++)
		if ((int)strlen(lines[i][0]) > w)
			w = (int)strlen(lines[i][0]);
	fputs("transport := &http.Transport{\n", out);
	for (int i = 0; i < n; i++)
		fprintf(out, "\t%-*s %s,\n", w, lines[i][0], lines[i][1]);
	fputs("}\n", out);
	if (pt->client_timeout)
		fprintf(out, "client := &http.Client{Transport: transport, Timeout: %s}\n",
		        go_duration(pt->client_timeout, d, sizeof d));
	else
		fputs("client := &http.Client{Transport: transport}\n", out);
}

/* ----------------------------------------------------------------- merge */

/* json_after: the text after `"key": ` within line[0..end), or NULL. */
static const char *json_after(const char *line, const char *end, const char *key)
{
	char pat[240];
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	const char *s = strstr(line, pat);
	return s && s + strlen(pat) <= end ? s + strlen(pat) : NULL;
}

/* json_string: a JSON string at s (our own output: escapes only \" and \\) into buf. */
static const char *json_string(const char *s, char *buf, size_t size)
{
	if (!s || *s != '"')
		return NULL;
	size_t n = 0;
	for (s++; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		if (n + 1 < size)
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return *s == '"' ? s + 1 : NULL;
}

static bool json_number(const char *line, const char *end, const char *key, double *out)
{
	const char *s = json_after(line, end, key);
	if (!s)
		return false;
	char *e;
	*out = strtod(s, &e);
	return e != s;
}

/* json_strings: ["a", "b"] at s into out[0..max), each `width` bytes; the count or -1. */
static int json_strings(const char *s, char *out, size_t width, int max)
{
	int n = 0;
	if (!s || *s != '[')
		return -1;
	s++;
	while (*s == '"' && n < max) {
		s = json_string(s, out + (size_t)n * width, width);
		if (!s)
			return -1;
		n++;
		while (*s == ',' || *s == ' ')
			s++;
	}
	return *s == ']' ? n : -1;
}

struct merge_state {
	struct sweep_plan *plan;
	struct sweep_results *res;
	char *title;
	size_t title_size;
	int *seeds;
	bool have_header;
	char file[PATH_MAX];
	long merged;
};

static ps_time json_duration(const char *line, const char *end, const char *key)
{
	char buf[64];
	ps_time t = 0;
	if (json_string(json_after(line, end, key), buf, sizeof buf))
		parse_duration(buf, &t);
	return t;
}

/* merge_point: one "{"point": N, ...}" line into its slot; 0 or -1. */
static int merge_point(struct merge_state *m, const char *line)
{
	const char *end = line + strlen(line);
	double v;
	if (!json_number(line, end, "point", &v) || v < 1 || v > (double)m->res->n)
		return -1;
	struct sweep_point *pt = sweep_at(m->res, (long)v - 1);
	const char *done = json_after(line, end, "done");
	if (!done || strncmp(done, "true", 4))
		return 0;
	if (json_number(line, end, "error", &v) && v != 0) {
		pt->done = true;
		pt->error = (int)v;
		return 0;
	}
	double d[14];
	static const char *const keys[] = {
	    "requests",       "failed",         "dials",          "duration_s",  "dials_per_s",
	    "reused_share",   "peak_open",      "peak_idle",      "wait_p50_ms", "wait_p99_ms",
	    "latency_p50_ms", "latency_p99_ms", "peak_time_wait", "peak_ports"};
	for (int k = 0; k < 14; k++)
		if (!json_number(line, end, keys[k], &d[k]))
			return -1;
	pt->requests = (int64_t)d[0];
	pt->failed = (int64_t)d[1];
	pt->dials = (int64_t)d[2];
	pt->duration_s = d[3];
	pt->dials_per_s = d[4];
	pt->reused_share = d[5];
	pt->peak_open = (int64_t)d[6];
	pt->peak_idle = (int64_t)d[7];
	pt->wait_p50 = d[8];
	pt->wait_p99 = d[9];
	pt->lat_p50 = d[10];
	pt->lat_p99 = d[11];
	pt->peak_time_wait = (int64_t)d[12];
	pt->peak_ports = (int64_t)d[13];
	const char *hosts = json_after(line, end, "peak_open_hosts");
	if (!hosts || *hosts != '[')
		return -1;
	hosts++;
	for (uint32_t h = 0; h < m->res->n_hosts; h++) {
		char *e;
		pt->host_peak_open[h] = strtoll(hosts, &e, 10);
		if (e == hosts)
			return -1;
		hosts = e + strspn(e, ", ");
	}
	const char *tr = json_after(line, end, "transport");
	if (!tr)
		return -1;
	struct transport_config *t = &pt->transport;
	if (!json_number(tr, end, "MaxIdleConns", &v))
		return -1;
	t->MaxIdleConns = (int64_t)v;
	if (!json_number(tr, end, "MaxIdleConnsPerHost", &v))
		return -1;
	t->MaxIdleConnsPerHost = (int64_t)v;
	if (!json_number(tr, end, "MaxConnsPerHost", &v))
		return -1;
	t->MaxConnsPerHost = (int64_t)v;
	const char *dk = json_after(tr, end, "DisableKeepAlives");
	t->DisableKeepAlives = dk && !strncmp(dk, "true", 4);
	t->IdleConnTimeout = json_duration(tr, end, "IdleConnTimeout");
	t->TLSHandshakeTimeout = json_duration(tr, end, "TLSHandshakeTimeout");
	t->ResponseHeaderTimeout = json_duration(tr, end, "ResponseHeaderTimeout");
	t->DialTimeout = json_duration(tr, end, "DialTimeout");
	pt->client_timeout = json_duration(tr, end, "Timeout");
	pt->done = true;
	m->merged++;
	return 0;
}

/* merge_header: the sweep's shape from the first file; later files must agree. */
static int merge_header(struct merge_state *m, const char *text, char *err, size_t size)
{
	const char *end = text + strlen(text);
	double of, seeds;
	char title[SCENARIO_TITLE_MAX], keys[SWEEP_MAX_VARY][200];
	char(*hosts)[SCENARIO_NAME_MAX] = calloc(10000, sizeof *hosts);
	if (!hosts)
		return report_error(err, size, "out of memory");
	int n_vary = json_strings(json_after(text, end, "vary"), &keys[0][0], sizeof keys[0],
	                          SWEEP_MAX_VARY);
	int n_hosts =
	    json_strings(json_after(text, end, "hosts"), &hosts[0][0], sizeof hosts[0], 10000);
	if (!json_string(json_after(text, end, "sweep"), title, sizeof title) ||
	    !json_number(text, end, "of", &of) || !json_number(text, end, "seeds", &seeds) ||
	    n_vary < 1 || n_hosts < 1 || of < 1 || of > SWEEP_MAX_POINTS) {
		free(hosts);
		return report_error(err, size, "not the --json output of poolsim sweep");
	}
	if (m->have_header) {
		bool same = (long)of == m->res->n && (int)seeds == *m->seeds &&
		            n_vary == m->plan->n_vary && (uint32_t)n_hosts == m->res->n_hosts;
		for (int k = 0; same && k < n_vary; k++)
			same = !strcmp(keys[k], m->plan->vary[k].key);
		free(hosts);
		return same ? 0 : report_error(err, size, "from another sweep than the first file");
	}
	m->have_header = true;
	snprintf(m->title, m->title_size, "%s", title);
	*m->seeds = (int)seeds;
	m->plan->n_vary = n_vary;
	m->plan->n_points = (long)of;
	for (int k = 0; k < n_vary; k++) {
		struct sweep_vary *v = &m->plan->vary[k];
		char name[32];
		memcpy(v->key, keys[k], sizeof v->key);
		v->key[sizeof v->key - 1] = '\0';
		snprintf(name, sizeof name, "values_%d", k + 1);
		v->values = calloc(SWEEP_MAX_VALUES, sizeof *v->values);
		v->n = v->values ? json_strings(json_after(text, end, name), &v->values[0][0],
		                                sizeof v->values[0], SWEEP_MAX_VALUES)
		                 : -1;
		if (v->n < 1) {
			free(hosts);
			return report_error(err, size, "no %s list", name);
		}
	}
	m->res->n = (long)of;
	m->res->n_hosts = (uint32_t)n_hosts;
	m->res->host_names = hosts;
	m->res->stride = sizeof(struct sweep_point) + (size_t)n_hosts * sizeof(int64_t);
	m->res->base = calloc((size_t)of, m->res->stride);
	return m->res->base ? 0 : report_error(err, size, "out of memory");
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *b = cap > ((size_t)1 << 30) ? NULL : realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static int merge_file(struct merge_state *m, const char *path, char *err, size_t size)
{
	char *text = read_text(path);
	if (!text)
		return report_error(err, size, "%s: %s", path, strerror(errno));
	char sub[400];
	int rc = merge_header(m, text, sub, sizeof sub);
	if (rc)
		report_error(err, size, "%s: %s", path, sub);
	int line_no = 1;
	for (char *line = text; rc == 0 && line && *line; line_no++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		const char *s = line + strspn(line, " ");
		if (!strncmp(s, "{\"point\": ", 10) && merge_point(m, s))
			rc = report_error(err, size, "%s:%d: a point this sweep cannot read", path,
			                  line_no);
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sweep_merge_dir(const char *dir, struct sweep_plan *plan, struct sweep_results *res,
                    char *title, size_t title_size, int *seeds, char *err, size_t err_size)
{
	memset(res, 0, sizeof *res);
	memset(plan, 0, sizeof *plan);
	DIR *d = opendir(dir);
	if (!d)
		return report_error(err, err_size, "%s: %s", dir, strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn)
				break;
			names = nn;
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		free(names);
		return report_error(err, err_size, "%s holds no .json files", dir);
	}
	qsort(names, n, sizeof *names, by_name);
	struct merge_state m = {
	    .plan = plan, .res = res, .title = title, .title_size = title_size, .seeds = seeds};
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 256];
		snprintf(path, sizeof path, "%s/%s", dir, names[i] ? names[i] : "");
		if (rc == 0 && names[i])
			rc = merge_file(&m, path, err, err_size);
		free(names[i]);
	}
	free(names);
	if (rc == 0 && m.merged < res->n)
		rc = report_error(err, err_size, "%s holds %ld of the sweep's %ld points", dir,
		                  m.merged, res->n);
	return rc;
}
