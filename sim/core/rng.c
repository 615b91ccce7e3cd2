/*
 * rng.c: xoshiro256** (Blackman and Vigna), seeded per stream with splitmix64.
 * Chosen for speed and for a fixed, documented sequence on every platform:
 * the trace must be byte-identical everywhere for the same seed.
 */
#include "rng.h"

#include <math.h>

PS_MODULAR static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

PS_MODULAR static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

PS_MODULAR void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

PS_MODULAR uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double rng_uniform01(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

ps_time rng_exp(struct rng *r, double mean)
{
	/* 1 - u is in (0, 1], so the log is finite. */
	double v = -log(1.0 - rng_uniform01(r)) * mean;
	if (v >= (double)PS_TIME_NEVER / 2)
		return PS_TIME_NEVER / 2;
	return v >= 0 ? ps_round_nonnegative(v) : (ps_time)llround(v); /* a negative mean */
}

ps_time rng_dist(struct rng *r, const struct dist *d)
{
	switch (d->kind) {
	case DIST_EXP:
		return rng_exp(r, (double)d->lo);
	case DIST_UNIFORM:
		if (d->hi <= d->lo)
			return d->lo;
		return d->lo + (ps_time)(rng_uniform01(r) * (double)(d->hi - d->lo));
	case DIST_CONST:
	default:
		return d->lo;
	}
}
