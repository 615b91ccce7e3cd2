/*
 * scenario.c: reads a scenario file (docs/format.md; the contract is the
 * shared scenario-format.md) into struct scenario, applies every default and
 * checks every rule, and owns the duration syntax (Go's ParseDuration and
 * Duration.String).
 *
 * It must not print, exit, or keep state outside the structs it is handed:
 * the first problem goes back in struct scenario_error (line + message),
 * warnings in scenario.warnings; the CLI prints them.
 *
 * Debian's inih is built with a 200-byte stack line buffer, `;` as the only
 * inline comment, indented lines continuing the previous value, and no line
 * number for the handler. So inih is fed through ini_parse_stream by our own
 * line reader, which counts lines, refuses binary text and over-long lines,
 * strips `#`/`;` comments and indentation (continuation never triggers), and
 * reads section headers itself (inih would cut a long name at 49 bytes);
 * inih only ever sees blank lines and normalised `key=value` lines.
 */
#include "scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Limits, so that no scenario can ask for absurd memory (docs/format.md). */
#define FILE_MAX       ((size_t)1 << 20)
#define LINE_MAX_BYTES 4096
#define HOSTS_MAX      10000
#define LOADS_MAX      100000
#define EVENTS_MAX     100000
#define WORKERS_MAX    1000000                /* per load and in total */
#define COUNT_MAX      10000000               /* per load and in total */
#define RATE_MAX       10000000.0             /* arrivals per second, per load */
#define TIME_MAX       (1000 * 3600 * PS_SEC) /* 1000h: duration and every [host]/[load]/[event] time */

#define U63 ((uint64_t)1 << 63)

enum section_kind {
	SEC_NONE,
	SEC_SCENARIO,
	SEC_TRANSPORT,
	SEC_CLIENT,
	SEC_HOST,
	SEC_LOAD,
	SEC_EVENT,
	SEC_COUNT
};

static const char *const section_words[SEC_COUNT] = {
    "", "scenario", "transport", "client", "host", "load", "event",
};

enum { SK_NAME, SK_DURATION, SK_SEED, SK_BASE, SK_GO, SK_N };
static const char *const scenario_keys[] = {"name", "duration", "seed", "base", "go"};

enum {
	TK_MaxIdleConns,
	TK_MaxIdleConnsPerHost,
	TK_MaxConnsPerHost,
	TK_IdleConnTimeout,
	TK_DisableKeepAlives,
	TK_TLSHandshakeTimeout,
	TK_ResponseHeaderTimeout,
	TK_DialTimeout,
	TK_N
};
static const char *const transport_keys[] = {
    "MaxIdleConns",      "MaxIdleConnsPerHost", "MaxConnsPerHost",       "IdleConnTimeout",
    "DisableKeepAlives", "TLSHandshakeTimeout", "ResponseHeaderTimeout", "DialTimeout",
};

enum { CK_Timeout, CK_N };
static const char *const client_keys[] = {"Timeout"};

enum { HK_TLS, HK_DIAL, HK_TLS_LAT, HK_SERVICE, HK_IDLE, HK_MAXREQ, HK_N };
static const char *const host_keys[] = {
    "tls",          "dial_latency",        "tls_latency",
    "service_time", "server_idle_timeout", "server_max_requests",
};

enum {
	LK_HOST,
	LK_WORKERS,
	LK_THINK,
	LK_REQUESTS,
	LK_RATE,
	LK_ARRIVAL,
	LK_COUNT,
	LK_START,
	LK_STOP,
	LK_BODY,
	LK_CLIENT,
	LK_N
};
static const char *const load_keys[] = {
    "host",  "workers", "think", "requests", "rate",   "arrival",
    "count", "start",   "stop",  "body",     "client",
};

enum { EK_AT, EK_HOST, EK_ACTION, EK_FOR, EK_N };
static const char *const event_keys[] = {"at", "host", "action", "for"};

#define KEYS_MAX LK_N

struct key_table {
	const char *const *names;
	int n;
};

static const struct key_table key_tables[SEC_COUNT] = {
    {NULL, 0},         {scenario_keys, SK_N}, {transport_keys, TK_N}, {client_keys, CK_N},
    {host_keys, HK_N}, {load_keys, LK_N},     {event_keys, EK_N},
};

/* The line each key of one section instance was given on; 0 = not given. */
struct key_lines {
	int line[KEYS_MAX];
};

/* What a [load] or [event] needs until every [host] has been read. */
struct ref_extra {
	char host[SCENARIO_NAME_MAX];
	struct key_lines keys;
};

/* Open-addressing set of section names; a slot holds index + 1 (0 = empty). */
struct name_index {
	uint32_t *slot;
	uint32_t cap; /* power of two, kept at least twice the entries */
};

/*
 * The whole state of one parse. `pos`/`end` walk the text; `line` is the line
 * the reader handed inih last, so the handler always reports the right one.
 */
struct reader {
	struct scenario *sc;
	struct scenario_error *err;
	const char *path; /* for warnings; NULL for --set */
	const char *pos, *end;
	int line;
	bool failed;

	enum section_kind cur;
	uint32_t cur_index;
	int singleton_line[SEC_COUNT]; /* header line of [scenario] / [transport] / [client] */
	struct key_lines singleton_keys[SEC_COUNT];

	struct transport_config *transport; /* where [transport] values go */
	struct transport_config transport_given;

	struct key_lines *host_keys;
	struct ref_extra *load_extra;
	struct ref_extra *event_extra;
	uint32_t host_cap, load_cap, event_cap;
	struct name_index host_names, load_names, event_names;
};

/* ---------------------------------------------------------------- errors */

__attribute__((format(printf, 3, 4))) static bool fail(struct reader *r, int line, const char *fmt,
                                                       ...)
{
	if (r->failed)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
	va_end(ap);
	r->err->line = line;
	r->failed = true;
	return false;
}

/* warn appends one line, "FILE:LINE: msg\n"; a line that does not fit is dropped whole. */
__attribute__((format(printf, 2, 3))) static void warn(struct reader *r, const char *fmt, ...)
{
	char msg[SCENARIO_MSG_MAX], line[SCENARIO_MSG_MAX + 300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->path)
		snprintf(line, sizeof line, "%s:%d: %s\n", r->path, r->line, msg);
	else
		snprintf(line, sizeof line, "--set: %s\n", msg);
	char *w = r->sc->warnings;
	size_t used = strlen(w), add = strlen(line);
	if (used + add < sizeof r->sc->warnings)
		memcpy(w + used, line, add + 1);
}

/* ------------------------------------------------------------ suggestions */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* edit_distance: Levenshtein, ignoring ASCII case; long inputs are "far". */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 1000;
	int row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
			int best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* close_enough: a typo, not a different word: at most 2 edits, or a third of the word. */
static bool close_enough(int dist, const char *candidate)
{
	int len = (int)strlen(candidate);
	return dist <= 2 || dist * 3 <= len;
}

/* nearest: index of the closest of names[0..n) to word, or -1 when none is close. */
static int nearest(const char *word, const char *const *names, int n)
{
	int best = -1, best_dist = 1000;
	for (int i = 0; i < n; i++) {
		if (!names[i][0])
			continue;
		int d = edit_distance(word, names[i]);
		if (d < best_dist && close_enough(d, names[i])) {
			best = i;
			best_dist = d;
		}
	}
	return best;
}

static void section_label(const struct reader *r, enum section_kind kind, uint32_t index, char *buf,
                          size_t size)
{
	const char *name = "";
	if (kind == SEC_HOST)
		name = r->sc->hosts[index].name;
	else if (kind == SEC_LOAD)
		name = r->sc->loads[index].name;
	else if (kind == SEC_EVENT)
		name = r->sc->events[index].name;
	snprintf(buf, size, "[%s%s%s]", section_words[kind], name[0] ? " " : "", name);
}

static void join_keys(enum section_kind kind, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < key_tables[kind].n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
		                         key_tables[kind].names[i]);
}

static int key_lookup(enum section_kind kind, const char *name)
{
	for (int i = 0; i < key_tables[kind].n; i++)
		if (strcmp(key_tables[kind].names[i], name) == 0)
			return i;
	return -1;
}

/* owning_section: the other section that has this key (exactly, or but for case). */
static enum section_kind owning_section(enum section_kind not_this, const char *name)
{
	for (int kind = SEC_SCENARIO; kind < SEC_COUNT; kind++) {
		if (kind == (int)not_this)
			continue;
		for (int i = 0; i < key_tables[kind].n; i++)
			if (edit_distance(name, key_tables[kind].names[i]) == 0)
				return (enum section_kind)kind;
	}
	return SEC_NONE;
}

static bool unknown_key(struct reader *r, const char *name)
{
	char label[SCENARIO_NAME_MAX + 16], keys[300];
	section_label(r, r->cur, r->cur_index, label, sizeof label);
	int near = nearest(name, key_tables[r->cur].names, key_tables[r->cur].n);
	if (near >= 0)
		return fail(r, r->line, "unknown key '%s' in %s; did you mean '%s'?", name, label,
		            key_tables[r->cur].names[near]);
	enum section_kind owner = owning_section(r->cur, name);
	if (owner == SEC_HOST || owner == SEC_LOAD || owner == SEC_EVENT)
		return fail(r, r->line, "unknown key '%s' in %s; it belongs in a [%s NAME] section",
		            name, label, section_words[owner]);
	if (owner != SEC_NONE)
		return fail(r, r->line, "unknown key '%s' in %s; it belongs in [%s]", name, label,
		            section_words[owner]);
	join_keys(r->cur, keys, sizeof keys);
	return fail(r, r->line, "unknown key '%s' in %s; known keys: %s", name, label, keys);
}

/* ------------------------------------------------------------ name index */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Every spec struct starts with its name, so one stride serves hosts, loads and events. */
static const char *name_at(const void *base, size_t stride, uint32_t i)
{
	return (const char *)base + (size_t)i * stride;
}

/* index_find: the index of `name`, or PS_NONE. */
static uint32_t index_find(const struct name_index *ix, const void *base, size_t stride,
                           const char *name)
{
	if (!ix->cap)
		return PS_NONE;
	for (uint32_t s = name_hash(name) & (ix->cap - 1);; s = (s + 1) & (ix->cap - 1)) {
		if (!ix->slot[s])
			return PS_NONE;
		if (strcmp(name_at(base, stride, ix->slot[s] - 1), name) == 0)
			return ix->slot[s] - 1;
	}
}

static void index_put(struct name_index *ix, const void *base, size_t stride, uint32_t i)
{
	uint32_t s = name_hash(name_at(base, stride, i)) & (ix->cap - 1);
	while (ix->slot[s])
		s = (s + 1) & (ix->cap - 1);
	ix->slot[s] = i + 1;
}

/* index_add: record entry i (0..i-1 are already in); false on out of memory. */
static bool index_add(struct name_index *ix, const void *base, size_t stride, uint32_t i)
{
	if ((i + 1) * 2 > ix->cap) {
		uint32_t cap = ix->cap ? ix->cap * 2 : 64;
		uint32_t *slot = calloc(cap, sizeof *slot);
		if (!slot)
			return false;
		free(ix->slot);
		ix->slot = slot;
		ix->cap = cap;
		for (uint32_t j = 0; j < i; j++)
			index_put(ix, base, stride, j);
	}
	index_put(ix, base, stride, i);
	return true;
}

/* ------------------------------------------------------------- durations */

enum dur_err { DUR_OK, DUR_INVALID, DUR_NO_UNIT, DUR_BAD_UNIT, DUR_RANGE };

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static uint64_t unit_value(const char *u, size_t n)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
	    {"ns", 1},       {"us", 1000},      {"\xc2\xb5s", 1000},   {"\xce\xbcs", 1000},
	    {"ms", 1000000}, {"s", 1000000000}, {"m", 60000000000ull}, {"h", 3600000000000ull},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return units[i].ns;
	return 0;
}

/* leading_fraction: Go's leadingFraction: stops gaining precision instead of overflowing. */
static size_t leading_fraction(const char *s, size_t n, uint64_t *f, double *scale)
{
	size_t i = 0;
	bool overflow = false;
	*f = 0;
	*scale = 1;
	for (; i < n && is_digit(s[i]); i++) {
		if (overflow)
			continue;
		if (*f > (U63 - 1) / 10) {
			overflow = true;
			continue;
		}
		uint64_t y = *f * 10 + (uint64_t)(s[i] - '0');
		if (y > U63) {
			overflow = true;
			continue;
		}
		*f = y;
		*scale *= 10;
	}
	return i;
}

/* duration_component: one "[0-9]*(.[0-9]*)?unit" of Go's ParseDuration, added to *d. */
static enum dur_err duration_component(const char *s, size_t n, size_t *pos, uint64_t *d,
                                       size_t *unit_at, size_t *unit_len)
{
	size_t i = *pos;
	uint64_t v = 0, f = 0;
	double scale = 1;
	if (!(s[i] == '.' || is_digit(s[i])))
		return DUR_INVALID;
	size_t pl = i;
	for (; i < n && is_digit(s[i]); i++) {
		if (v > U63 / 10)
			return DUR_RANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > U63)
			return DUR_RANGE;
	}
	bool pre = i != pl, post = false;
	if (i < n && s[i] == '.') {
		i++;
		size_t used = leading_fraction(s + i, n - i, &f, &scale);
		post = used != 0;
		i += used;
	}
	if (!pre && !post)
		return DUR_INVALID;
	size_t us = i;
	while (i < n && s[i] != '.' && !is_digit(s[i]))
		i++;
	*unit_at = us;
	*unit_len = i - us;
	if (i == us)
		return DUR_NO_UNIT;
	uint64_t unit = unit_value(s + us, i - us);
	if (!unit)
		return DUR_BAD_UNIT;
	if (v > U63 / unit)
		return DUR_RANGE;
	v *= unit;
	if (f > 0) {
		/* f < scale, so this is below one unit and cannot overflow the cast. */
		v += (uint64_t)((double)f * ((double)unit / scale));
		if (v > U63)
			return DUR_RANGE;
	}
	if (v > U63 - *d)
		return DUR_RANGE;
	*d += v;
	*pos = i;
	return DUR_OK;
}

/* duration_scan: Go 1.19's time.ParseDuration over s[0..n), with the reason it refused. */
static enum dur_err duration_scan(const char *s, size_t n, ps_time *out, size_t *unit_at,
                                  size_t *unit_len)
{
	size_t i = 0;
	bool neg = false;
	uint64_t d = 0;
	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (n - i == 1 && s[i] == '0') {
		*out = 0;
		return DUR_OK;
	}
	if (i == n)
		return DUR_INVALID;
	while (i < n) {
		enum dur_err e = duration_component(s, n, &i, &d, unit_at, unit_len);
		if (e != DUR_OK)
			return e;
	}
	if (neg)
		*out = d == U63 ? INT64_MIN : -(int64_t)d;
	else if (d > (uint64_t)INT64_MAX)
		return DUR_RANGE;
	else
		*out = (int64_t)d;
	return DUR_OK;
}

int parse_duration(const char *text, ps_time *out)
{
	size_t ua, ul;
	ps_time v;
	if (!text || duration_scan(text, strlen(text), &v, &ua, &ul) != DUR_OK)
		return -1;
	*out = v;
	return 0;
}

/* fmt_frac: Go's fmtFrac: writes ".ddd" (trailing zeros dropped) before w, returns v / 10^prec. */
static uint64_t fmt_frac(char *buf, int *w, uint64_t v, int prec)
{
	bool print = false;
	for (int i = 0; i < prec; i++) {
		uint64_t digit = v % 10;
		print = print || digit != 0;
		if (print)
			buf[--*w] = (char)('0' + digit);
		v /= 10;
	}
	if (print)
		buf[--*w] = '.';
	return v;
}

static void fmt_int(char *buf, int *w, uint64_t v)
{
	if (v == 0) {
		buf[--*w] = '0';
		return;
	}
	for (; v > 0; v /= 10)
		buf[--*w] = (char)('0' + v % 10);
}

char *format_duration(ps_time d, char *buf, size_t size)
{
	char tmp[40];
	int w = (int)sizeof tmp - 1;
	tmp[w] = '\0';
	uint64_t u = d < 0 ? -(uint64_t)d : (uint64_t)d;
	if (u == 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	if (u < (uint64_t)PS_SEC) {
		int prec;
		tmp[--w] = 's';
		if (u < (uint64_t)PS_US) {
			prec = 0;
			tmp[--w] = 'n';
		} else if (u < (uint64_t)PS_MS) {
			prec = 3;
			tmp[--w] = '\xb5'; /* U+00B5 'µ', as Go prints it */
			tmp[--w] = '\xc2';
		} else {
			prec = 6;
			tmp[--w] = 'm';
		}
		u = fmt_frac(tmp, &w, u, prec);
		fmt_int(tmp, &w, u);
	} else {
		tmp[--w] = 's';
		u = fmt_frac(tmp, &w, u, 9);
		fmt_int(tmp, &w, u % 60);
		u /= 60;
		if (u > 0) {
			tmp[--w] = 'm';
			fmt_int(tmp, &w, u % 60);
			u /= 60;
			if (u > 0) {
				tmp[--w] = 'h';
				fmt_int(tmp, &w, u);
			}
		}
	}
	if (d < 0)
		tmp[--w] = '-';
	snprintf(buf, size, "%s", tmp + w);
	return buf;
}

/* ---------------------------------------------------------- value parsers */

static bool get_duration(struct reader *r, const char *key, const char *value, ps_time *out)
{
	size_t ua = 0, ul = 0;
	switch (duration_scan(value, strlen(value), out, &ua, &ul)) {
	case DUR_OK:
		return true;
	case DUR_NO_UNIT:
		return fail(r, r->line,
		            "bad duration '%s' for %s: missing unit (ns, us, ms, s, m, h)", value,
		            key);
	case DUR_BAD_UNIT:
		return fail(r, r->line,
		            "bad duration '%s' for %s: unknown unit '%.*s' (ns, us, ms, s, m, h)",
		            value, key, (int)ul, value + ua);
	case DUR_RANGE:
		return fail(r, r->line, "duration '%s' for %s is out of range", value, key);
	default:
		return fail(r, r->line,
		            "bad duration '%s' for %s (Go syntax, e.g. 250ms, 1.5s, 2m30s)", value,
		            key);
	}
}

/* get_time: a duration from 0 to 1000h ([host], [load], [event] and [scenario] times). */
static bool get_time(struct reader *r, const char *key, const char *value, ps_time *out)
{
	if (!get_duration(r, key, value, out))
		return false;
	if (*out < 0)
		return fail(r, r->line, "%s must not be negative (got %s)", key, value);
	if (*out > TIME_MAX)
		return fail(r, r->line, "%s = %s is above the limit of 1000h", key, value);
	return true;
}

static bool get_int(struct reader *r, const char *key, const char *value, int64_t min, int64_t max,
                    int64_t *out)
{
	const char *s = value;
	bool neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return fail(r, r->line, "bad number '%s' for %s (a whole number)", value, key);
	uint64_t v = 0;
	for (; *s; s++) {
		if (!is_digit(*s))
			return fail(r, r->line, "bad number '%s' for %s (a whole number)", value,
			            key);
		if (v > (U63 - (uint64_t)(*s - '0')) / 10)
			return fail(r, r->line, "number '%s' for %s is out of range", value, key);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!neg && v == U63)
		return fail(r, r->line, "number '%s' for %s is out of range", value, key);
	int64_t x = neg ? (v == U63 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	if (x < min && min == 0)
		return fail(r, r->line, "%s must not be negative (got %s)", key, value);
	if (x < min)
		return fail(r, r->line, "%s must be at least %lld (got %s)", key, (long long)min,
		            value);
	if (x > max)
		return fail(r, r->line, "%s = %s is above the limit of %lld", key, value,
		            (long long)max);
	*out = x;
	return true;
}

static bool get_bool(struct reader *r, const char *key, const char *value, bool *out)
{
	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		*out = value[0] == 't';
		return true;
	}
	return fail(r, r->line, "bad boolean '%s' for %s (use true or false)", value, key);
}

/* get_choice: the index of value in choices[0..n), or -1 after failing with the list. */
static int get_choice(struct reader *r, const char *key, const char *value,
                      const char *const *choices, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(value, choices[i]) == 0)
			return i;
	char list[200];
	size_t used = 0;
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
		                         i == 0       ? ""
		                         : i == n - 1 ? " or "
		                                      : ", ",
		                         choices[i]);
	fail(r, r->line, "bad value '%s' for %s (use %s)", value, key, list);
	return -1;
}

/* decimal: "12", "0.5", ".5", "12." in any locale; false if s[0..n) is anything else. */
static bool decimal(const char *s, size_t n, double *out)
{
	double v = 0, scale = 1;
	bool digits = false, dot = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && !dot) {
			dot = true;
		} else if (is_digit(s[i])) {
			digits = true;
			if (dot)
				v += (s[i] - '0') / (scale *= 10);
			else
				v = v * 10 + (s[i] - '0');
		} else {
			return false;
		}
	}
	*out = v;
	return digits && isfinite(v);
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* get_rate: "200/s", "5/ms", "30/m", "2/h" or a bare "200" (per second), as arrivals per second. */
static bool get_rate(struct reader *r, const char *value, double *out)
{
	const char *slash = strchr(value, '/');
	const char *num = value, *unit = slash ? slash + 1 : "s";
	size_t nn = slash ? (size_t)(slash - value) : strlen(value), un = strlen(unit);
	trim(&num, &nn);
	trim(&unit, &un);
	double v, per;
	if (un == 1 && *unit == 's')
		per = 1;
	else if (un == 2 && memcmp(unit, "ms", 2) == 0)
		per = 1e-3;
	else if (un == 1 && *unit == 'm')
		per = 60;
	else if (un == 1 && *unit == 'h')
		per = 3600;
	else
		per = 0;
	if (per == 0 || !decimal(num, nn, &v))
		return fail(r, r->line, "bad rate '%s' (use N/s, N/ms or N/m, e.g. 200/s)", value);
	*out = v / per;
	if (*out <= 0)
		return fail(r, r->line, "rate must be greater than 0 (got %s)", value);
	if (*out > RATE_MAX)
		return fail(r, r->line, "rate = %s is above the limit of 10000000/s", value);
	return true;
}

/* get_dist: "10ms", "exp:10ms" or "uniform:5ms..15ms". */
static bool get_dist(struct reader *r, const char *key, const char *value, struct dist *out)
{
	char part[SCENARIO_MSG_MAX];
	if (strncmp(value, "exp:", 4) == 0) {
		snprintf(part, sizeof part, "%s", value + 4);
		out->kind = DIST_EXP;
		out->hi = 0;
		return get_time(r, key, part, &out->lo);
	}
	if (strncmp(value, "uniform:", 8) != 0) {
		out->kind = DIST_CONST;
		out->hi = 0;
		if (strchr(value, ':'))
			return fail(r, r->line,
			            "bad %s '%s' (use 10ms, exp:10ms or uniform:5ms..15ms)", key,
			            value);
		return get_time(r, key, value, &out->lo);
	}
	const char *lo = value + 8, *dots = strstr(lo, "..");
	if (!dots)
		return fail(r, r->line,
		            "bad %s '%s' (use uniform:LOW..HIGH, e.g. uniform:5ms..15ms)", key,
		            value);
	size_t ln = (size_t)(dots - lo), hn = strlen(dots + 2);
	const char *hi = dots + 2;
	trim(&lo, &ln);
	trim(&hi, &hn);
	out->kind = DIST_UNIFORM;
	snprintf(part, sizeof part, "%.*s", (int)ln, lo);
	if (!get_time(r, key, part, &out->lo))
		return false;
	snprintf(part, sizeof part, "%.*s", (int)hn, hi);
	if (!get_time(r, key, part, &out->hi))
		return false;
	if (out->lo > out->hi)
		return fail(r, r->line, "%s '%s': the low end is above the high end", key, value);
	return true;
}

static bool valid_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
		      c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* get_host_ref: the `host =` of a [load]/[event], resolved once every [host] is read. */
static bool get_host_ref(struct reader *r, const char *value, char *out)
{
	size_t n = strlen(value);
	if (!valid_name(value, n))
		return fail(r, r->line, "host '%s' is not a host name ([A-Za-z0-9_.-]+)", value);
	if (n >= SCENARIO_NAME_MAX)
		return fail(r, r->line, "host name is longer than %d characters",
		            SCENARIO_NAME_MAX - 1);
	memcpy(out, value, n + 1);
	return true;
}

/* -------------------------------------------------------------- sections */

static bool set_scenario_key(struct reader *r, int key, const char *value)
{
	static const char *const bases[] = {"default", "zero"};
	static const char *const gos[] = {"1.19", "current"};
	struct scenario *sc = r->sc;
	int choice;
	int64_t seed;
	switch (key) {
	case SK_NAME:
		snprintf(sc->title, sizeof sc->title, "%s", value);
		return true;
	case SK_DURATION:
		if (!get_time(r, "duration", value, &sc->duration))
			return false;
		return sc->duration > 0 || fail(r, r->line, "duration must be greater than 0");
	case SK_SEED:
		if (value[0] == '-')
			return fail(r, r->line, "seed must not be negative (got %s)", value);
		/* get_int covers 0..2^63-1; a seed beyond that is rare enough to refuse. */
		if (!get_int(r, "seed", value, 0, INT64_MAX, &seed))
			return false;
		sc->seed = (uint64_t)seed;
		return true;
	case SK_BASE:
		choice = get_choice(r, "base", value, bases, 2);
		sc->base_zero = choice == 1;
		return choice >= 0;
	case SK_GO:
		choice = get_choice(r, "go", value, gos, 2);
		sc->go = choice == 1 ? GO_CURRENT : GO_1_19;
		return choice >= 0;
	}
	return false;
}

/* warn_negative_duration: what a negative Transport time means in Go (go-transport-pool.md §1). */
static void warn_negative_duration(struct reader *r, int key, const char *value)
{
	if (key == TK_TLSHandshakeTimeout)
		warn(r, "TLSHandshakeTimeout = %s fails every TLS handshake at once", value);
	else if (key == TK_DialTimeout)
		warn(r,
		     "DialTimeout = %s fails every dial at once (net.Dialer uses a negative "
		     "timeout as is)",
		     value);
	else
		warn(r, "%s = %s means no limit, like 0", transport_keys[key], value);
}

static bool set_transport_key(struct reader *r, int key, const char *value)
{
	struct transport_config *t = r->transport;
	const char *name = transport_keys[key];
	int64_t *ints[] = {&t->MaxIdleConns, &t->MaxIdleConnsPerHost, &t->MaxConnsPerHost};
	ps_time *times[] = {NULL,
	                    NULL,
	                    NULL,
	                    &t->IdleConnTimeout,
	                    NULL,
	                    &t->TLSHandshakeTimeout,
	                    &t->ResponseHeaderTimeout,
	                    &t->DialTimeout};
	if (key == TK_DisableKeepAlives)
		return get_bool(r, name, value, &t->DisableKeepAlives);
	if (key <= TK_MaxConnsPerHost) {
		if (!get_int(r, name, value, INT64_MIN, INT64_MAX, ints[key]))
			return false;
		if (*ints[key] < 0 && key == TK_MaxConnsPerHost)
			warn(r, "MaxConnsPerHost = %s means no limit, like 0", value);
		else if (*ints[key] < 0)
			warn(r, "%s = %s keeps no connection idle (pooling off)", name, value);
		return true;
	}
	if (!get_duration(r, name, value, times[key]))
		return false;
	if (*times[key] < 0)
		warn_negative_duration(r, key, value);
	return true;
}

static bool set_client_key(struct reader *r, int key, const char *value)
{
	if (!get_duration(r, "Timeout", value, &r->sc->client_timeout))
		return false;
	return r->sc->client_timeout >= 0 ||
	       fail(r, r->line, "Timeout must not be negative (got %s)", value);
}

static bool set_host_key(struct reader *r, int key, const char *value)
{
	struct host_spec *h = &r->sc->hosts[r->cur_index];
	const char *name = host_keys[key];
	switch (key) {
	case HK_TLS:
		return get_bool(r, name, value, &h->tls);
	case HK_DIAL:
		return get_time(r, name, value, &h->dial_latency);
	case HK_TLS_LAT:
		return get_time(r, name, value, &h->tls_latency);
	case HK_SERVICE:
		return get_dist(r, name, value, &h->service_time);
	case HK_IDLE:
		return get_time(r, name, value, &h->server_idle_timeout);
	case HK_MAXREQ:
		return get_int(r, name, value, 0, INT64_MAX, &h->server_max_requests);
	}
	return false;
}

static bool set_load_key(struct reader *r, int key, const char *value)
{
	static const char *const arrivals[] = {"poisson", "uniform"};
	static const char *const bodies[] = {"close", "early_close", "leak"};
	static const char *const clients[] = {"shared", "new_per_request"};
	struct load_spec *l = &r->sc->loads[r->cur_index];
	const char *name = load_keys[key];
	int choice;
	switch (key) {
	case LK_HOST:
		return get_host_ref(r, value, r->load_extra[r->cur_index].host);
	case LK_WORKERS:
		return get_int(r, name, value, 1, WORKERS_MAX, &l->workers);
	case LK_THINK:
		return get_time(r, name, value, &l->think);
	case LK_REQUESTS:
		return get_int(r, name, value, 0, INT64_MAX, &l->requests);
	case LK_RATE:
		return get_rate(r, value, &l->rate);
	case LK_ARRIVAL:
		choice = get_choice(r, name, value, arrivals, 2);
		l->arrival = choice == 1 ? ARRIVAL_UNIFORM : ARRIVAL_POISSON;
		return choice >= 0;
	case LK_COUNT:
		return get_int(r, name, value, 1, COUNT_MAX, &l->count);
	case LK_START:
		return get_time(r, name, value, &l->start);
	case LK_STOP:
		return get_time(r, name, value, &l->stop);
	case LK_BODY:
		choice = get_choice(r, name, value, bodies, 3);
		l->body = choice == 2 ? BODY_LEAK : choice == 1 ? BODY_EARLY_CLOSE : BODY_CLOSE;
		return choice >= 0;
	case LK_CLIENT:
		choice = get_choice(r, name, value, clients, 2);
		l->new_client_per_request = choice == 1;
		return choice >= 0;
	}
	return false;
}

static bool set_event_key(struct reader *r, int key, const char *value)
{
	static const char *const actions[] = {"close_idle", "restart", "down"};
	struct event_spec *e = &r->sc->events[r->cur_index];
	int choice;
	switch (key) {
	case EK_AT:
		return get_time(r, "at", value, &e->at);
	case EK_HOST:
		return get_host_ref(r, value, r->event_extra[r->cur_index].host);
	case EK_ACTION:
		choice = get_choice(r, "action", value, actions, 3);
		e->action = choice == 2   ? ACTION_DOWN
		            : choice == 1 ? ACTION_RESTART
		                          : ACTION_CLOSE_IDLE;
		return choice >= 0;
	case EK_FOR:
		if (!get_time(r, "for", value, &e->down_for))
			return false;
		return e->down_for > 0 || fail(r, r->line, "for must be greater than 0");
	}
	return false;
}

static struct key_lines *current_keys(struct reader *r)
{
	switch (r->cur) {
	case SEC_HOST:
		return &r->host_keys[r->cur_index];
	case SEC_LOAD:
		return &r->load_extra[r->cur_index].keys;
	case SEC_EVENT:
		return &r->event_extra[r->cur_index].keys;
	default:
		return &r->singleton_keys[r->cur];
	}
}

/* on_key: inih's handler. inih's own section name is ignored (see the file comment). */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	if (r->failed)
		return 1;
	if (r->cur == SEC_NONE) {
		enum section_kind owner = owning_section(SEC_NONE, name);
		if (owner != SEC_NONE)
			fail(r, r->line, "key '%s' comes before any section; it belongs in [%s%s]",
			     name, section_words[owner], owner >= SEC_HOST ? " NAME" : "");
		else
			fail(r, r->line, "key '%s' comes before any section", name);
		return 1;
	}
	int key = key_lookup(r->cur, name);
	if (key < 0) {
		unknown_key(r, name);
		return 1;
	}
	struct key_lines *lines = current_keys(r);
	if (lines->line[key]) {
		char label[SCENARIO_NAME_MAX + 16];
		section_label(r, r->cur, r->cur_index, label, sizeof label);
		fail(r, r->line, "'%s' given twice in %s (first on line %d)", name, label,
		     lines->line[key]);
		return 1;
	}
	lines->line[key] = r->line;
	if (!*value) {
		fail(r, r->line, "'%s' has no value", name);
		return 1;
	}
	static bool (*const setters[SEC_COUNT])(struct reader *, int, const char *) = {
	    NULL,         set_scenario_key, set_transport_key, set_client_key,
	    set_host_key, set_load_key,     set_event_key,
	};
	setters[r->cur](r, key, value);
	return 1;
}

/* -------------------------------------------------- end-of-section checks */

/* first_misfit: the earliest key given that a load of this kind does not take, or -1. */
static int first_misfit(const struct key_lines *k, enum load_kind kind)
{
	static const int workers_only[] = {LK_THINK, LK_REQUESTS};
	int best = -1;
	for (int i = 0; i < 2; i++)
		if (kind != LOAD_WORKERS && k->line[workers_only[i]] &&
		    (best < 0 || k->line[workers_only[i]] < k->line[best]))
			best = workers_only[i];
	if (kind != LOAD_RATE && k->line[LK_ARRIVAL] &&
	    (best < 0 || k->line[LK_ARRIVAL] < k->line[best]))
		best = LK_ARRIVAL;
	if (kind == LOAD_COUNT && k->line[LK_STOP] &&
	    (best < 0 || k->line[LK_STOP] < k->line[best]))
		best = LK_STOP;
	return best;
}

static bool end_load(struct reader *r, uint32_t i)
{
	static const char *const kind_names[] = {"workers", "rate", "count"};
	static const int kind_keys[] = {LK_WORKERS, LK_RATE, LK_COUNT};
	struct load_spec *l = &r->sc->loads[i];
	const struct key_lines *k = &r->load_extra[i].keys;
	if (!k->line[LK_HOST])
		return fail(r, l->line, "[load %s] needs 'host'", l->name);
	int first = -1;
	for (int j = 0; j < 3; j++) {
		if (!k->line[kind_keys[j]])
			continue;
		if (first < 0) {
			first = j;
			continue;
		}
		int a = first, b = j;
		if (k->line[kind_keys[a]] > k->line[kind_keys[b]])
			a = j, b = first;
		return fail(r, k->line[kind_keys[b]],
		            "[load %s] has both '%s' (line %d) and '%s'; give exactly one", l->name,
		            kind_names[a], k->line[kind_keys[a]], kind_names[b]);
	}
	if (first < 0)
		return fail(r, l->line, "[load %s] needs one of 'workers', 'rate' or 'count'",
		            l->name);
	l->kind = (enum load_kind)first;
	int bad = first_misfit(k, l->kind);
	if (bad >= 0)
		return fail(r, k->line[bad], "'%s' does not fit a %s load (it goes with %s)",
		            load_keys[bad], kind_names[first],
		            bad == LK_ARRIVAL ? "rate"
		            : bad == LK_STOP  ? "workers or rate"
		                              : "workers");
	return true;
}

static bool end_event(struct reader *r, uint32_t i)
{
	struct event_spec *e = &r->sc->events[i];
	const struct key_lines *k = &r->event_extra[i].keys;
	static const int required[] = {EK_AT, EK_HOST, EK_ACTION};
	for (int j = 0; j < 3; j++)
		if (!k->line[required[j]])
			return fail(r, e->line, "[event %s] needs '%s'", e->name,
			            event_keys[required[j]]);
	if (e->action == ACTION_DOWN && !k->line[EK_FOR])
		return fail(r, e->line, "[event %s] with action = down needs 'for'", e->name);
	if (e->action != ACTION_DOWN && k->line[EK_FOR])
		return fail(r, k->line[EK_FOR], "'for' only goes with action = down");
	return true;
}

static bool end_section(struct reader *r)
{
	if (r->cur == SEC_SCENARIO && !r->singleton_keys[SEC_SCENARIO].line[SK_DURATION])
		return fail(r, r->singleton_line[SEC_SCENARIO], "[scenario] needs 'duration'");
	if (r->cur == SEC_LOAD)
		return end_load(r, r->cur_index);
	if (r->cur == SEC_EVENT)
		return end_event(r, r->cur_index);
	return true;
}

/* ------------------------------------------------------- opening sections */

static void host_defaults(struct host_spec *h)
{
	h->dial_latency = 1 * PS_MS;
	h->tls_latency = 2 * PS_MS;
	h->service_time.kind = DIST_CONST;
	h->service_time.lo = 10 * PS_MS;
}

/* grow: make room for one more element in *arr (and its side array *extra). */
static bool grow(void **arr, size_t size, void **extra, size_t extra_size, uint32_t n,
                 uint32_t *cap)
{
	if (n < *cap)
		return true;
	uint32_t ncap = *cap ? *cap * 2 : 8;
	void *a = realloc(*arr, (size_t)ncap * size);
	if (!a)
		return false;
	*arr = a;
	void *x = realloc(*extra, (size_t)ncap * extra_size);
	if (!x)
		return false;
	*extra = x;
	*cap = ncap;
	return true;
}

/* open_named: a [host NAME], [load NAME] or [event NAME] header. */
static bool open_named(struct reader *r, enum section_kind kind, const char *name, size_t n)
{
	struct scenario *sc = r->sc;
	if (!valid_name(name, n))
		return fail(r, r->line, "[%s %.*s]: the name must match [A-Za-z0-9_.-]+",
		            section_words[kind], (int)n, name);
	if (n >= SCENARIO_NAME_MAX)
		return fail(r, r->line, "[%s] name is longer than %d characters",
		            section_words[kind], SCENARIO_NAME_MAX - 1);
	char key[SCENARIO_NAME_MAX];
	memcpy(key, name, n);
	key[n] = '\0';
	/* name is the first member of each spec, so these three agree in layout. */
	void **arr = kind == SEC_HOST   ? (void **)&sc->hosts
	             : kind == SEC_LOAD ? (void **)&sc->loads
	                                : (void **)&sc->events;
	uint32_t *count = kind == SEC_HOST   ? &sc->n_hosts
	                  : kind == SEC_LOAD ? &sc->n_loads
	                                     : &sc->n_events;
	size_t stride = kind == SEC_HOST   ? sizeof(struct host_spec)
	                : kind == SEC_LOAD ? sizeof(struct load_spec)
	                                   : sizeof(struct event_spec);
	struct name_index *ix = kind == SEC_HOST   ? &r->host_names
	                        : kind == SEC_LOAD ? &r->load_names
	                                           : &r->event_names;
	uint32_t limit = kind == SEC_HOST ? HOSTS_MAX : kind == SEC_LOAD ? LOADS_MAX : EVENTS_MAX;
	uint32_t found = index_find(ix, *arr, stride, key);
	if (found != PS_NONE) {
		int first = kind == SEC_HOST   ? sc->hosts[found].line
		            : kind == SEC_LOAD ? sc->loads[found].line
		                               : sc->events[found].line;
		return fail(r, r->line, "[%s %s] given twice (first on line %d)",
		            section_words[kind], key, first);
	}
	if (*count >= limit)
		return fail(r, r->line, "more than %u [%s] sections", limit, section_words[kind]);
	bool ok = kind == SEC_HOST ? grow(arr, stride, (void **)&r->host_keys, sizeof *r->host_keys,
	                                  *count, &r->host_cap)
	          : kind == SEC_LOAD ? grow(arr, stride, (void **)&r->load_extra,
	                                    sizeof *r->load_extra, *count, &r->load_cap)
	                             : grow(arr, stride, (void **)&r->event_extra,
	                                    sizeof *r->event_extra, *count, &r->event_cap);
	if (!ok)
		return fail(r, r->line, "out of memory");
	uint32_t i = (*count)++;
	char *spec = (char *)*arr + (size_t)i * stride;
	memset(spec, 0, stride);
	memcpy(spec, key, n + 1);
	if (kind == SEC_HOST) {
		host_defaults(&sc->hosts[i]);
		sc->hosts[i].line = r->line;
		memset(&r->host_keys[i], 0, sizeof r->host_keys[i]);
	} else if (kind == SEC_LOAD) {
		sc->loads[i].line = r->line;
		sc->loads[i].host = PS_NONE;
		memset(&r->load_extra[i], 0, sizeof r->load_extra[i]);
	} else {
		sc->events[i].line = r->line;
		sc->events[i].host = PS_NONE;
		memset(&r->event_extra[i], 0, sizeof r->event_extra[i]);
	}
	if (!index_add(ix, *arr, stride, i))
		return fail(r, r->line, "out of memory");
	r->cur = kind;
	r->cur_index = i;
	return true;
}

static bool unknown_section(struct reader *r, const char *in, size_t inn, size_t wn,
                            const char *name, size_t nn)
{
	char w[64];
	snprintf(w, sizeof w, "%.*s", (int)(wn < 63 ? wn : 63), in);
	int near = nearest(w, section_words, SEC_COUNT);
	if (near < 0)
		return fail(r, r->line,
		            "unknown section [%.*s]; sections are [scenario], [transport], "
		            "[client], [host NAME], "
		            "[load NAME], [event NAME]",
		            (int)(inn < 80 ? inn : 80), in);
	if (near >= SEC_HOST)
		return fail(r, r->line, "unknown section [%.*s]; did you mean [%s %.*s]?",
		            (int)(inn < 80 ? inn : 80), in, section_words[near],
		            nn ? (int)(nn < 64 ? nn : 64) : 4, nn ? name : "NAME");
	return fail(r, r->line, "unknown section [%.*s]; did you mean [%s]?",
	            (int)(inn < 80 ? inn : 80), in, section_words[near]);
}

/* open_section: the reader found "[...]" at s[0..n) (comments and blanks already gone). */
static bool open_section(struct reader *r, const char *s, size_t n)
{
	if (!end_section(r))
		return false;
	if (s[n - 1] != ']') {
		const char *close = memchr(s, ']', n);
		if (close)
			return fail(r, r->line, "text after ']' in a section header");
		return fail(r, r->line, "section header has no closing ']'");
	}
	const char *in = s + 1;
	size_t inn = n - 2;
	trim(&in, &inn);
	if (!inn)
		return fail(r, r->line, "empty section header []");
	size_t wn = 0;
	while (wn < inn && in[wn] != ' ' && in[wn] != '\t')
		wn++;
	const char *name = in + wn;
	size_t nn = inn - wn;
	trim(&name, &nn);
	int kind = SEC_NONE;
	for (int k = SEC_SCENARIO; k < SEC_COUNT; k++)
		if (strlen(section_words[k]) == wn && memcmp(section_words[k], in, wn) == 0)
			kind = k;
	if (kind == SEC_NONE)
		return unknown_section(r, in, inn, wn, name, nn);
	if (kind >= SEC_HOST) {
		if (!nn)
			return fail(r, r->line, "[%s] needs a name, like [%s %s]",
			            section_words[kind], section_words[kind],
			            kind == SEC_HOST   ? "api"
			            : kind == SEC_LOAD ? "workers"
			                               : "restart");
		return open_named(r, (enum section_kind)kind, name, nn);
	}
	if (nn)
		return fail(r, r->line, "[%s] takes no name (got '%.*s')", section_words[kind],
		            (int)(nn < 64 ? nn : 64), name);
	if (r->singleton_line[kind])
		return fail(r, r->line, "[%s] given twice (first on line %d)", section_words[kind],
		            r->singleton_line[kind]);
	r->singleton_line[kind] = r->line;
	r->cur = (enum section_kind)kind;
	r->cur_index = 0;
	return true;
}

/* ------------------------------------------------------------ the reader */

/* utf8_length: bytes of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t min, cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* check_text: a line is UTF-8 text: no NUL, no control byte but tab. */
static bool check_text(struct reader *r, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		if (u[i] == 0)
			return fail(r, r->line, "NUL byte in the file (not a text file?)");
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return fail(r, r->line,
			            "control byte 0x%02x in the file (not a text file?)", u[i]);
		size_t len = utf8_length(u + i, n - i);
		if (!len)
			return fail(r, r->line, "invalid UTF-8 (byte 0x%02x; not a text file?)",
			            u[i]);
		i += len;
	}
	return true;
}

/* strip_comment: the line without its comment: `#` or `;` at the start or after a blank. */
static size_t strip_comment(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] == '#' || s[i] == ';') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
			return i;
	return n;
}

/* key_line: hand inih "key=value" in buf; false (after failing) if it is no such line or too long.
 */
static bool key_line(struct reader *r, const char *s, size_t n, char *buf, int num)
{
	const char *eq = memchr(s, '=', n);
	const char *colon = memchr(s, ':', n);
	if (colon && (!eq || colon < eq))
		return fail(r, r->line, "use '=' between key and value");
	if (!eq)
		return fail(r, r->line, "expected 'KEY = VALUE' or a [section] header, got '%.*s'",
		            (int)(n < 60 ? n : 60), s);
	const char *k = s, *v = eq + 1;
	size_t kn = (size_t)(eq - s), vn = n - kn - 1;
	trim(&k, &kn);
	trim(&v, &vn);
	if (!kn)
		return fail(r, r->line, "missing key before '='");
	if (kn + vn + 2 > (size_t)num)
		return fail(r, r->line, "key and value are longer than %d characters together",
		            num - 2);
	memcpy(buf, k, kn);
	buf[kn] = '=';
	memcpy(buf + kn + 1, v, vn);
	buf[kn + 1 + vn] = '\0';
	return true;
}

/* next_line: inih's ini_reader; one call per line of the file, so r->line stays exact. */
static char *next_line(char *buf, int num, void *stream)
{
	struct reader *r = stream;
	if (r->failed || r->pos >= r->end)
		return NULL;
	const char *s = r->pos;
	const char *nl = memchr(s, '\n', (size_t)(r->end - s));
	size_t n = (size_t)((nl ? nl : r->end) - s);
	r->pos = nl ? nl + 1 : r->end;
	r->line++;
	if (n && s[n - 1] == '\r')
		n--;
	if (n > LINE_MAX_BYTES)
		return fail(r, r->line, "line is longer than %d bytes", LINE_MAX_BYTES), NULL;
	if (r->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, n -= 3;
	if (!check_text(r, s, n))
		return NULL;
	n = strip_comment(s, n);
	trim(&s, &n);
	buf[0] = '\0';
	if (n && s[0] == '[') {
		if (!open_section(r, s, n))
			return NULL;
	} else if (n && !key_line(r, s, n, buf, num)) {
		return NULL;
	}
	return buf;
}

/* ---------------------------------------------------------- whole-file checks */

static bool resolve_host(struct reader *r, const char *what, const char *name, const char *host,
                         int line, uint32_t *out)
{
	struct scenario *sc = r->sc;
	*out = index_find(&r->host_names, sc->hosts, sizeof *sc->hosts, host);
	if (*out != PS_NONE)
		return true;
	int best = -1, best_dist = 1000;
	for (uint32_t i = 0; i < sc->n_hosts && i < 1000; i++) {
		int d = edit_distance(host, sc->hosts[i].name);
		if (d < best_dist && close_enough(d, sc->hosts[i].name))
			best = (int)i, best_dist = d;
	}
	if (best >= 0)
		return fail(
		    r, line,
		    "[%s %s] names host '%s', but there is no [host %s]; did you mean '%s'?", what,
		    name, host, host, sc->hosts[best].name);
	return fail(r, line, "[%s %s] names host '%s', but there is no [host %s]", what, name, host,
	            host);
}

static bool time_within(struct reader *r, const char *what, ps_time t, int line)
{
	if (t <= r->sc->duration)
		return true;
	char a[40], b[40];
	return fail(r, line, "%s %s is after the scenario's duration %s", what,
	            format_duration(t, a, sizeof a), format_duration(r->sc->duration, b, sizeof b));
}

/*
 * A worker that never thinks against a server that answers in no time would
 * send request after request at one instant and the run would never end.
 */
static bool check_worker_makes_progress(struct reader *r, const struct load_spec *l,
                                        const struct key_lines *k)
{
	const struct dist *st = &r->sc->hosts[l->host].service_time;
	bool instant = st->kind == DIST_UNIFORM ? st->hi == 0 : st->lo == 0;
	if (l->kind != LOAD_WORKERS || l->think > 0 || l->requests > 0 || !instant)
		return true;
	return fail(r, k->line[LK_WORKERS],
	            "[load %s] has workers with think = 0 against [host %s] whose service_time is "
	            "0: time would "
	            "never pass; give think or service_time a duration, or set requests",
	            l->name, r->sc->hosts[l->host].name);
}

static bool check_load(struct reader *r, uint32_t i, int64_t *workers, int64_t *count)
{
	struct load_spec *l = &r->sc->loads[i];
	const struct key_lines *k = &r->load_extra[i].keys;
	if (!resolve_host(r, "load", l->name, r->load_extra[i].host, k->line[LK_HOST], &l->host))
		return false;
	if (!time_within(r, "start", l->start, k->line[LK_START]))
		return false;
	if (!check_worker_makes_progress(r, l, k))
		return false;
	if (!k->line[LK_STOP])
		l->stop = r->sc->duration;
	else if (!time_within(r, "stop", l->stop, k->line[LK_STOP]))
		return false;
	if (l->stop < l->start) {
		char a[40], b[40];
		return fail(r, k->line[LK_STOP], "stop %s is before start %s",
		            format_duration(l->stop, a, sizeof a),
		            format_duration(l->start, b, sizeof b));
	}
	*workers += l->workers;
	if (*workers > WORKERS_MAX)
		return fail(r, k->line[LK_WORKERS],
		            "the loads ask for more than %d workers in total", WORKERS_MAX);
	*count += l->count;
	if (*count > COUNT_MAX)
		return fail(r, k->line[LK_COUNT],
		            "the loads ask for more than %d requests by count in total", COUNT_MAX);
	return true;
}

static bool check_event(struct reader *r, uint32_t i)
{
	struct event_spec *e = &r->sc->events[i];
	const struct key_lines *k = &r->event_extra[i].keys;
	if (!resolve_host(r, "event", e->name, r->event_extra[i].host, k->line[EK_HOST], &e->host))
		return false;
	return time_within(r, "at", e->at, k->line[EK_AT]);
}

static void apply_transport(struct reader *r)
{
	struct scenario *sc = r->sc;
	const struct transport_config *g = &r->transport_given;
	const int *given = r->singleton_keys[SEC_TRANSPORT].line;
	struct transport_config t =
	    sc->base_zero ? transport_config_zero() : transport_config_default();
	if (given[TK_MaxIdleConns])
		t.MaxIdleConns = g->MaxIdleConns;
	if (given[TK_MaxIdleConnsPerHost])
		t.MaxIdleConnsPerHost = g->MaxIdleConnsPerHost;
	if (given[TK_MaxConnsPerHost])
		t.MaxConnsPerHost = g->MaxConnsPerHost;
	if (given[TK_IdleConnTimeout])
		t.IdleConnTimeout = g->IdleConnTimeout;
	if (given[TK_DisableKeepAlives])
		t.DisableKeepAlives = g->DisableKeepAlives;
	if (given[TK_TLSHandshakeTimeout])
		t.TLSHandshakeTimeout = g->TLSHandshakeTimeout;
	if (given[TK_ResponseHeaderTimeout])
		t.ResponseHeaderTimeout = g->ResponseHeaderTimeout;
	if (given[TK_DialTimeout])
		t.DialTimeout = g->DialTimeout;
	sc->transport = t;
}

/* default_title: the file name without its directory and a trailing ".ini". */
static void default_title(struct scenario *sc, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base && base[1] ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	snprintf(sc->title, sizeof sc->title, "%.*s", (int)n, base);
}

static bool finish(struct reader *r)
{
	struct scenario *sc = r->sc;
	if (!end_section(r))
		return false;
	if (!r->singleton_line[SEC_SCENARIO])
		return fail(r, 0, "no [scenario] section");
	if (!sc->n_hosts)
		return fail(r, 0, "no [host] section; a scenario needs at least one");
	if (!sc->n_loads)
		return fail(r, 0, "no [load] section; a scenario needs at least one");
	int64_t workers = 0, count = 0;
	for (uint32_t i = 0; i < sc->n_loads; i++)
		if (!check_load(r, i, &workers, &count))
			return false;
	for (uint32_t i = 0; i < sc->n_events; i++)
		if (!check_event(r, i))
			return false;
	apply_transport(r);
	if (!r->singleton_keys[SEC_SCENARIO].line[SK_NAME])
		default_title(sc, r->path);
	return true;
}

static void reader_free(struct reader *r)
{
	free(r->host_keys);
	free(r->load_extra);
	free(r->event_extra);
	free(r->host_names.slot);
	free(r->load_names.slot);
	free(r->event_names.slot);
}

/* parse_text: the one path behind scenario_load and scenario_load_string. */
static int parse_text(const char *text, size_t len, const char *path, struct scenario *out,
                      struct scenario_error *err)
{
	struct reader r;
	memset(&r, 0, sizeof r);
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	r.sc = out;
	r.err = err;
	r.path = path;
	r.pos = text;
	r.end = text + len;
	r.transport = &r.transport_given;
	out->seed = 1;
	out->go = GO_1_19;
	snprintf(out->path, sizeof out->path, "%s", path);
	int rc = ini_parse_stream(next_line, &r, on_key, &r);
	if (!r.failed && rc != 0)
		fail(&r, rc > 0 ? rc : 0, rc > 0 ? "cannot parse this line" : "out of memory");
	if (!r.failed)
		finish(&r);
	reader_free(&r);
	if (r.failed) {
		scenario_free(out);
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- public API */

int scenario_load_string(const char *text, const char *name, struct scenario *out,
                         struct scenario_error *err)
{
	size_t len = strlen(text);
	if (len > FILE_MAX) {
		memset(out, 0, sizeof *out);
		err->line = 0;
		snprintf(err->message, sizeof err->message, "file is larger than 1 MiB");
		return -1;
	}
	return parse_text(text, len, name, out, err);
}

/* read_all: the file into a fresh buffer of at most FILE_MAX bytes; NULL with err filled. */
static char *read_all(const char *path, size_t *len, struct scenario_error *err)
{
	err->line = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err->message, sizeof err->message, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	bool have_stat = fstat(fd, &st) == 0;
	if (have_stat && S_ISDIR(st.st_mode)) {
		snprintf(err->message, sizeof err->message, "cannot read: it is a directory");
	} else if (have_stat && S_ISREG(st.st_mode) && (uint64_t)st.st_size > FILE_MAX) {
		snprintf(err->message, sizeof err->message, "file is larger than 1 MiB");
	} else if (!(buf = malloc(FILE_MAX + 2))) {
		snprintf(err->message, sizeof err->message, "out of memory");
	} else {
		/* Read one byte past the limit, so a growing file or a pipe is caught too. */
		size_t got = 0;
		ssize_t n;
		while (got <= FILE_MAX && (n = read(fd, buf + got, FILE_MAX + 1 - got)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(err->message, sizeof err->message, "cannot read: %s",
				         strerror(errno));
				break;
			}
			got += (size_t)n;
		}
		if (got > FILE_MAX)
			snprintf(err->message, sizeof err->message, "file is larger than 1 MiB");
		if (err->message[0]) {
			free(buf);
			buf = NULL;
		} else {
			buf[got] = '\0';
			*len = got;
		}
	}
	close(fd);
	return buf;
}

int scenario_load(const char *path, struct scenario *out, struct scenario_error *err)
{
	size_t len = 0;
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	char *text = read_all(path, &len, err);
	if (!text)
		return -1;
	int rc = parse_text(text, len, path, out, err);
	free(text);
	return rc;
}

int scenario_set(struct scenario *sc, const char *assignment, struct scenario_error *err)
{
	struct reader r;
	memset(&r, 0, sizeof r);
	memset(err, 0, sizeof *err);
	r.sc = sc;
	r.err = err;
	r.transport = &sc->transport;
	const char *eq = strchr(assignment, '=');
	if (!eq)
		return fail(&r, 0, "--set needs KEY=VALUE, got '%s'", assignment), -1;
	const char *k = assignment, *v = eq + 1;
	size_t kn = (size_t)(eq - assignment), vn = strlen(v);
	trim(&k, &kn);
	trim(&v, &vn);
	char key[64], value[SCENARIO_MSG_MAX / 2];
	if (kn >= sizeof key || vn >= sizeof value)
		return fail(&r, 0, "--set: key or value too long"), -1;
	snprintf(key, sizeof key, "%.*s", (int)kn, k);
	snprintf(value, sizeof value, "%.*s", (int)vn, v);
	const char *bare = key;
	enum section_kind only = SEC_NONE;
	if (strncmp(key, "transport.", 10) == 0)
		bare = key + 10, only = SEC_TRANSPORT;
	else if (strncmp(key, "client.", 7) == 0)
		bare = key + 7, only = SEC_CLIENT;
	int idx = -1;
	if (only != SEC_CLIENT && (idx = key_lookup(SEC_TRANSPORT, bare)) >= 0)
		r.cur = SEC_TRANSPORT;
	else if (only != SEC_TRANSPORT && (idx = key_lookup(SEC_CLIENT, bare)) >= 0)
		r.cur = SEC_CLIENT;
	if (r.cur == SEC_NONE) {
		static const char *const settable[] = {
		    "MaxIdleConns",          "MaxIdleConnsPerHost", "MaxConnsPerHost",
		    "IdleConnTimeout",       "DisableKeepAlives",   "TLSHandshakeTimeout",
		    "ResponseHeaderTimeout", "DialTimeout",         "Timeout",
		};
		int near = nearest(bare, settable, 9);
		if (near >= 0)
			return fail(&r, 0, "unknown key '%s' for --set; did you mean '%s'?", key,
			            settable[near]),
			       -1;
		enum section_kind owner = owning_section(SEC_NONE, bare);
		if (owner != SEC_NONE)
			return fail(&r, 0,
			            "'%s' is a [%s] key; --set changes only [transport] and "
			            "[client] keys",
			            bare, section_words[owner]),
			       -1;
		return fail(&r, 0,
		            "unknown key '%s' for --set ([transport] and [client] keys only)", key),
		       -1;
	}
	if (!vn)
		return fail(&r, 0, "'%s' has no value", bare), -1;
	bool ok = r.cur == SEC_TRANSPORT ? set_transport_key(&r, idx, value)
	                                 : set_client_key(&r, idx, value);
	return ok ? 0 : -1;
}

static ps_time scale_time(ps_time t, double factor)
{
	double v = (double)t * factor;
	if (v >= 9.2e18)
		return PS_TIME_NEVER;
	if (v <= -9.2e18)
		return -PS_TIME_NEVER;
	return (ps_time)llround(v);
}

void scenario_scale(struct scenario *sc, double factor)
{
	if (!(factor > 0) || isinf(factor))
		return;
	struct transport_config *t = &sc->transport;
	ps_time *times[] = {&t->IdleConnTimeout, &t->TLSHandshakeTimeout, &t->ResponseHeaderTimeout,
	                    &t->DialTimeout,     &sc->client_timeout,     &sc->duration};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
		*times[i] = scale_time(*times[i], factor);
	for (uint32_t i = 0; i < sc->n_hosts; i++) {
		struct host_spec *h = &sc->hosts[i];
		h->dial_latency = scale_time(h->dial_latency, factor);
		h->tls_latency = scale_time(h->tls_latency, factor);
		h->service_time.lo = scale_time(h->service_time.lo, factor);
		h->service_time.hi = scale_time(h->service_time.hi, factor);
		h->server_idle_timeout = scale_time(h->server_idle_timeout, factor);
	}
	for (uint32_t i = 0; i < sc->n_loads; i++) {
		struct load_spec *l = &sc->loads[i];
		l->think = scale_time(l->think, factor);
		l->start = scale_time(l->start, factor);
		l->stop = scale_time(l->stop, factor);
		l->rate /= factor;
	}
	for (uint32_t i = 0; i < sc->n_events; i++) {
		sc->events[i].at = scale_time(sc->events[i].at, factor);
		sc->events[i].down_for = scale_time(sc->events[i].down_for, factor);
	}
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->hosts);
	free(sc->loads);
	free(sc->events);
	sc->hosts = NULL;
	sc->loads = NULL;
	sc->events = NULL;
	sc->n_hosts = sc->n_loads = sc->n_events = 0;
}
