/*
 * dist.c: time distributions (dist.h): exact while small, then the core's
 * log-linear histogram (histogram.h), which receives the exact samples when
 * the first one past exact_cap arrives.
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
	d->n_exact = d->exact_room = 0;
}

int64_t time_dist_count(const struct time_dist *d)
{
	return d->n_exact + d->hist.count;
}

static void out_of_memory(struct time_dist *d)
{
	time_dist_free(d);
	d->oom = true;
}

/* The exact samples move into the histogram, once, and their array goes. */
static bool spill_exact(struct time_dist *d)
{
	for (int64_t i = 0; i < d->n_exact; i++)
		if (!histogram_add(&d->hist, d->exact[i]))
			return false;
	free(d->exact);
	d->exact = NULL;
	d->n_exact = d->exact_room = 0;
	return true;
}

/* Room for one more exact sample: the array doubles from 16 up to exact_cap. */
static bool exact_room_for_one(struct time_dist *d)
{
	if (d->n_exact < d->exact_room)
		return true;
	int64_t room = d->exact_room ? 2 * d->exact_room : 16;
	if (room > d->exact_cap)
		room = d->exact_cap;
	ps_time *grown = realloc(d->exact, (size_t)room * sizeof *grown);
	if (!grown)
		return false;
	d->exact = grown;
	d->exact_room = room;
	return true;
}

void time_dist_add_slow(struct time_dist *d, ps_time v)
{
	if (d->oom)
		return;
	if (d->hist.count == 0 && d->n_exact < d->exact_cap) {
		if (!exact_room_for_one(d))
			out_of_memory(d);
		else
			d->exact[d->n_exact++] = v;
		return;
	}
	if ((d->n_exact && !spill_exact(d)) || !histogram_add(&d->hist, v))
		out_of_memory(d);
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

static ps_time exact_max(const struct time_dist *d)
{
	ps_time max = d->exact[0];
	for (int64_t i = 1; i < d->n_exact; i++)
		max = d->exact[i] > max ? d->exact[i] : max;
	return max;
}

/* The nearest rank (1-based) of the q-quantile among n samples. */
static int64_t rank_of(double q, int64_t n)
{
	int64_t rank = (int64_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank;
}

void time_dist_quantiles(const struct time_dist *d, const double *q, ps_time *out, int n)
{
	if (d->hist.count || d->n_exact == 0) {
		for (int i = 0; i < n; i++)
			out[i] = d->hist.count ? histogram_quantile(&d->hist, q[i]) : 0;
		return;
	}
	int64_t count = d->n_exact;
	ps_time *scratch = malloc((size_t)count * sizeof(*scratch));
	if (!scratch) {
		for (int i = 0; i < n; i++)
			out[i] = exact_max(d);
		return;
	}
	memcpy(scratch, d->exact, (size_t)count * sizeof(*scratch));
	/* select_rank leaves every sample at or past the rank's place no smaller than the ones
	 * before it, so a higher rank is found among those alone */
	int64_t from = 0;
	for (int i = 0; i < n; i++) {
		int64_t k = rank_of(q[i], count) - 1;
		if (k < from) /* q not ascending: search everything again */
			from = 0;
		out[i] = select_rank(scratch + from, count - from, k - from);
		from = k;
	}
	free(scratch);
}

ps_time time_dist_quantile(const struct time_dist *d, double q)
{
	ps_time v;
	time_dist_quantiles(d, &q, &v, 1);
	return v;
}
