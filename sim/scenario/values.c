/*
 * values.c: the value parsers of the reader: durations and times, whole
 * numbers, booleans, choices, rates, distributions and host references, each
 * failing with a message that names the key and shows the expected form.
 */
#include "reader.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------- value parsers */

bool get_duration(struct reader *r, const char *key, const char *value, ps_time *out)
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
bool get_time(struct reader *r, const char *key, const char *value, ps_time *out)
{
	if (!get_duration(r, key, value, out))
		return false;
	if (*out < 0)
		return fail(r, r->line, "%s must not be negative (got %s)", key, value);
	if (*out > TIME_MAX)
		return fail(r, r->line, "%s = %s is above the limit of 1000h", key, value);
	return true;
}

bool get_int(struct reader *r, const char *key, const char *value, int64_t min, int64_t max,
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

bool get_bool(struct reader *r, const char *key, const char *value, bool *out)
{
	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		*out = value[0] == 't';
		return true;
	}
	return fail(r, r->line, "bad boolean '%s' for %s (use true or false)", value, key);
}

/* get_choice: the index of value in choices[0..n), or -1 after failing with the list. */
int get_choice(struct reader *r, const char *key, const char *value, const char *const *choices,
               int n)
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

void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* get_rate: "200/s", "5/ms", "30/m", "2/h" or a bare "200" (per second), as arrivals per second. */
bool get_rate(struct reader *r, const char *value, double *out)
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
bool get_dist(struct reader *r, const char *key, const char *value, struct dist *out)
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

bool valid_name(const char *s, size_t n)
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
bool get_host_ref(struct reader *r, const char *value, char *out)
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
