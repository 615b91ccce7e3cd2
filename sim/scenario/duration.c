/*
 * duration.c: the duration syntax of the format: Go's time.ParseDuration
 * (with the reason a text is refused, for the reader's messages) and
 * Duration.String.
 */
#include "reader.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------- durations */

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
enum dur_err duration_scan(const char *s, size_t n, ps_time *out, size_t *unit_at, size_t *unit_len)
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
	uint64_t u = d < 0 ? (uint64_t) - (d + 1) + 1 : (uint64_t)d; /* |INT64_MIN| too */
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
