/*
 * grow.h: arrays indexed by a slot number (a conn, a request) that grow by
 * doubling when a slot beyond their end shows up. Growth is amortised, so a
 * steady state allocates nothing. Running out of memory aborts with a
 * message: every caller keeps a record of the run that must not silently
 * lose an entry.
 *
 * The allocation doubles, but only the entries up to a page past the highest
 * index asked for are zeroed: the rest of the room is never touched, so the
 * kernel does not make it resident (at 100,000 conns an array doubled to
 * 131,072 entries costs 100,000 entries of memory, not 131,072).
 */
#ifndef POOLSIM_GROW_H
#define POOLSIM_GROW_H

#include "common.h"

/* Entries are zeroed (and so touched) this many bytes' worth at a time. */
#define GROW_TOUCH_BYTES 4096

/*
 * grow_to_hold: make `array` (of *cap usable elements of `size` bytes) hold
 * index `index`; its allocation doubles from at least `min_cap`. New
 * elements are zeroed; the caller may then give them other defaults from the
 * old *cap (passed back through *old_cap) up. Returns the (possibly moved)
 * array. *cap must come from grow_to_hold alone (the allocation's size is
 * worked out from it).
 */
void *grow_to_hold_beyond(void *array, uint32_t *cap, size_t size, uint32_t index,
                          uint32_t min_cap);

/* Inline: most calls find the index inside already (every event and request asks). */
static inline void *grow_to_hold(void *array, uint32_t *cap, size_t size, uint32_t index,
                                 uint32_t min_cap, uint32_t *old_cap)
{
	if (old_cap)
		*old_cap = *cap;
	if (index < *cap)
		return array;
	return grow_to_hold_beyond(array, cap, size, index, min_cap);
}

/* The room (entries allocated) behind n entries: min_cap (16 if 0) doubled until it holds them,
 * at most UINT32_MAX; a function of n alone, so callers need not store it. */
uint32_t grow_room_for(uint64_t n, uint32_t min_cap);

/* The message and abort of every out-of-memory growth (slots.c's too). */
_Noreturn void grow_out_of_memory(uint64_t entries);

#endif
