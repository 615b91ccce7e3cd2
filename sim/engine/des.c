/*
 * des.c: the event queue: slots (type and two integers) in one array,
 * recycled through a free list, queued on core/heap.h by (time, seq).
 *
 * The heap is 4-ary with its keys in its own array (22% less CPU than a
 * binary heap on the medium benchmark, see docs/performance.md), and each
 * slot's position is known, so cancel removes from the middle in O(log n).
 * A handle carries the slot's generation, bumped on every reuse, so
 * cancelling a handle whose event already ran is a harmless no-op.
 */
#include "des.h"

#include <stdlib.h>
#include <string.h>

#include "heap.h"

struct des_slot {
	uint32_t a, b;
	uint32_t gen;
	uint32_t next_free;
	uint16_t type;
};

struct des_type {
	des_handler fn;
	void *ctx;
};

struct des {
	ps_time now;
	uint64_t steps_at_now; /* events run since the clock last moved */
	uint64_t next_seq;
	struct des_slot *slots;
	uint32_t n_slots, cap_slots, free_head;
	struct heap queue; /* slots by (time, seq) */
	struct des_type types[DES_MAX_TYPES];
};

struct des *des_create(void)
{
	struct des *d = calloc(1, sizeof(*d));
	if (d) {
		d->free_head = PS_NONE;
		heap_init(&d->queue);
	}
	return d;
}

void des_destroy(struct des *d)
{
	if (!d)
		return;
	free(d->slots);
	heap_free(&d->queue);
	free(d);
}

void des_on(struct des *d, unsigned type, des_handler fn, void *ctx)
{
	if (type >= DES_MAX_TYPES)
		abort();
	d->types[type].fn = fn;
	d->types[type].ctx = ctx;
}

static uint32_t slot_alloc(struct des *d)
{
	if (d->free_head != PS_NONE) {
		uint32_t slot = d->free_head;
		d->free_head = d->slots[slot].next_free;
		return slot;
	}
	if (d->n_slots == d->cap_slots) {
		uint32_t cap = d->cap_slots ? d->cap_slots * 2 : 1024;
		struct des_slot *slots = realloc(d->slots, cap * sizeof(*slots));
		if (slots)
			d->slots = slots;
		if (!slots || heap_reserve(&d->queue, cap) < 0)
			abort(); /* a lost event would silently change the run */
		d->cap_slots = cap;
	}
	d->slots[d->n_slots].gen = 0;
	return d->n_slots++;
}

static void slot_free(struct des *d, uint32_t slot)
{
	d->slots[slot].gen++;
	d->slots[slot].next_free = d->free_head;
	d->free_head = slot;
}

des_timer des_schedule(struct des *d, ps_time at, unsigned type, uint32_t a, uint32_t b)
{
	uint32_t slot = slot_alloc(d);
	struct des_slot *s = &d->slots[slot];
	s->a = a;
	s->b = b;
	s->type = (uint16_t)type;
	heap_push(&d->queue, at < d->now ? d->now : at, d->next_seq++, slot);
	/* gen + 1 keeps every live handle non-zero (DES_NO_TIMER). */
	return ((uint64_t)(s->gen + 1) << 32) | slot;
}

bool des_cancel(struct des *d, des_timer *timer)
{
	des_timer t = *timer;
	*timer = DES_NO_TIMER;
	if (t == DES_NO_TIMER)
		return false;
	uint32_t slot = (uint32_t)t;
	uint32_t gen = (uint32_t)(t >> 32) - 1;
	if (slot >= d->n_slots || d->slots[slot].gen != gen || !heap_remove(&d->queue, slot))
		return false;
	slot_free(d, slot);
	return true;
}

ps_time des_now(const struct des *d)
{
	return d->now;
}

void des_set_now(struct des *d, ps_time now)
{
	if (now > d->now) {
		d->now = now;
		d->steps_at_now = 0;
	}
}

uint64_t des_steps_at_now(const struct des *d)
{
	return d->steps_at_now;
}

ps_time des_next_time(const struct des *d)
{
	const struct heap_entry *top = heap_top(&d->queue);
	return top ? top->at : PS_TIME_NEVER;
}

unsigned des_next_type(const struct des *d)
{
	const struct heap_entry *top = heap_top(&d->queue);
	return top ? d->slots[top->id].type : DES_MAX_TYPES;
}

size_t des_pending(const struct des *d)
{
	return d->queue.len;
}

bool des_step(struct des *d, ps_time limit)
{
	const struct heap_entry *top = heap_top(&d->queue);
	if (!top || top->at > limit)
		return false;
	ps_time at = top->at;
	uint32_t slot = top->id;
	struct des_slot ev = d->slots[slot];
	heap_pop(&d->queue);
	slot_free(d, slot);
	if (at > d->now) {
		d->now = at;
		d->steps_at_now = 0;
	}
	d->steps_at_now++;
	struct des_type *t = &d->types[ev.type];
	if (t->fn)
		t->fn(t->ctx, ev.a, ev.b);
	return true;
}
