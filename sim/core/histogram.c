/*
 * histogram.c: see histogram.h. With S = 2^sub_bits, a value v < 2S is its
 * own bucket; above, v = m * 2^e with S <= m < 2S goes to bucket e*S + m,
 * whose lowest value is m << e.
 */
#include "histogram.h"

#include <stdlib.h>

static uint32_t bucket_of(const struct histogram *h, int64_t v)
{
	uint32_t sub = 1u << h->sub_bits;
	if (v < 2 * (int64_t)sub)
		return v < 0 ? 0 : (uint32_t)v;
	int msb = 63 - __builtin_clzll((unsigned long long)v);
	int e = msb - (int)h->sub_bits;
	return (uint32_t)e * sub + (uint32_t)(v >> e);
}

static int64_t bucket_floor(const struct histogram *h, uint32_t b)
{
	uint32_t sub = 1u << h->sub_bits;
	if (b < 2 * sub)
		return b;
	uint32_t e = b / sub - 1, m = sub + b % sub;
	return (int64_t)m << e;
}

void histogram_init(struct histogram *h, unsigned sub_bits)
{
	*h = (struct histogram){.sub_bits = sub_bits};
	/* the largest int64 has msb 62: e = 62 - sub_bits, so buckets below (64 - sub_bits) * S */
	h->n_buckets = (64u - sub_bits) << sub_bits;
}

void histogram_free(struct histogram *h)
{
	free(h->buckets);
	histogram_init(h, h->sub_bits);
}

bool histogram_add(struct histogram *h, int64_t v)
{
	if (!h->buckets && !(h->buckets = calloc(h->n_buckets, sizeof *h->buckets)))
		return false;
	if (v < 0)
		v = 0;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	h->buckets[bucket_of(h, v)]++;
	return true;
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
	int64_t seen = 0, v = h->max;
	for (uint32_t b = 0; b < h->n_buckets; b++) {
		seen += h->buckets[b];
		if (seen >= rank) {
			v = bucket_floor(h, b);
			break;
		}
	}
	return v < h->min ? h->min : v > h->max ? h->max : v;
}
