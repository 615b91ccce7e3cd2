/*
 * sweep_plan.c: the --vary lists of a sweep (sweep.h). A list item is a value
 * as the scenario would take it, or a range: LOW..HIGHxFACTOR (each value
 * FACTOR times the one before) or LOW..HIGH+STEP. A range's ends are whole
 * numbers or durations (10ms..100ms+10ms); the values are checked by the
 * scenario reader when each point is loaded, not here.
 */
#include "sweep.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int plan_error(char *err, size_t size, const char *fmt,
                                                            ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

static int add_value(struct sweep_vary *v, const char *text, size_t n, char *err, size_t size)
{
	if (v->n == SWEEP_MAX_VALUES)
		return plan_error(err, size, "more than %d values for %s", SWEEP_MAX_VALUES,
		                  v->key);
	if (n == 0)
		return plan_error(err, size, "an empty value in the list for %s", v->key);
	if (n >= SWEEP_VALUE_MAX)
		return plan_error(err, size, "a value longer than %d characters for %s",
		                  SWEEP_VALUE_MAX - 1, v->key);
	memcpy(v->values[v->n], text, n);
	v->values[v->n][n] = '\0';
	v->n++;
	return 0;
}

/* A range end: a whole number (is_time false) or a duration; 0 or -1. */
static int range_number(const char *s, bool *is_time, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!errno && end != s && !*end) {
		*is_time = false;
		*out = v;
		return 0;
	}
	ps_time t;
	if (parse_duration(s, &t) == 0) {
		*is_time = true;
		*out = t;
		return 0;
	}
	return -1;
}

static int add_number(struct sweep_vary *v, bool is_time, int64_t x, char *err, size_t size)
{
	char buf[SWEEP_VALUE_MAX];
	if (is_time)
		format_duration(x, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "%lld", (long long)x);
	return add_value(v, buf, strlen(buf), err, size);
}

/* add_range: "2..256x2" or "10..100+10" (item is NUL-terminated). */
static int add_range(struct sweep_vary *v, char *item, char *dots, char *err, size_t size)
{
	*dots = '\0';
	char *hi = dots + 2, *op = hi + strcspn(hi, "x+");
	if (!*op)
		return plan_error(err, size,
		                  "range '%s..%s' for %s needs a step: LOW..HIGHxFACTOR or "
		                  "LOW..HIGH+STEP (2..256x2, 10..100+10)",
		                  item, hi, v->key);
	char kind = *op;
	*op = '\0';
	bool t_lo, t_hi, t_step = false;
	int64_t lo, top, step;
	if (range_number(item, &t_lo, &lo) || range_number(hi, &t_hi, &top))
		return plan_error(err, size,
		                  "range ends '%s' and '%s' for %s must be whole numbers or "
		                  "durations",
		                  item, hi, v->key);
	if (t_lo != t_hi)
		return plan_error(err, size, "range '%s..%s' for %s mixes a number and a duration",
		                  item, hi, v->key);
	if (kind == 'x' ? range_number(op + 1, &t_step, &step) || t_step
	                : range_number(op + 1, &t_step, &step) || (t_step != t_lo && step != 0))
		return plan_error(err, size, "bad range step '%c%s' for %s", kind, op + 1, v->key);
	if (lo > top)
		return plan_error(err, size, "range %s..%s for %s goes down", item, hi, v->key);
	if (kind == 'x' && (step < 2 || lo <= 0))
		return plan_error(
		    err, size, "range for %s: a factor must be at least 2 and the low end above 0",
		    v->key);
	if (kind == '+' && step <= 0)
		return plan_error(err, size, "range for %s: the step must be above 0", v->key);
	for (int64_t x = lo; x <= top;) {
		if (add_number(v, t_lo, x, err, size))
			return -1;
		if (kind == 'x' ? x > INT64_MAX / step : x > INT64_MAX - step)
			break;
		x = kind == 'x' ? x * step : x + step;
	}
	return 0;
}

int sweep_add_vary(struct sweep_plan *p, const char *arg, char *err, size_t err_size)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return plan_error(err, err_size,
		                  "--vary wants KEY=V1,V2,... or KEY=LOW..HIGHxF, not '%s'", arg);
	if (p->n_vary == SWEEP_MAX_VARY)
		return plan_error(err, err_size, "at most %d --vary keys", SWEEP_MAX_VARY);
	size_t kn = (size_t)(eq - arg);
	struct sweep_vary *v = &p->vary[p->n_vary];
	memset(v, 0, sizeof *v);
	if (kn >= sizeof v->key)
		return plan_error(err, err_size, "--vary key too long");
	memcpy(v->key, arg, kn);
	for (int k = 0; k < p->n_vary; k++)
		if (strcmp(p->vary[k].key, v->key) == 0)
			return plan_error(err, err_size, "--vary %s given twice", v->key);
	v->values = calloc(SWEEP_MAX_VALUES, sizeof *v->values);
	char *list = strdup(eq + 1);
	if (!v->values || !list) {
		free(v->values);
		free(list);
		return plan_error(err, err_size, "out of memory");
	}
	int rc = 0;
	for (char *item = list, *next; rc == 0 && item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		char *dots = strstr(item, "..");
		/* uniform:5ms..15ms is a value, not a range. */
		if (dots && !strchr(item, ':'))
			rc = add_range(v, item, dots, err, err_size);
		else
			rc = add_value(v, item, strlen(item), err, err_size);
	}
	free(list);
	long points = p->n_vary ? p->n_points : 1;
	if (rc == 0 && points * v->n > SWEEP_MAX_POINTS)
		rc =
		    plan_error(err, err_size, "more than %d points in the sweep", SWEEP_MAX_POINTS);
	if (rc) {
		free(v->values);
		v->values = NULL;
		return -1;
	}
	p->n_points = points * v->n;
	p->n_vary++;
	return 0;
}

void sweep_plan_free(struct sweep_plan *p)
{
	for (int k = 0; k < p->n_vary; k++) {
		free(p->vary[k].values);
		p->vary[k].values = NULL;
	}
	p->n_vary = 0;
}

const char *sweep_value(const struct sweep_plan *p, long i, int k)
{
	long div = 1;
	for (int j = p->n_vary - 1; j > k; j--)
		div *= p->vary[j].n;
	return p->vary[k].values[(i / div) % p->vary[k].n];
}

char *sweep_assignment(const struct sweep_plan *p, long i, int k, char *buf, size_t size)
{
	snprintf(buf, size, "%s=%s", p->vary[k].key, sweep_value(p, i, k));
	return buf;
}
