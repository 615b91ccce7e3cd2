/*
 * histogram.c: see histogram.h. With S = 2^sub_bits, a value v < 2S is its
 * own bucket; above, v = m * 2^e with S <= m < 2S goes to bucket e*S + m,
 * whose lowest value is m << e. Bucket b lives in block b / S, at b % S.
 */
#include "histogram.h"

#include <stdlib.h>
#include <string.h>

static int64_t bucket_floor(const struct histogram *h, uint32_t b)
{
	uint32_t sub = 1u << h->sub_bits;
	if (b < 2 * sub)
		return b;
	uint32_t e = b / sub - 1, m = sub + b % sub;
	return (int64_t)m << e;
}

/* the largest int64 has msb 62: e = 62 - sub_bits, so buckets below (64 - sub_bits) * S */
static uint32_t block_count(const struct histogram *h)
{
	return 64u - h->sub_bits;
}

void histogram_init(struct histogram *h, unsigned sub_bits)
{
	*h = (struct histogram){.sub_bits = (uint8_t)sub_bits};
}

void histogram_free(struct histogram *h)
{
	free(h->counts);
	histogram_init(h, h->sub_bits);
}

/* The counters of block k, allocated (zeroed) on first use; NULL when out of memory. */
static uint32_t *block(struct histogram *h, uint32_t k)
{
	size_t sub = (size_t)1 << h->sub_bits;
	if (h->block_at[k])
		return h->counts + (h->block_at[k] - 1u) * sub;
	if (h->n_blocks == h->n_allocated) {
		/* room grows 4 blocks at a time: at most 16 reallocs in a histogram's life */
		uint32_t room = h->n_allocated + 4u;
		if (room > block_count(h))
			room = block_count(h);
		uint32_t *grown = realloc(h->counts, room * sub * sizeof *grown);
		if (!grown)
			return NULL;
		h->counts = grown;
		h->n_allocated = (uint8_t)room;
	}
	uint32_t *b = h->counts + (size_t)h->n_blocks * sub;
	memset(b, 0, sub * sizeof *b);
	h->block_at[k] = ++h->n_blocks;
	return b;
}

bool histogram_add_to_new_block(struct histogram *h, int64_t v)
{
	if (!block(h, histogram_bucket(h, v) >> h->sub_bits))
		return false;
	return histogram_add_if_block(h, v); /* the block is there now */
}

/* The lowest value of the bucket holding rank (1 <= rank <= count), blocks in value order. */
static int64_t rank_floor(const struct histogram *h, int64_t rank)
{
	uint32_t sub = 1u << h->sub_bits;
	int64_t seen = 0;
	for (uint32_t k = 0; k < block_count(h); k++) {
		if (!h->block_at[k])
			continue;
		const uint32_t *counters = h->counts + (size_t)(h->block_at[k] - 1u) * sub;
		for (uint32_t i = 0; i < sub; i++) {
			seen += counters[i];
			if (seen >= rank)
				return bucket_floor(h, k * sub + i);
		}
	}
	return h->max;
}

int64_t histogram_quantile(const struct histogram *h, double q)
{
	if (h->count == 0)
		return 0;
	int64_t rank = (int64_t)(q * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	int64_t v = rank_floor(h, rank);
	return v < h->min ? h->min : v > h->max ? h->max : v;
}
