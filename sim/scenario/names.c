/*
 * names.c: the set of [host]/[load]/[event] names seen so far, so a name given
 * twice and a `host =` reference are found in O(1) however many sections a
 * file has.
 */
#include "reader.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ name index */

/* name_hash: FNV-1a, which multiplies modulo 2^32 by design. */
PS_MODULAR static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Every spec struct starts with its name, so one stride serves hosts, loads and events. */
static const char *name_at(const void *base, size_t stride, uint32_t i)
{
	return (const char *)base + (size_t)i * stride;
}

/* index_find: the index of `name`, or PS_NONE. */
uint32_t index_find(const struct name_index *ix, const void *base, size_t stride, const char *name)
{
	if (!ix->cap)
		return PS_NONE;
	for (uint32_t s = name_hash(name) & (ix->cap - 1);; s = (s + 1) & (ix->cap - 1)) {
		if (!ix->slot[s])
			return PS_NONE;
		if (strcmp(name_at(base, stride, ix->slot[s] - 1), name) == 0)
			return ix->slot[s] - 1;
	}
}

static void index_put(struct name_index *ix, const void *base, size_t stride, uint32_t i)
{
	uint32_t s = name_hash(name_at(base, stride, i)) & (ix->cap - 1);
	while (ix->slot[s])
		s = (s + 1) & (ix->cap - 1);
	ix->slot[s] = i + 1;
}

/* index_add: record entry i (0..i-1 are already in); false on out of memory. */
bool index_add(struct name_index *ix, const void *base, size_t stride, uint32_t i)
{
	if ((i + 1) * 2 > ix->cap) {
		uint32_t cap = ix->cap ? ix->cap * 2 : 64;
		uint32_t *slot = calloc(cap, sizeof *slot);
		if (!slot)
			return false;
		free(ix->slot);
		ix->slot = slot;
		ix->cap = cap;
		for (uint32_t j = 0; j < i; j++)
			index_put(ix, base, stride, j);
	}
	index_put(ix, base, stride, i);
	return true;
}
