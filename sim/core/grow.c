/*
 * grow.c: see grow.h.
 */
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *grow_to_hold(void *array, uint32_t *cap, size_t size, uint32_t index, uint32_t min_cap,
                   uint32_t *old_cap)
{
	uint32_t before = *cap;
	if (old_cap)
		*old_cap = before;
	if (index < before)
		return array;
	uint64_t n = before ? before : (min_cap ? min_cap : 16);
	while (n <= index)
		n *= 2;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	char *a = realloc(array, (size_t)n * size);
	if (!a) {
		fprintf(stderr, "poolsim: out of memory (growing an array to %llu entries)\n",
		        (unsigned long long)n);
		abort();
	}
	memset(a + (size_t)before * size, 0, (size_t)(n - before) * size);
	*cap = (uint32_t)n;
	return a;
}
