/*
 * des.c: the event queue: slots (type and two integers) in one array,
 * numbered by core/slots.h, queued on core/heap.h by (time, seq).
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

#include "grow.h"
#include "heap.h"
#include "slots.h"

struct des_slot {
	uint32_t a, b;
	uint32_t gen;
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
	uint32_t cap_slots;
	struct slots slot_numbers;
	struct heap queue; /* slots by (time, seq) */
	struct des_type types[DES_MAX_TYPES];
};

struct des *des_create(void)
{
	struct des *d = calloc(1, sizeof(*d));
	if (d) {
		slots_init(&d->slot_numbers);
		heap_init(&d->queue);
	}
	return d;
}

void des_destroy(struct des *d)
{
	if (!d)
		return;
	free(d->slots);
	slots_free(&d->slot_numbers);
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

/* A slot for an event: a new one's generation is 0 (grow_to_hold zeroes), a reused one's kept. */
static uint32_t slot_alloc(struct des *d)
{
	uint32_t slot = slots_take(&d->slot_numbers);
	if (slot >= d->cap_slots) {
		d->slots =
		    grow_to_hold(d->slots, &d->cap_slots, sizeof(*d->slots), slot, 1024, NULL);
		if (heap_reserve(&d->queue, d->cap_slots) < 0)
			abort(); /* a lost event would silently change the run */
	}
	return slot;
}

static void slot_free(struct des *d, uint32_t slot)
{
	d->slots[slot].gen++;
	slots_give_back(&d->slot_numbers, slot);
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
	if (slot >= slots_used(&d->slot_numbers) || d->slots[slot].gen != gen ||
	    !heap_remove(&d->queue, slot))
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
