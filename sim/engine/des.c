/*
 * des.c: a 4-ary min-heap of event slots ordered by (time, seq).
 *
 * Slots live in one array and are recycled through a free list; the heap is
 * an array of (time, seq, slot) entries, keys kept in the heap itself so a
 * sift touches one array (4-ary: fewer levels, a cache line per sibling
 * group; 22% less CPU than a binary heap on the medium benchmark, see
 * docs/performance.md), and each slot knows its heap position, so cancel
 * removes from the middle in O(log n). A handle carries the slot's
 * generation, bumped on every reuse, so cancelling a handle whose event
 * already ran is a harmless no-op.
 */
#include "des.h"

#include <stdlib.h>
#include <string.h>

struct des_slot {
	uint32_t a, b;
	uint32_t gen;
	uint32_t heap_pos; /* PS_NONE when free */
	uint32_t next_free;
	uint16_t type;
};

/*
 * A heap entry carries its own (time, seq) key, so sifting compares within
 * the heap array instead of chasing each slot (a cache miss per compare on
 * large runs). The heap is 4-ary: half the levels of a binary heap, and the
 * four children of a node share a cache line or two.
 */
struct des_entry {
	ps_time at;
	uint64_t seq;
	uint32_t slot;
};

#define DES_ARITY 4

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
	struct des_entry *heap;
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

static inline bool entry_less(const struct des_entry *x, const struct des_entry *y)
{
	if (x->at != y->at)
		return x->at < y->at;
	return x->seq < y->seq;
}

static inline void heap_put(struct des *d, uint32_t pos, const struct des_entry *e)
{
	d->heap[pos] = *e;
	d->slots[e->slot].heap_pos = pos;
}

static void sift_up(struct des *d, uint32_t pos, struct des_entry e)
{
	while (pos > 0) {
		uint32_t parent = (pos - 1) / DES_ARITY;
		if (!entry_less(&e, &d->heap[parent]))
			break;
		heap_put(d, pos, &d->heap[parent]);
		pos = parent;
	}
	heap_put(d, pos, &e);
}

static void sift_down(struct des *d, uint32_t pos, struct des_entry e)
{
	for (;;) {
		uint32_t first = DES_ARITY * pos + 1;
		if (first >= d->heap_len)
			break;
		uint32_t last = first + DES_ARITY < d->heap_len ? first + DES_ARITY : d->heap_len;
		uint32_t best = first;
		for (uint32_t c = first + 1; c < last; c++)
			if (entry_less(&d->heap[c], &d->heap[best]))
				best = c;
		if (!entry_less(&d->heap[best], &e))
			break;
		heap_put(d, pos, &d->heap[best]);
		pos = best;
	}
	heap_put(d, pos, &e);
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
		struct des_entry *heap = realloc(d->heap, cap * sizeof(*heap));
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
	s->a = a;
	s->b = b;
	s->type = (uint16_t)type;
	struct des_entry e = {.at = at < d->now ? d->now : at, .seq = d->next_seq++, .slot = slot};
	sift_up(d, d->heap_len++, e);
	/* gen + 1 keeps every live handle non-zero (DES_NO_TIMER). */
	return ((uint64_t)(s->gen + 1) << 32) | slot;
}

static void heap_remove(struct des *d, uint32_t pos)
{
	struct des_entry last = d->heap[--d->heap_len];
	if (pos == d->heap_len)
		return;
	if (pos > 0 && entry_less(&last, &d->heap[(pos - 1) / DES_ARITY]))
		sift_up(d, pos, last);
	else
		sift_down(d, pos, last);
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
	return d->heap_len ? d->heap[0].at : PS_TIME_NEVER;
}

unsigned des_next_type(const struct des *d)
{
	return d->heap_len ? d->slots[d->heap[0].slot].type : DES_MAX_TYPES;
}

size_t des_pending(const struct des *d)
{
	return d->heap_len;
}

bool des_step(struct des *d, ps_time limit)
{
	if (d->heap_len == 0 || d->heap[0].at > limit)
		return false;
	ps_time at = d->heap[0].at;
	uint32_t slot = d->heap[0].slot;
	struct des_slot ev = d->slots[slot];
	heap_remove(d, 0);
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
