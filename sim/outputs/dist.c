/*
 * dist.c: time distributions (dist.h): exact while small, then the core's
 * log-linear histogram (histogram.h).
 */
#include "dist.h"

#include <stdlib.h>
#include <string.h>

void time_dist_init(struct time_dist *d, int64_t exact_cap)
{
	memset(d, 0, sizeof *d);
	histogram_init(&d->hist, DIST_SUB_BITS);
	d->exact_cap = exact_cap;
}

void time_dist_free(struct time_dist *d)
{
	histogram_free(&d->hist);
	free(d->exact);
	d->exact = NULL;
}

void time_dist_add(struct time_dist *d, ps_time v)
{
	if (d->oom)
		return;
	if (!d->exact &&
	    !(d->exact = malloc((size_t)(d->exact_cap ? d->exact_cap : 1) * sizeof *d->exact))) {
		d->oom = true;
		return;
	}
	int64_t n = d->hist.count;
	if (!histogram_add(&d->hist, v)) {
		time_dist_free(d);
		d->oom = true;
		return;
	}
	if (n < d->exact_cap)
		d->exact[n] = v;
}

static int cmp_time(const void *a, const void *b)
{
	ps_time x = *(const ps_time *)a, y = *(const ps_time *)b;
	return (x > y) - (x < y);
}

static ps_time exact_rank(const struct time_dist *d, int64_t rank)
{
	int64_t n = d->hist.count;
	ps_time *sorted = malloc((size_t)n * sizeof(*sorted));
	if (!sorted)
		return d->hist.max;
	memcpy(sorted, d->exact, (size_t)n * sizeof(*sorted));
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_time);
	ps_time v = sorted[rank - 1];
	free(sorted);
	return v;
}

ps_time time_dist_quantile(const struct time_dist *d, double q)
{
	int64_t n = d->hist.count;
	if (n == 0 || !d->exact)
		return 0;
	if (n > d->exact_cap)
		return histogram_quantile(&d->hist, q);
	int64_t rank = (int64_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return exact_rank(d, rank);
}
