/*
 * histogram.h: the one log-linear histogram of poolsim, for non-negative
 * integers (nanoseconds): exact below 2^(sub_bits+1), above that 2^sub_bits
 * linear buckets per power of two, so a value is kept to a relative
 * precision of 2^-sub_bits. The request latencies and conn waits of the
 * summary (outputs/dist.c, sub_bits 7) and real mode's schedule lag
 * (real/realnet.c, sub_bits 3) both count with it.
 *
 * Memory is sized to need: the buckets come in blocks of one power of two
 * (2^sub_bits counters), a block allocated the first time a value falls in
 * it, so a histogram holds only the powers of two its samples span (a
 * latency histogram of 20 ms requests: about 15 blocks of 512 bytes, not
 * all 57). At most 64 - sub_bits allocations in its life, none after.
 */
#ifndef POOLSIM_HISTOGRAM_H
#define POOLSIM_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MAX_BLOCKS 64

struct histogram {
	uint32_t *counts; /* the allocated blocks, in the order they were first needed */
	uint8_t block_at[HISTOGRAM_MAX_BLOCKS]; /* by block: 1 + its place in counts, 0 = none */
	uint8_t n_blocks, n_allocated;          /* blocks in use; blocks counts has room for */
	uint8_t sub_bits;
	int64_t count, min, max; /* of the samples added */
};

/* Empty, with 2^sub_bits buckets per power of two (1 <= sub_bits <= 16). Allocates nothing. */
void histogram_init(struct histogram *h, unsigned sub_bits);
void histogram_free(struct histogram *h);
/* The bucket of v >= 0: v itself below 2S (S = 2^sub_bits); above, e*S + (v >> e) where e puts
 * v >> e in [S, 2S). */
static inline uint32_t histogram_bucket(const struct histogram *h, int64_t v)
{
	uint32_t sub = 1u << h->sub_bits;
	if (v < 2 * (int64_t)sub)
		return (uint32_t)v;
	int msb = 63 - __builtin_clzll((unsigned long long)v);
	int e = msb - (int)h->sub_bits;
	return (uint32_t)e * sub + (uint32_t)(v >> e);
}

/* Count v (>= 0) into a block not allocated yet (histogram_add calls it). */
bool histogram_add_to_new_block(struct histogram *h, int64_t v);

/* The counter of v (>= 0), or NULL when its block is not there yet: what an add increments,
 * and what a batch of adds to scattered histograms prefetches, so that their misses overlap. */
static inline uint32_t *histogram_counter_of(const struct histogram *h, int64_t v)
{
	uint32_t b = histogram_bucket(h, v);
	unsigned at = h->block_at[b >> h->sub_bits];
	if (!at)
		return NULL;
	return h->counts + ((size_t)(at - 1u) << h->sub_bits) + (b & ((1u << h->sub_bits) - 1));
}

/* Count v (a negative v counts as 0) if its block is there already, with no call; false, and
 * nothing counted, if it is not. */
static inline bool histogram_add_if_block(struct histogram *h, int64_t v)
{
	if (v < 0)
		v = 0;
	uint32_t *counter = histogram_counter_of(h, v);
	if (!counter)
		return false;
	(*counter)++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	return true;
}

/* Count v (a negative v counts as 0). false when a block could not be allocated. Inline: the
 * summary counts four samples a request with it. */
static inline bool histogram_add(struct histogram *h, int64_t v)
{
	return histogram_add_if_block(h, v) || histogram_add_to_new_block(h, v < 0 ? 0 : v);
}

/*
 * histogram_quantile: the q-quantile (0 < q <= 1) by nearest rank: the
 * lowest value of the bucket holding that rank, clamped to [min, max]; 0
 * when empty.
 */
int64_t histogram_quantile(const struct histogram *h, double q);

#endif
