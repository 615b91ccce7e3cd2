/*
 * heap.c: see heap.h.
 */
#include "heap.h"

#include <stdlib.h>

#include "grow.h"

#define HEAP_ARITY 4

void heap_init(struct heap *h)
{
	*h = (struct heap){0};
}

void heap_free(struct heap *h)
{
	free(h->entries);
	free(h->pos);
	heap_init(h);
}

int heap_reserve(struct heap *h, uint32_t n_ids)
{
	if (n_ids <= h->cap)
		return 0;
	if (n_ids > h->room) { /* the room doubles; only the positions below n_ids are touched */
		uint32_t room = grow_room_for(n_ids, 64);
		struct heap_entry *entries = realloc(h->entries, (size_t)room * sizeof *entries);
		if (!entries)
			return -1;
		h->entries = entries;
		uint32_t *pos = realloc(h->pos, (size_t)room * sizeof *pos);
		if (!pos)
			return -1; /* entries is larger, which is harmless */
		h->pos = pos;
		h->room = room;
	}
	for (uint32_t i = h->cap; i < n_ids; i++)
		h->pos[i] = HEAP_ABSENT;
	h->cap = n_ids;
	return 0;
}

static inline bool entry_less(const struct heap_entry *x, const struct heap_entry *y)
{
	if (x->at != y->at)
		return x->at < y->at;
	return x->seq < y->seq;
}

static inline void put(struct heap *h, uint32_t pos, const struct heap_entry *e)
{
	h->entries[pos] = *e;
	h->pos[e->id] = pos;
}

static void sift_up(struct heap *h, uint32_t pos, struct heap_entry e)
{
	while (pos > 0) {
		uint32_t parent = (pos - 1) / HEAP_ARITY;
		if (!entry_less(&e, &h->entries[parent]))
			break;
		put(h, pos, &h->entries[parent]);
		pos = parent;
	}
	put(h, pos, &e);
}

static void sift_down(struct heap *h, uint32_t pos, struct heap_entry e)
{
	for (;;) {
		uint32_t first = HEAP_ARITY * pos + 1;
		if (first >= h->len)
			break;
		uint32_t last = first + HEAP_ARITY < h->len ? first + HEAP_ARITY : h->len;
		uint32_t best = first;
		for (uint32_t c = first + 1; c < last; c++)
			if (entry_less(&h->entries[c], &h->entries[best]))
				best = c;
		if (!entry_less(&h->entries[best], &e))
			break;
		put(h, pos, &h->entries[best]);
		pos = best;
	}
	put(h, pos, &e);
}

void heap_push(struct heap *h, int64_t at, uint64_t seq, uint32_t id)
{
	struct heap_entry e = {.at = at, .seq = seq, .id = id};
	sift_up(h, h->len++, e);
}

static void remove_at(struct heap *h, uint32_t pos)
{
	h->pos[h->entries[pos].id] = HEAP_ABSENT;
	struct heap_entry last = h->entries[--h->len];
	if (pos == h->len)
		return;
	if (pos > 0 && entry_less(&last, &h->entries[(pos - 1) / HEAP_ARITY]))
		sift_up(h, pos, last);
	else
		sift_down(h, pos, last);
}

bool heap_remove(struct heap *h, uint32_t id)
{
	if (!heap_queued(h, id))
		return false;
	remove_at(h, h->pos[id]);
	return true;
}

void heap_pop(struct heap *h)
{
	if (h->len)
		remove_at(h, 0);
}
