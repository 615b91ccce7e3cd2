/*
 * dist.h: a distribution of times (request latency, conn wait) and its
 * percentiles. Exact (nearest rank) while it holds at most `exact_cap`
 * samples, kept in an array that grows with them; past that the samples move
 * into a log-linear histogram (1/128 relative precision, clamped to the exact
 * min and max; core/histogram.h) and the array is freed, so a distribution
 * holds one or the other, each sized to its samples: memory does not grow
 * with a run's length, and a host with few requests costs little.
 */
#ifndef POOLSIM_DIST_H
#define POOLSIM_DIST_H

#include "common.h"
#include "histogram.h"

/* 128 buckets per power of two: 1/128 relative precision. */
#define DIST_SUB_BITS 7

struct time_dist {
	struct histogram hist; /* the samples once there are more than exact_cap; empty before */
	ps_time *exact;        /* the samples while there are at most exact_cap, else NULL */
	int64_t n_exact, exact_room, exact_cap;
	bool oom; /* a sample could not be stored: percentiles are not to be trusted */
};

void time_dist_init(struct time_dist *d, int64_t exact_cap);
void time_dist_free(struct time_dist *d);
/* time_dist_add's other cases: the exact array grows or spills, or memory ran out. */
void time_dist_add_slow(struct time_dist *d, ps_time v);

/* Count a sample in one of its two usual cases (room in the exact array; a histogram whose
 * block for it is there), with no call; false, and nothing counted, otherwise. */
static inline bool time_dist_add_cheaply(struct time_dist *d, ps_time v)
{
	if (d->n_exact <
	    d->exact_room) { /* room: so no histogram yet, and memory did not run out */
		d->exact[d->n_exact++] = v;
		return true;
	}
	return d->hist.count != 0 && histogram_add_if_block(&d->hist, v);
}

/* Count a sample. Inline for its usual cases: the summary counts four samples a request. */
static inline void time_dist_add(struct time_dist *d, ps_time v)
{
	if (!time_dist_add_cheaply(d, v))
		time_dist_add_slow(d, v);
}
/* Ask the CPU to fetch the distribution's own lines (a hint): the first step of a batch's
 * prefetch, for time_dist_place_of's reads. */
static inline void time_dist_prefetch(const struct time_dist *d)
{
	const char *at = (const char *)d; /* its fields up to exact_room span at most three lines */
	ps_prefetch(at);
	ps_prefetch(at + 64);
	ps_prefetch(at + offsetof(struct time_dist, exact_room) + sizeof d->exact_room - 1);
}

/* Where v would be counted (its exact slot, or its histogram counter), or d itself when that is
 * not there yet: the second step of a batch's prefetch, once the distribution's own lines are
 * in (never NULL: a prefetch of it needs no branch). */
static inline const void *time_dist_place_of(const struct time_dist *d, ps_time v)
{
	if (d->n_exact < d->exact_room)
		return d->exact + d->n_exact;
	const uint32_t *counter =
	    d->hist.count ? histogram_counter_of(&d->hist, v < 0 ? 0 : v) : NULL;
	return counter ? (const void *)counter : (const void *)d;
}

/* The samples added. */
int64_t time_dist_count(const struct time_dist *d);
/* The q-quantile (0 < q <= 1) by nearest rank; 0 when empty. */
ps_time time_dist_quantile(const struct time_dist *d, double q);
/* The quantiles q[0..n) (ascending, each 0 < q <= 1) into out[0..n), each the same as
 * time_dist_quantile's: one pass for all of them, each rank found among the samples above the
 * last one's. */
void time_dist_quantiles(const struct time_dist *d, const double *q, ps_time *out, int n);

#endif
