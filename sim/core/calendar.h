/*
 * calendar.h: a calendar queue (Brown, CACM 1988) of small integer ids keyed
 * by their time `at`, ids of equal `at` in the order they were pushed: the
 * (at, seq) order of heap.h when seq counts the pushes, as des.c's does, so
 * no seq is kept. Each id's node carries 16 bytes of its owner's beside its
 * key (des.c: an event's type, arguments and generation), so taking the
 * earliest event touches one 32-byte node, not a node and a record.
 *
 * Time is cut into buckets of `width` ns (a power of two); bucket i holds, in one sorted
 * doubly linked list, every id whose at / width is i modulo the bucket count
 * (a "year" is n_buckets * width). The earliest id is found by walking the
 * buckets from the current one, taking the head of a bucket only while it
 * falls in the bucket's window of this year; pop and push cost O(1) on
 * average whatever the queue's length, as long as the width suits the
 * events' spacing. The queue measures that itself: every period it compares
 * the buckets it walked and the list entries it stepped over per operation,
 * and rebuilds with a width of three mean gaps between pops (and a bucket
 * count near the length) when either grows. Equal `at` keeps push order: a
 * push links after every node of its `at`, and a rebuild keeps each
 * bucket's order.
 *
 * Ids far ahead (an idle timer 90 s out, among events microseconds apart)
 * would sit in the buckets' lists for many years, and every push near by
 * would step over them. So the buckets hold only ids before a horizon, a
 * window of 2^CALENDAR_FAR_BITS ns or two ahead of the earliest; the rest
 * wait in CALENDAR_FAR_LISTS lists by window, each in push order (a push is
 * an append, no compare), and move into the buckets, window by window in
 * push order, as the earliest comes within a window of the horizon (or the
 * buckets run empty with the earliest far id within two windows of the last
 * id popped; further on, it is the minimum where it is, in its list: the
 * buckets are often empty only between a pop and its handler's push). A
 * window moves before any id of its times can be pushed into the buckets,
 * so equal `at` still keeps push order; an id cancelled before its window
 * comes is never sorted at all.
 * Memory grows only in calendar_reserve and in a rebuild (the bucket arrays,
 * which double or halve with the length; a rebuild that cannot allocate
 * keeps the old buckets, which are slower but still right); push, pop and
 * remove between rebuilds never allocate.
 */
#ifndef POOLSIM_CALENDAR_H
#define POOLSIM_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#define CALENDAR_NONE UINT32_MAX

struct calendar_node {
	int64_t at;
	uint32_t next, prev; /* in its bucket; prev is CALENDAR_OUT when not queued, and next is
	                        then the owner's (des.c chains its free slots through it) */
	uint32_t data[4];    /* the owner's: zero when first reserved, never touched here after */
};
_Static_assert(sizeof(struct calendar_node) == 32, "two nodes to a cache line");

#define CALENDAR_OUT (UINT32_MAX - 1)

/* The far lists' window, 2^27 ns (134 ms: beyond a think or a response, short of an idle
 * timeout), and their count (a list holds windows w, w + 1024, ...: 137 s in all). */
#define CALENDAR_FAR_BITS  27
#define CALENDAR_FAR_LISTS 1024u

/* A bucket's sorted list: its first and last id, CALENDAR_NONE when empty. */
struct calendar_bucket {
	uint32_t head, tail;
};

struct calendar {
	struct calendar_node *nodes; /* by id */
	uint32_t cap;                /* ids below cap may be pushed */
	uint32_t room;               /* nodes allocated */
	struct calendar_bucket *buckets;
	uint32_t n_buckets; /* a power of two */
	int64_t width;      /* ns per bucket: 2^width_bits */
	unsigned width_bits;
	uint32_t cur;    /* the bucket of the earliest id */
	int64_t cur_end; /* the end of cur's window this year */
	uint32_t min;    /* the earliest id, CALENDAR_NONE when empty */
	uint32_t len;    /* ids queued: near_len in the buckets, far_len in the far lists */
	uint32_t near_len, far_len;
	struct calendar_bucket far[CALENDAR_FAR_LISTS]; /* by window mod the count, push order */
	uint64_t far_next; /* the horizon's window: an id is far iff its window is at or past it */
	int64_t last_at;   /* the time of the last id popped (no id is pushed before it) */
	/* this period's operations, and buckets walked plus entries stepped over: when to rebuild
	 */
	uint64_t ops, steps;
	uint32_t grow_at, shrink_at, period_ops; /* the lengths and ops that call a rebuild */
};

void calendar_init(struct calendar *c);
void calendar_free(struct calendar *c);
/* Room for every id below n_ids. 0, or -1 when out of memory (the queue is unchanged). */
int calendar_reserve(struct calendar *c, uint32_t n_ids);

/* Queue `id` (below the reserved count, not queued): after every queued id of the same `at`. */
void calendar_push(struct calendar *c, int64_t at, uint32_t id);
/* Take `id` out wherever it is; false if it was not queued. */
bool calendar_remove(struct calendar *c, uint32_t id);
/* Take out the earliest (calendar_top); nothing when empty. */
void calendar_pop(struct calendar *c);

/* The earliest id, CALENDAR_NONE when empty; its time is nodes[id].at. Finding it moves
 * only the queue's cursor, never what it holds. */
uint32_t calendar_top(struct calendar *c);

static inline bool calendar_queued(const struct calendar *c, uint32_t id)
{
	return id < c->cap && c->nodes[id].prev != CALENDAR_OUT;
}

#endif
