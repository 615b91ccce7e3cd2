/*
 * dist.h: a distribution of times (request latency, conn wait) and its
 * percentiles. Exact (nearest rank) while it holds at most `exact_cap`
 * samples, kept in an array allocated on the first sample; past that from a
 * log-linear histogram (1/128 relative precision, fixed memory, clamped to the
 * exact min and max), so a run of any length costs the same memory.
 */
#ifndef POOLSIM_DIST_H
#define POOLSIM_DIST_H

#include "common.h"
#include "histogram.h"

/* 128 buckets per power of two: 1/128 relative precision. */
#define DIST_SUB_BITS 7

struct time_dist {
	struct histogram hist; /* every sample; its count, min and max are the distribution's */
	ps_time *exact;        /* the first exact_cap samples, NULL until the first sample */
	int64_t exact_cap;
	bool oom; /* a sample could not be stored: percentiles are not to be trusted */
};

void time_dist_init(struct time_dist *d, int64_t exact_cap);
void time_dist_free(struct time_dist *d);
void time_dist_add(struct time_dist *d, ps_time v);
/* The q-quantile (0 < q <= 1) by nearest rank; 0 when empty. */
ps_time time_dist_quantile(const struct time_dist *d, double q);

#endif
