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

/*
 * The stream numbers of a run: one per load (arrivals, think times) and one
 * per host (service times, the same in both engines). Loads below
 * RNG_LOADS_LOW and every host keep the numbers poolsim always used, so a
 * file's trace never changes; later loads, which would have shared a host's
 * stream, count from 2^32. The simulator's coin for a host's stale-connection
 * ties counts from 2^33 (drawn only at a tie, so no other run changes).
 */
#define RNG_STREAM_LOAD_BASE 1000
#define RNG_STREAM_HOST_BASE 2000
#define RNG_LOADS_LOW        (RNG_STREAM_HOST_BASE - RNG_STREAM_LOAD_BASE)

static inline uint64_t rng_stream_of_load(uint32_t load)
{
	if (load < RNG_LOADS_LOW)
		return RNG_STREAM_LOAD_BASE + (uint64_t)load;
	return ((uint64_t)1 << 32) + load;
}

static inline uint64_t rng_stream_of_host(uint32_t host)
{
	return RNG_STREAM_HOST_BASE + (uint64_t)host;
}

/* A host's stale-connection ties (simnet.c): a stream no load or host uses. */
static inline uint64_t rng_stream_of_tie(uint32_t host)
{
	return ((uint64_t)2 << 32) + host;
}

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_uniform01(struct rng *r);
/* Exponential with the given mean (ns), at least 0. */
ps_time rng_exp(struct rng *r, double mean);
/* A sample of a scenario distribution. */
ps_time rng_dist(struct rng *r, const struct dist *d);

#endif
