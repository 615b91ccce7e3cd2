/*
 * rng.h: seeded random streams (xoshiro256** seeded through splitmix64).
 *
 * Each load and each host draws from its own stream, derived from the
 * scenario seed and a stream number, so adding a load never changes the
 * arrivals of another. No state outside struct rng.
 */
#ifndef POOLSIM_RNG_H
#define POOLSIM_RNG_H

#include "common.h"
#include "config.h"

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_uniform01(struct rng *r);
/* Exponential with the given mean (ns), at least 0. */
ps_time rng_exp(struct rng *r, double mean);
/* A sample of a scenario distribution. */
ps_time rng_dist(struct rng *r, const struct dist *d);

#endif
