/*
 * grow.c: see grow.h.
 */
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void grow_out_of_memory(uint64_t entries)
{
	fprintf(stderr, "poolsim: out of memory (growing an array to %llu entries)\n",
	        (unsigned long long)entries);
	abort();
}

uint32_t grow_room_for(uint64_t n, uint32_t min_cap)
{
	uint64_t room = min_cap ? min_cap : 16;
	while (room < n)
		room *= 2;
	return room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
}

/* grow_to_hold when index is at or past *cap. */
void *grow_to_hold_beyond(void *array, uint32_t *cap, size_t size, uint32_t index, uint32_t min_cap)
{
	uint32_t before = *cap;
	uint64_t page = GROW_TOUCH_BYTES / size ? GROW_TOUCH_BYTES / size : 1;
	uint64_t n = ((uint64_t)index / page + 1) * page;
	uint64_t room = grow_room_for(n, min_cap);
	if (n > room)
		n = room;
	char *a = array;
	if (!before || grow_room_for(before, min_cap) < room) {
		a = realloc(array, (size_t)room * size);
		if (!a)
			grow_out_of_memory(room);
	}
	memset(a + (size_t)before * size, 0, (size_t)(n - before) * size);
	*cap = (uint32_t)n;
	return a;
}
