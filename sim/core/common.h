/*
 * common.h: the few types every poolsim module shares.
 *
 * Time is a signed 64-bit count of nanoseconds (ps_time). Scenario time starts
 * at 0; nothing in poolsim reads a wall clock except the real-mode loop, which
 * converts its readings to this scale before anything else sees them.
 * Slots (conn, request, host, load) are uint32_t indices; PS_NONE means "none".
 */
#ifndef POOLSIM_COMMON_H
#define POOLSIM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t ps_time;

#define PS_NONE       UINT32_MAX
#define PS_TIME_NEVER INT64_MAX

#define PS_NS  ((ps_time)1)
#define PS_US  ((ps_time)1000)
#define PS_MS  ((ps_time)1000000)
#define PS_SEC ((ps_time)1000000000)

/* Exit statuses shared by every subcommand. */
enum ps_exit {
	PS_EXIT_OK = 0,
	PS_EXIT_FAIL = 1,     /* the run itself failed (a socket error, a compare mismatch) */
	PS_EXIT_USAGE = 2,    /* bad input: a scenario file, a flag, a missing dependency */
	PS_EXIT_SIGNAL = 128, /* + the signal that stopped the command: 130 for Ctrl-C */
};

/*
 * PS_MODULAR marks a function whose unsigned arithmetic wraps on purpose
 * (hashes, random streams): defined by C, and exempt from clang's
 * -fsanitize=unsigned-integer-overflow,unsigned-shift-base, which make test's
 * clang UBSan pass turns on to catch every other wrap.
 */
#if defined(__clang__)
#define PS_MODULAR __attribute__((no_sanitize("unsigned-integer-overflow", "unsigned-shift-base")))
#else
#define PS_MODULAR
#endif

/* ps_time_add clamps instead of overflowing: deadlines far in the future stay "never". */
static inline ps_time ps_time_add(ps_time a, ps_time b)
{
	if (b > 0 && a > PS_TIME_NEVER - b)
		return PS_TIME_NEVER;
	return a + b;
}

/*
 * ps_round_nonnegative: llround(v) for 0 <= v < 2^63 (half away from zero), without libm's call:
 * the whole part, plus one when the fraction, which v - whole gives exactly, is at least a half.
 */
static inline ps_time ps_round_nonnegative(double v)
{
	ps_time whole = (ps_time)v;
	return whole + (v - (double)whole >= 0.5);
}

/*
 * A hint to fetch the line at p into the cache (nothing changes, p need not be valid): for
 * batches of work on scattered memory, so their misses overlap. An asm on x86-64, because gcc
 * 12's dead-code pass deleted __builtin_prefetch of an address computed from loaded fields.
 */
static inline void ps_prefetch(const void *p)
{
#if defined(__GNUC__) && defined(__x86_64__)
	__asm__ volatile("prefetcht0 (%0)" : : "r"(p));
#else
	__builtin_prefetch(p);
#endif
}

#endif
