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

static ps_time median_of_three(ps_time x, ps_time y, ps_time z)
{
	if (x > y) {
		ps_time t = x;
		x = y;
		y = t;
	}
	return z < x ? x : z > y ? y : z;
}

/*
 * The value of rank k (0-based) of a[0..n), reordering a: a quickselect with a
 * three-way partition, so equal latencies (a constant service time) cost one
 * pass. The k-th smallest value is unique, so the result is the same as
 * sorting's; a qsort per quantile was 40% of a short run's instructions.
 */
static ps_time select_rank(ps_time *a, int64_t n, int64_t k)
{
	int64_t lo = 0, hi = n;
	while (hi - lo > 1) {
		ps_time pivot = median_of_three(a[lo], a[lo + (hi - lo) / 2], a[hi - 1]);
		int64_t lt = lo, i = lo, gt = hi;
		while (i < gt) {
			ps_time v = a[i];
			if (v < pivot) {
				a[i++] = a[lt];
				a[lt++] = v;
			} else if (v > pivot) {
				a[i] = a[--gt];
				a[gt] = v;
			} else {
				i++;
			}
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	return a[k];
}

static ps_time exact_rank(const struct time_dist *d, int64_t rank)
{
	int64_t n = d->hist.count;
	ps_time *scratch = malloc((size_t)n * sizeof(*scratch));
	if (!scratch)
		return d->hist.max;
	memcpy(scratch, d->exact, (size_t)n * sizeof(*scratch));
	ps_time v = select_rank(scratch, n, rank - 1);
	free(scratch);
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
