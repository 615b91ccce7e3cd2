/*
 * replay.c: the rows of a replay load (replay.h), one line at a time through
 * a fixed buffer; an nginx log's through its reorder window.
 */
#include "replay.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scenario.h"

#define REPLAY_LINE_MAX   16384
#define REPLAY_WINDOW_MAX (1 << 24) /* pending nginx rows: 16 Mi, 384 MiB */

const char *const replay_format_names[4] = {"detect", "csv", "nginx", "events"};

/* An nginx row waiting in the reorder window, keyed by (start, line). */
struct pending {
	ps_time start, service; /* start: ns since the epoch */
	int line;
};
#define REPLAY_COLS_MAX 64

struct replay_file {
	FILE *in;
	char path[1024];
	int line;
	int col_start, col_service, col_body, n_cols;
	bool events;   /* poolsim's JSON-lines event records: each req_start is a row */
	bool rfc3339;  /* the first row's start was a timestamp: later ones are taken from it */
	double origin; /* that first timestamp, in seconds since the epoch */
	ps_time last;
	bool any;
	struct replay_options opt;
	/* nginx: the reorder window */
	struct pending *heap;
	size_t n_heap, cap_heap;
	bool eof;
	ps_time max_end, max_time; /* the latest $msec, the longest request time so far */
	ps_time released;          /* the start of the last row released (ns since the epoch) */
	int released_line;
	ps_time nginx_origin; /* the first request's start: the replay's 0 */
	char buf[REPLAY_LINE_MAX + 2];
};

__attribute__((format(printf, 4, 5))) static int row_error(const struct replay_file *f, char *err,
                                                           size_t size, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, size, "%s:%d: %s", f->path, f->line, msg);
	return -1;
}

/* read_line: the next line without its end, in f->buf; 1, 0 at the end, -1 with err. */
static int read_line(struct replay_file *f, char *err, size_t size)
{
	if (!fgets(f->buf, sizeof f->buf, f->in))
		return ferror(f->in) ? (f->line++,
		                        row_error(f, err, size, "cannot read: %s", strerror(errno)))
		                     : 0;
	f->line++;
	size_t n = strlen(f->buf);
	if (n == sizeof f->buf - 1 && f->buf[n - 1] != '\n')
		return row_error(f, err, size, "line is longer than %d bytes", REPLAY_LINE_MAX);
	if (n && f->buf[n - 1] == '\n')
		f->buf[--n] = '\0';
	if (n && f->buf[n - 1] == '\r')
		f->buf[--n] = '\0';
	if (strlen(f->buf) != n) /* a NUL byte inside the line */
		return row_error(f, err, size, "binary data (a NUL byte): not a text file");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f->buf[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return row_error(f, err, size,
			                 "binary data (byte 0x%02x in column %zu): not a text file",
			                 c, i + 1);
	}
	return 1;
}

/* split: the fields of f->buf, cut in place at each comma. */
static int split(char *s, char **fields)
{
	int n = 0;
	for (;;) {
		if (n == REPLAY_COLS_MAX)
			return -1;
		char *comma = strchr(s, ',');
		while (*s == ' ' || *s == '\t')
			s++;
		fields[n++] = s;
		if (!comma)
			break;
		*comma = '\0';
		s = comma + 1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(fields[i]);
		while (len && (fields[i][len - 1] == ' ' || fields[i][len - 1] == '\t'))
			fields[i][--len] = '\0';
	}
	return n;
}

static int read_header(struct replay_file *f, char *err, size_t size)
{
	if (f->opt.format == REPLAY_NGINX)
		return 0; /* no header: every line is a request */
	int rc = read_line(f, err, size);
	if (rc <= 0)
		return rc < 0 ? -1 : row_error(f, err, size, "empty file: no header line");
	if (f->opt.format == REPLAY_EVENTS ||
	    (f->opt.format == REPLAY_DETECT && f->buf[0] == '{')) {
		/* docs/format.md, "Event records (JSON lines)": the header names the format. */
		if (!strstr(f->buf, "\"format\":\"poolsim-events\""))
			return row_error(
			    f, err, size,
			    "a JSON line, but not the header of poolsim's event records "
			    "({\"kind\":\"stream\",\"format\":\"poolsim-events\",...})");
		f->events = true;
		return 0;
	}
	char *fields[REPLAY_COLS_MAX];
	f->n_cols = split(f->buf, fields);
	if (f->n_cols < 0)
		return row_error(f, err, size, "more than %d columns", REPLAY_COLS_MAX);
	f->col_start = f->col_service = f->col_body = -1;
	for (int i = 0; i < f->n_cols; i++) {
		if (!strcmp(fields[i], "start"))
			f->col_start = i;
		else if (!strcmp(fields[i], "service"))
			f->col_service = i;
		else if (!strcmp(fields[i], "body"))
			f->col_body = i;
	}
	if (f->col_start < 0)
		return row_error(f, err, size,
		                 "the header names no 'start' column (start[,service][,body])");
	return 0;
}

struct replay_file *replay_open(const char *path, const struct replay_options *opt, char *err,
                                size_t err_size)
{
	struct replay_file *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, err_size, "%s: out of memory", path);
		return NULL;
	}
	snprintf(f->path, sizeof f->path, "%s", path);
	f->opt = *opt;
	f->in = scenario_open_regular(path);
	if (!f->in) {
		snprintf(err, err_size, "%s: cannot open: %s", path,
		         errno == EINVAL ? "not a regular file" : strerror(errno));
		free(f);
		return NULL;
	}
	if (read_header(f, err, err_size)) {
		replay_close(f);
		return NULL;
	}
	return f;
}

void replay_close(struct replay_file *f)
{
	if (!f)
		return;
	if (f->in)
		fclose(f->in);
	free(f->heap);
	free(f);
}

/* seconds: "12", "0.25" as ns; false for anything else. */
static bool seconds(const char *s, ps_time *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 3.6e6 || strpbrk(s, "eEnNiIxX"))
		return false;
	*out = (ps_time)(v * 1e9 + 0.5);
	return true;
}

/* rfc3339: "2026-12-01T21:00:00.123Z" or with "+02:00", as seconds since the epoch. */
static bool rfc3339(const char *s, double *out)
{
	int y, mo, d, h, mi, n = 0;
	double sec;
	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return false;
	const char *z = s + n;
	int off = 0;
	if (*z == 'Z' || *z == 'z') {
		z++;
	} else if (*z == '+' || *z == '-') {
		int oh, om, m = 0;
		if (sscanf(z + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5)
			return false;
		off = (*z == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		z += 1 + m;
	} else {
		return false;
	}
	if (*z || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
		return false;
	struct tm tm = {
	    .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	time_t t = timegm(&tm);
	*out = (double)t + sec - off;
	return true;
}

static int parse_start(struct replay_file *f, const char *s, ps_time *out, char *err, size_t size)
{
	double at;
	if (!f->any && !seconds(s, out) && rfc3339(s, &at)) {
		f->rfc3339 = true;
		f->origin = at;
	}
	if (f->rfc3339) {
		if (!rfc3339(s, &at))
			return row_error(f, err, size,
			                 "bad start '%s': the file's first row is an RFC 3339 "
			                 "timestamp, so every row's must be",
			                 s);
		if (at - f->origin > 3.6e6)
			return row_error(f, err, size,
			                 "start '%s' is more than 1000h after the first", s);
		*out = (ps_time)((at - f->origin) * 1e9 + 0.5);
		return 0;
	}
	if (!seconds(s, out))
		return row_error(
		    f, err, size,
		    "bad start '%s' (seconds from the start, like 12.5, or an RFC 3339 "
		    "timestamp)",
		    s);
	return 0;
}

static int parse_body(struct replay_file *f, const char *s, int *out, char *err, size_t size)
{
	static const char *const bodies[] = {"close", "early_close", "leak"};
	static const int modes[] = {BODY_CLOSE, BODY_EARLY_CLOSE, BODY_LEAK};
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, bodies[i])) {
			*out = modes[i];
			return 0;
		}
	return row_error(f, err, size, "bad body '%s' (close, early_close or leak)", s);
}

/* next_event: the next req_start record's t as a row (its service is the host's). */
static int next_event(struct replay_file *f, struct replay_row *row, char *err, size_t size)
{
	int rc;
	while ((rc = read_line(f, err, size)) == 1) {
		if (!f->buf[0])
			continue;
		if (f->buf[0] != '{')
			return row_error(f, err, size, "not a JSON object");
		if (!strstr(f->buf, "\"kind\":\"req_start\""))
			continue;
		const char *t = strstr(f->buf, "\"t\":");
		char *end;
		long long ns = t ? strtoll(t + 4, &end, 10) : -1;
		if (!t || end == t + 4 || ns < 0)
			return row_error(f, err, size, "a req_start record without a time \"t\"");
		row->line = f->line;
		row->start = (ps_time)ns;
		row->service = REPLAY_NONE;
		row->body = REPLAY_NONE;
		if (f->any && row->start < f->last)
			return row_error(f, err, size, "t %lld goes back in time", ns);
		f->any = true;
		f->last = row->start;
		return 1;
	}
	return rc;
}

/* ------------------------------------------------------ nginx reorder window */

static bool pending_before(const struct pending *a, const struct pending *b)
{
	return a->start < b->start || (a->start == b->start && a->line < b->line);
}

static int push_pending(struct replay_file *f, struct pending p, char *err, size_t size)
{
	if (f->n_heap == f->cap_heap) {
		if (f->cap_heap == REPLAY_WINDOW_MAX)
			return row_error(f, err, size,
			                 "more than %d requests inside the reorder window (the "
			                 "longest request time, %.3fs)",
			                 REPLAY_WINDOW_MAX, (double)f->max_time / 1e9);
		size_t cap = f->cap_heap ? f->cap_heap * 2 : 1024;
		struct pending *h = realloc(f->heap, cap * sizeof *h);
		if (!h)
			return row_error(f, err, size, "out of memory for the reorder window");
		f->heap = h;
		f->cap_heap = cap;
	}
	size_t i = f->n_heap++;
	while (i && pending_before(&p, &f->heap[(i - 1) / 2])) {
		f->heap[i] = f->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	f->heap[i] = p;
	return 0;
}

static struct pending pop_pending(struct replay_file *f)
{
	struct pending top = f->heap[0], last = f->heap[--f->n_heap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= f->n_heap)
			break;
		if (c + 1 < f->n_heap && pending_before(&f->heap[c + 1], &f->heap[c]))
			c++;
		if (!pending_before(&f->heap[c], &last))
			break;
		f->heap[i] = f->heap[c];
		i = c;
	}
	if (f->n_heap)
		f->heap[i] = last;
	return top;
}

static ps_time epoch_ns(double seconds)
{
	return (ps_time)llround(seconds * 1e6) * 1000; /* nginx writes milliseconds */
}

/* read_nginx_line: the next line's request into the window (or skipped: blank, another
 * upstream's); 1, 0 at the end, -1 with err. */
static ps_time window(const struct replay_file *f);

static int read_nginx_line(struct replay_file *f, char *err, size_t size)
{
	int rc = read_line(f, err, size);
	if (rc <= 0 || !f->buf[0])
		return rc;
	struct nginx_request req;
	char msg[300];
	if (nginx_parse(f->buf, &f->opt.fields, &req, msg, sizeof msg))
		return row_error(f, err, size, "%s", msg);
	if (f->opt.upstream[0] && strcmp(req.host, f->opt.upstream))
		return 1;
	struct pending p = {epoch_ns(req.end) - epoch_ns(req.time), epoch_ns(req.time), f->line};
	if (f->any && p.start < f->released) {
		char a[40], b[40];
		return row_error(
		    f, err, size,
		    "this request started (at $msec - request time) %s before the one at line "
		    "%d, already replayed: the log is out of end order by more than the reorder "
		    "window (%s: replay_window, or the longest request time so far)",
		    format_duration(f->released - p.start, a, sizeof a), f->released_line,
		    format_duration(window(f), b, sizeof b));
	}
	if (p.service > f->max_time)
		f->max_time = p.service;
	if (p.start + p.service > f->max_end)
		f->max_end = p.start + p.service;
	return push_pending(f, p, err, size) ? -1 : 1;
}

/* window: how far behind the latest $msec a request may start and still come. */
static ps_time window(const struct replay_file *f)
{
	return f->max_time > f->opt.window ? f->max_time : f->opt.window;
}

/* next_nginx: the earliest pending row once no line still to come can start before it. */
static int next_nginx(struct replay_file *f, struct replay_row *row, char *err, size_t size)
{
	while (!f->eof && (!f->n_heap || f->heap[0].start > f->max_end - window(f))) {
		int rc = read_nginx_line(f, err, size);
		if (rc < 0)
			return -1;
		f->eof = rc == 0;
	}
	if (!f->n_heap)
		return 0;
	struct pending p = pop_pending(f);
	if (!f->any)
		f->nginx_origin = p.start; /* the log's first request starts the replay */
	f->any = true;
	f->released = p.start;
	f->released_line = p.line;
	*row = (struct replay_row){.start = p.start - f->nginx_origin,
	                           .service = p.service,
	                           .body = REPLAY_NONE,
	                           .line = p.line};
	return 1;
}

int replay_next(struct replay_file *f, struct replay_row *row, char *err, size_t err_size)
{
	if (f->opt.format == REPLAY_NGINX)
		return next_nginx(f, row, err, err_size);
	if (f->events)
		return next_event(f, row, err, err_size);
	int rc;
	while ((rc = read_line(f, err, err_size)) == 1 && !f->buf[0])
		; /* blank lines */
	if (rc <= 0)
		return rc;
	char *fields[REPLAY_COLS_MAX];
	int n = split(f->buf, fields);
	if (n < 0)
		return row_error(f, err, err_size, "more than %d columns", REPLAY_COLS_MAX);
	const char *names[] = {"start", "service", "body"};
	int cols[] = {f->col_start, f->col_service, f->col_body};
	for (int i = 0; i < 3; i++)
		if (cols[i] >= n || (cols[i] >= 0 && !fields[cols[i]][0]))
			return row_error(f, err, err_size,
			                 "missing column '%s' (the header has %d)", names[i],
			                 f->n_cols);
	row->line = f->line;
	row->service = REPLAY_NONE;
	row->body = REPLAY_NONE;
	if (parse_start(f, fields[f->col_start], &row->start, err, err_size))
		return -1;
	if (f->any && row->start < f->last) {
		char a[40], b[40];
		return row_error(f, err, err_size,
		                 "start %s goes back in time (the row before: %s)",
		                 format_duration(row->start, a, sizeof a),
		                 format_duration(f->last, b, sizeof b));
	}
	if (f->col_service >= 0) {
		if (parse_duration(fields[f->col_service], &row->service) || row->service < 0)
			return row_error(f, err, err_size,
			                 "bad service '%s' (a duration such as 25ms)",
			                 fields[f->col_service]);
	}
	if (f->col_body >= 0 && parse_body(f, fields[f->col_body], &row->body, err, err_size))
		return -1;
	f->any = true;
	f->last = row->start;
	return 1;
}

int replay_scan(const char *path, const struct replay_options *opt, int64_t *rows, ps_time *last,
                char *err, size_t err_size)
{
	struct replay_file *f = replay_open(path, opt, err, err_size);
	if (!f)
		return -1;
	struct replay_row row;
	int rc;
	*rows = 0;
	*last = 0;
	while ((rc = replay_next(f, &row, err, err_size)) == 1) {
		(*rows)++;
		*last = row.start;
	}
	replay_close(f);
	return rc;
}
