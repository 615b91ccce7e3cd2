/*
 * des.c: a binary min-heap of event slots ordered by (time, seq).
 *
 * Slots live in one array and are recycled through a free list; the heap is
 * an array of slot numbers and each slot knows its heap position, so cancel
 * removes from the middle in O(log n). A handle carries the slot's
 * generation, bumped on every reuse, so cancelling a handle whose event
 * already ran is a harmless no-op.
 */
#include "des.h"

#include <stdlib.h>
#include <string.h>

struct des_slot {
	ps_time at;
	uint64_t seq;
	uint32_t a, b;
	uint32_t gen;
	uint32_t heap_pos; /* PS_NONE when free */
	uint32_t next_free;
	uint16_t type;
};

struct des_type {
	des_handler fn;
	void *ctx;
};

struct des {
	ps_time now;
	uint64_t next_seq;
	struct des_slot *slots;
	uint32_t n_slots, cap_slots, free_head;
	uint32_t *heap;
	uint32_t heap_len;
	struct des_type types[DES_MAX_TYPES];
};

struct des *des_create(void)
{
	struct des *d = calloc(1, sizeof(*d));
	if (d)
		d->free_head = PS_NONE;
	return d;
}

void des_destroy(struct des *d)
{
	if (!d)
		return;
	free(d->slots);
	free(d->heap);
	free(d);
}

void des_on(struct des *d, unsigned type, des_handler fn, void *ctx)
{
	if (type >= DES_MAX_TYPES)
		abort();
	d->types[type].fn = fn;
	d->types[type].ctx = ctx;
}

static bool slot_less(const struct des *d, uint32_t x, uint32_t y)
{
	const struct des_slot *sx = &d->slots[x], *sy = &d->slots[y];
	if (sx->at != sy->at)
		return sx->at < sy->at;
	return sx->seq < sy->seq;
}

static void heap_set(struct des *d, uint32_t pos, uint32_t slot)
{
	d->heap[pos] = slot;
	d->slots[slot].heap_pos = pos;
}

static void sift_up(struct des *d, uint32_t pos)
{
	uint32_t slot = d->heap[pos];
	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;
		if (!slot_less(d, slot, d->heap[parent]))
			break;
		heap_set(d, pos, d->heap[parent]);
		pos = parent;
	}
	heap_set(d, pos, slot);
}

static void sift_down(struct des *d, uint32_t pos)
{
	uint32_t slot = d->heap[pos];
	for (;;) {
		uint32_t child = 2 * pos + 1;
		if (child >= d->heap_len)
			break;
		if (child + 1 < d->heap_len && slot_less(d, d->heap[child + 1], d->heap[child]))
			child++;
		if (!slot_less(d, d->heap[child], slot))
			break;
		heap_set(d, pos, d->heap[child]);
		pos = child;
	}
	heap_set(d, pos, slot);
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
		uint32_t *heap = realloc(d->heap, cap * sizeof(*heap));
		if (!slots || !heap)
			abort(); /* a lost event would silently change the run */
		d->slots = slots;
		d->heap = heap;
		d->cap_slots = cap;
	}
	d->slots[d->n_slots].gen = 0;
	return d->n_slots++;
}

static void slot_free(struct des *d, uint32_t slot)
{
	d->slots[slot].heap_pos = PS_NONE;
	d->slots[slot].gen++;
	d->slots[slot].next_free = d->free_head;
	d->free_head = slot;
}

des_timer des_schedule(struct des *d, ps_time at, unsigned type, uint32_t a, uint32_t b)
{
	uint32_t slot = slot_alloc(d);
	struct des_slot *s = &d->slots[slot];
	s->at = at < d->now ? d->now : at;
	s->seq = d->next_seq++;
	s->a = a;
	s->b = b;
	s->type = (uint16_t)type;
	d->heap[d->heap_len] = slot;
	s->heap_pos = d->heap_len++;
	sift_up(d, s->heap_pos);
	/* gen + 1 keeps every live handle non-zero (DES_NO_TIMER). */
	return ((uint64_t)(s->gen + 1) << 32) | slot;
}

static void heap_remove(struct des *d, uint32_t pos)
{
	uint32_t last = d->heap[--d->heap_len];
	if (pos == d->heap_len)
		return;
	heap_set(d, pos, last);
	sift_down(d, pos);
	sift_up(d, d->slots[last].heap_pos);
}

bool des_cancel(struct des *d, des_timer *timer)
{
	des_timer t = *timer;
	*timer = DES_NO_TIMER;
	if (t == DES_NO_TIMER)
		return false;
	uint32_t slot = (uint32_t)t;
	uint32_t gen = (uint32_t)(t >> 32) - 1;
	if (slot >= d->n_slots || d->slots[slot].gen != gen || d->slots[slot].heap_pos == PS_NONE)
		return false;
	heap_remove(d, d->slots[slot].heap_pos);
	slot_free(d, slot);
	return true;
}

ps_time des_now(const struct des *d)
{
	return d->now;
}

void des_set_now(struct des *d, ps_time now)
{
	if (now > d->now)
		d->now = now;
}

ps_time des_next_time(const struct des *d)
{
	return d->heap_len ? d->slots[d->heap[0]].at : PS_TIME_NEVER;
}

unsigned des_next_type(const struct des *d)
{
	return d->heap_len ? d->slots[d->heap[0]].type : DES_MAX_TYPES;
}

size_t des_pending(const struct des *d)
{
	return d->heap_len;
}

bool des_step(struct des *d, ps_time limit)
{
	if (d->heap_len == 0)
		return false;
	uint32_t slot = d->heap[0];
	struct des_slot ev = d->slots[slot];
	if (ev.at > limit)
		return false;
	heap_remove(d, 0);
	slot_free(d, slot);
	if (ev.at > d->now)
		d->now = ev.at;
	struct des_type *t = &d->types[ev.type];
	if (t->fn)
		t->fn(t->ctx, ev.a, ev.b);
	return true;
}
