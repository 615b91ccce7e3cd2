/*
 * histogram.h: the one log-linear histogram of poolsim, for non-negative
 * integers (nanoseconds): exact below 2^(sub_bits+1), above that 2^sub_bits
 * linear buckets per power of two, so a value is kept to a relative
 * precision of 2^-sub_bits in fixed memory. The request latencies and conn
 * waits of the summary (outputs/dist.c, sub_bits 7) and real mode's schedule
 * lag (real/realnet.c, sub_bits 3) both count with it.
 *
 * The buckets are allocated on the first sample, never after.
 */
#ifndef POOLSIM_HISTOGRAM_H
#define POOLSIM_HISTOGRAM_H

#include <stdbool.h>
#include <stdint.h>

struct histogram {
	uint32_t *buckets; /* NULL until the first sample */
	uint32_t n_buckets;
	unsigned sub_bits;
	int64_t count, min, max; /* of the samples added */
};

/* Empty, with 2^sub_bits buckets per power of two (1 <= sub_bits <= 16). Allocates nothing. */
void histogram_init(struct histogram *h, unsigned sub_bits);
void histogram_free(struct histogram *h);
/* Count v (a negative v counts as 0). false when the buckets could not be allocated. */
bool histogram_add(struct histogram *h, int64_t v);
/*
 * histogram_quantile: the q-quantile (0 < q <= 1) by nearest rank: the
 * lowest value of the bucket holding that rank, clamped to [min, max]; 0
 * when empty.
 */
int64_t histogram_quantile(const struct histogram *h, double q);

#endif
