/*
 * slots.c: see slots.h.
 */
#include "slots.h"

#include <stdlib.h>

#include "grow.h"

#define SLOTS_NONE UINT32_MAX
#define SLOTS_MIN  64

void slots_init(struct slots *s)
{
	*s = (struct slots){.free_head = SLOTS_NONE};
}

void slots_free(struct slots *s)
{
	free(s->next);
	slots_init(s);
}

uint32_t slots_try_take(struct slots *s)
{
	if (s->free_head != SLOTS_NONE) {
		uint32_t slot = s->free_head;
		s->free_head = s->next[slot];
		return slot;
	}
	if (s->used == SLOTS_NONE)
		return SLOTS_NONE;
	if (s->used == s->cap) {
		uint64_t cap = s->cap ? (uint64_t)s->cap * 2 : SLOTS_MIN;
		if (cap > SLOTS_NONE)
			cap = SLOTS_NONE;
		uint32_t *next = realloc(s->next, (size_t)cap * sizeof *next);
		if (!next)
			return SLOTS_NONE;
		s->next = next;
		s->cap = (uint32_t)cap;
	}
	return s->used++;
}

uint32_t slots_take_new(struct slots *s)
{
	uint32_t slot = slots_try_take(s);
	if (slot == SLOTS_NONE)
		grow_out_of_memory((uint64_t)s->used + 1);
	return slot;
}

uint32_t slots_take_new_linked(struct slots *s)
{
	if (s->used == SLOTS_NONE)
		grow_out_of_memory((uint64_t)s->used + 1);
	return s->used++;
}

void slots_give_back(struct slots *s, uint32_t slot)
{
	s->next[slot] = s->free_head;
	s->free_head = slot;
}
