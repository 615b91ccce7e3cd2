/*
 * slots.h: the one slot allocator: small dense numbers for records kept in a
 * caller's array (the pool's conns, wants, keys and Transports, the client's
 * requests, the event queue's slots, the loopback servers' connections).
 *
 * A number given back is reused first (the most recent first), else the next
 * never-used one, so numbering is deterministic. The free list's links are
 * kept here, not in the records; memory grows by doubling only when a new
 * number is first used, so a steady state allocates nothing. The _linked
 * variants keep the links in the records instead, in a uint32_t field each
 * record leaves unused while it is free (no array here, and no cache line of
 * its own to touch): the caller passes its array, record size and the field's
 * offset, the same on every call; a struct slots is used one way or the other.
 */
#ifndef POOLSIM_SLOTS_H
#define POOLSIM_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct slots {
	uint32_t *next; /* by slot, while it is free: the next free one */
	uint32_t cap;   /* next[] holds cap entries */
	uint32_t used;  /* slots ever handed out: all are below this */
	uint32_t free_head;
};

void slots_init(struct slots *s);
void slots_free(struct slots *s);
/* A slot, or UINT32_MAX when out of memory (nothing changed). */
uint32_t slots_try_take(struct slots *s);
/* A slot never used before (slots_take calls it when none is free); out of memory aborts. */
uint32_t slots_take_new(struct slots *s);

/* A never-used slot for the _linked variants below (no next[] to grow). */
uint32_t slots_take_new_linked(struct slots *s);

/* A slot; out of memory aborts with a message, as grow.h does. Inline: a steady state takes
 * a slot given back, a few instructions. */
static inline uint32_t slots_take(struct slots *s)
{
	uint32_t slot = s->free_head;
	if (slot == UINT32_MAX)
		return slots_take_new(s);
	s->free_head = s->next[slot];
	return slot;
}
/* `slot` is free again (it must be taken, and not given back twice). */
void slots_give_back(struct slots *s, uint32_t slot);

/* The same, with the free list in the records: base is the records' array (NULL while none).
 * Inline, as slots_take: the caller's stride and offset are constants. */
static inline uint32_t slots_take_linked(struct slots *s, const void *base, size_t stride,
                                         size_t offset)
{
	uint32_t slot = s->free_head;
	if (slot == UINT32_MAX)
		return slots_take_new_linked(s);
	memcpy(&s->free_head, (const char *)base + (size_t)slot * stride + offset, sizeof slot);
	return slot;
}

static inline void slots_give_back_linked(struct slots *s, uint32_t slot, void *base, size_t stride,
                                          size_t offset)
{
	memcpy((char *)base + (size_t)slot * stride + offset, &s->free_head, sizeof slot);
	s->free_head = slot;
}

/* Every slot ever taken is below this (a bound for loops and checks). */
static inline uint32_t slots_used(const struct slots *s)
{
	return s->used;
}

#endif
