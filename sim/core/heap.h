/*
 * heap.h: an indexed 4-ary min-heap of small integer ids (a slot, a
 * connection) keyed by (at, seq): the loopback servers' timers
 * (real/server.c). The event queue of des.c was on it too, and is now on
 * calendar.h, which keeps the same order; the heap stays the reference the
 * calendar's unit test checks against.
 *
 * Each id knows its position, so remove is O(log n) from anywhere and never
 * leaves a tombstone. The key is kept in the heap array itself so a sift
 * compares within one array (4-ary: half the levels of a binary heap, the
 * four children of a node share a cache line or two). Equal `at` is ordered
 * by `seq`, so a caller that draws seq from a counter gets first-scheduled,
 * first-out. Memory grows only in heap_reserve; push, pop and remove never
 * allocate.
 */
#ifndef POOLSIM_HEAP_H
#define POOLSIM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct heap_entry {
	int64_t at;
	uint64_t seq;
	uint32_t id;
};

struct heap {
	struct heap_entry *entries;
	uint32_t *pos; /* by id: its index in entries, or HEAP_ABSENT */
	uint32_t len;
	uint32_t cap;  /* ids below cap may be pushed */
	uint32_t room; /* entries and positions allocated */
};

#define HEAP_ABSENT UINT32_MAX

void heap_init(struct heap *h);
void heap_free(struct heap *h);
/* Room for every id below n_ids. 0, or -1 when out of memory (the heap is unchanged). */
int heap_reserve(struct heap *h, uint32_t n_ids);

/* Queue `id` (below the reserved count, not queued). */
void heap_push(struct heap *h, int64_t at, uint64_t seq, uint32_t id);
/* Take `id` out wherever it is; false if it was not queued. */
bool heap_remove(struct heap *h, uint32_t id);
/* The earliest entry, NULL when empty; heap_pop takes it out. */
static inline const struct heap_entry *heap_top(const struct heap *h)
{
	return h->len ? &h->entries[0] : NULL;
}
void heap_pop(struct heap *h);

static inline bool heap_queued(const struct heap *h, uint32_t id)
{
	return id < h->cap && h->pos[id] != HEAP_ABSENT;
}

#endif
