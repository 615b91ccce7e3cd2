/*
 * grow.h: arrays indexed by a slot number (a conn, a request) that grow by
 * doubling when a slot beyond their end shows up. Growth is amortised, so a
 * steady state allocates nothing. Running out of memory aborts with a
 * message: every caller keeps a record of the run that must not silently
 * lose an entry.
 */
#ifndef POOLSIM_GROW_H
#define POOLSIM_GROW_H

#include "common.h"

/*
 * grow_to_hold: make `array` (of *cap elements of `size` bytes) hold index
 * `index`, doubling from at least `min_cap`. New elements are zeroed; the
 * caller may then give them other defaults from the old *cap (passed back
 * through *old_cap) up. Returns the (possibly moved) array.
 */
void *grow_to_hold(void *array, uint32_t *cap, size_t size, uint32_t index, uint32_t min_cap,
                   uint32_t *old_cap);

#endif
