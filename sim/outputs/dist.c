/*
 * dist.c: time distributions (dist.h). The histogram's bucket of v: values
 * below 256 ns exactly, above that 128 linear sub-buckets per power of two.
 */
#include "dist.h"

#include <stdlib.h>
#include <string.h>

static int bucket_index(ps_time v)
{
	if (v < 256)
		return v < 0 ? 0 : (int)v;
	int msb = 63 - __builtin_clzll((unsigned long long)v);
	int e = msb - 7;
	int m = (int)(v >> e);
	return 256 + (e - 1) * 128 + (m - 128);
}

static ps_time bucket_value(int idx)
{
	if (idx < 256)
		return idx;
	int e = (idx - 256) / 128 + 1;
	int m = (idx - 256) % 128 + 128;
	return (ps_time)m << e;
}

void time_dist_init(struct time_dist *d, int64_t exact_cap)
{
	memset(d, 0, sizeof *d);
	d->exact_cap = exact_cap;
}

void time_dist_free(struct time_dist *d)
{
	free(d->hist);
	free(d->exact);
	d->hist = NULL;
	d->exact = NULL;
}

void time_dist_add(struct time_dist *d, ps_time v)
{
	if (!d->hist) {
		d->hist = calloc(DIST_BUCKETS, sizeof *d->hist);
		d->exact = malloc((size_t)(d->exact_cap ? d->exact_cap : 1) * sizeof *d->exact);
		if (!d->hist || !d->exact) {
			time_dist_free(d);
			d->oom = true;
			return;
		}
	}
	if (d->count == 0 || v < d->min)
		d->min = v;
	if (d->count == 0 || v > d->max)
		d->max = v;
	if (d->count < d->exact_cap)
		d->exact[d->count] = v;
	d->count++;
	d->hist[bucket_index(v)]++;
}

static int cmp_time(const void *a, const void *b)
{
	ps_time x = *(const ps_time *)a, y = *(const ps_time *)b;
	return (x > y) - (x < y);
}

static ps_time exact_rank(const struct time_dist *d, int64_t rank)
{
	ps_time *sorted = malloc((size_t)d->count * sizeof(*sorted));
	if (!sorted)
		return d->max;
	memcpy(sorted, d->exact, (size_t)d->count * sizeof(*sorted));
	qsort(sorted, (size_t)d->count, sizeof(*sorted), cmp_time);
	ps_time v = sorted[rank - 1];
	free(sorted);
	return v;
}

ps_time time_dist_quantile(const struct time_dist *d, double q)
{
	if (d->count == 0 || !d->hist)
		return 0;
	int64_t rank = (int64_t)(q * (double)d->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > d->count)
		rank = d->count;
	if (d->count <= d->exact_cap)
		return exact_rank(d, rank);
	int64_t seen = 0;
	ps_time v = d->max;
	for (int i = 0; i < DIST_BUCKETS; i++) {
		seen += d->hist[i];
		if (seen >= rank) {
			v = bucket_value(i);
			break;
		}
	}
	if (v < d->min)
		v = d->min;
	if (v > d->max)
		v = d->max;
	return v;
}
