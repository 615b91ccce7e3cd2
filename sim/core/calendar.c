/*
 * calendar.c: see calendar.h.
 *
 * Invariant: every queued id's at is at or after the start of cur's window
 * (cur_end - width), and min is the earliest of them or CALENDAR_NONE (not
 * known yet); so the first bucket from cur whose head falls in its window
 * this year holds the minimum at its head. A push earlier than min (or than
 * cur's window) re-aims cur at it.
 */
#include "calendar.h"

#include <stdlib.h>

#include "grow.h"

#define MIN_BUCKETS      16u
#define FIRST_WIDTH_BITS 20    /* about 1 ms, until the first rebuild measures the spacing */
#define PERIOD_OPS       1024u /* at least this many operations between two cost checks */
#define STEPS_PER_OP     4u    /* more buckets walked or entries stepped over per op: rebuild */
#define SAMPLE           32u   /* gaps between the earliest instants that set the width */

void calendar_init(struct calendar *c)
{
	*c = (struct calendar){.min = CALENDAR_NONE,
	                       .width_bits = FIRST_WIDTH_BITS,
	                       .width = 1ll << FIRST_WIDTH_BITS,
	                       .far_next = 1};
	for (uint32_t i = 0; i < CALENDAR_FAR_LISTS; i++)
		c->far[i].head = c->far[i].tail = CALENDAR_NONE;
}

void calendar_free(struct calendar *c)
{
	free(c->nodes);
	free(c->buckets);
	calendar_init(c);
}

static int64_t non_negative(int64_t at)
{
	return at < 0 ? 0 : at;
}

static uint32_t bucket_of(const struct calendar *c, int64_t at)
{
	return (uint32_t)((uint64_t)non_negative(at) >> c->width_bits) & (c->n_buckets - 1);
}

/* The far lists' window of at: an id is far while it is at or past far_next. */
static uint64_t window_of(int64_t at)
{
	return (uint64_t)non_negative(at) >> CALENDAR_FAR_BITS;
}

static bool is_far(const struct calendar *c, int64_t at)
{
	return window_of(at) >= c->far_next;
}

static struct calendar_bucket *far_list(struct calendar *c, uint64_t window)
{
	return &c->far[window & (CALENDAR_FAR_LISTS - 1)];
}

/* The first id of a window's far list, for walking it. */
static uint32_t far_head(const struct calendar *c, uint64_t window)
{
	return c->far[window & (CALENDAR_FAR_LISTS - 1)].head;
}

static int64_t add_saturated(int64_t x, int64_t y)
{
	return x > INT64_MAX - y ? INT64_MAX : x + y;
}

/* The end of the window (of this year) that holds at. */
static int64_t window_end(const struct calendar *c, int64_t at)
{
	at = non_negative(at);
	return add_saturated(at & ~(c->width - 1), c->width);
}

static struct calendar_bucket *alloc_buckets(uint32_t n)
{
	struct calendar_bucket *b = malloc((size_t)n * sizeof *b);
	for (uint32_t i = 0; b && i < n; i++)
		b[i].head = b[i].tail = CALENDAR_NONE;
	return b;
}

/* When the next rebuild is due: the length outgrows or undergrows the buckets, or a period ends. */
static void set_thresholds(struct calendar *c)
{
	uint32_t n = c->n_buckets;
	c->grow_at = n < (1u << 30) ? 2 * n : UINT32_MAX;
	c->shrink_at = n > MIN_BUCKETS ? n / 2 : 0;
	c->period_ops = PERIOD_OPS + n;
}

int calendar_reserve(struct calendar *c, uint32_t n_ids)
{
	if (!c->buckets) {
		if (!(c->buckets = alloc_buckets(MIN_BUCKETS)))
			return -1;
		c->n_buckets = MIN_BUCKETS;
		set_thresholds(c);
	}
	if (n_ids <= c->cap)
		return 0;
	if (n_ids > c->room) { /* the room doubles; only the nodes below n_ids are touched */
		uint32_t room = grow_room_for(n_ids, 64);
		struct calendar_node *nodes = realloc(c->nodes, (size_t)room * sizeof *nodes);
		if (!nodes)
			return -1;
		c->nodes = nodes;
		c->room = room;
	}
	for (uint32_t i = c->cap; i < n_ids; i++)
		c->nodes[i] = (struct calendar_node){.prev = CALENDAR_OUT};
	c->cap = n_ids;
	return 0;
}

/* id into the list just after `after` (CALENDAR_NONE: at its head). */
static void link_after(struct calendar *c, struct calendar_bucket *list, uint32_t after,
                       uint32_t id)
{
	struct calendar_node *n = &c->nodes[id];
	n->prev = after;
	n->next = after == CALENDAR_NONE ? list->head : c->nodes[after].next;
	if (after == CALENDAR_NONE)
		list->head = id;
	else
		c->nodes[after].next = id;
	if (n->next == CALENDAR_NONE)
		list->tail = id;
	else
		c->nodes[n->next].prev = id;
}

/* Into bucket b's sorted list after every id of its time, walking back from the tail: a new
 * event is usually the latest. */
static void link_sorted(struct calendar *c, uint32_t b, uint32_t id)
{
	int64_t at = c->nodes[id].at;
	uint32_t after = c->buckets[b].tail;
	while (after != CALENDAR_NONE && at < c->nodes[after].at) {
		after = c->nodes[after].prev;
		c->steps++;
	}
	link_after(c, &c->buckets[b], after, id);
}

/* Into bucket b's sorted list before every id of its time, walking on from the head: for the
 * ids a sample took out, which were queued before any id of their time still queued. */
static void link_first_of_its_time(struct calendar *c, uint32_t b, uint32_t id)
{
	int64_t at = c->nodes[id].at;
	uint32_t after = CALENDAR_NONE;
	for (uint32_t n = c->buckets[b].head; n != CALENDAR_NONE && c->nodes[n].at < at;
	     n = c->nodes[n].next) {
		after = n;
		c->steps++;
	}
	link_after(c, &c->buckets[b], after, id);
}

static void unlink_from(struct calendar *c, struct calendar_bucket *list, uint32_t id)
{
	struct calendar_node *n = &c->nodes[id];
	if (n->prev == CALENDAR_NONE)
		list->head = n->next;
	else
		c->nodes[n->prev].next = n->next;
	if (n->next == CALENDAR_NONE)
		list->tail = n->prev;
	else
		c->nodes[n->next].prev = n->prev;
	n->prev = CALENDAR_OUT;
}

static void aim_at(struct calendar *c, uint32_t id)
{
	c->min = id;
	if (id != CALENDAR_NONE) {
		c->cur = bucket_of(c, c->nodes[id].at);
		c->cur_end = window_end(c, c->nodes[id].at);
	}
}

/* Every bucket's head, when a whole year's walk found none in its window (a sparse queue). */
static void direct_search(struct calendar *c)
{
	uint32_t best = CALENDAR_NONE;
	for (uint32_t b = 0; b < c->n_buckets; b++) {
		uint32_t h = c->buckets[b].head;
		if (h != CALENDAR_NONE &&
		    (best == CALENDAR_NONE || c->nodes[h].at < c->nodes[best].at))
			best = h;
	}
	c->steps += c->n_buckets;
	aim_at(c, best);
}

/* The minimum, walking on from cur (the old minimum's bucket). */
static void find_min(struct calendar *c)
{
	for (uint32_t i = 0; i < c->n_buckets; i++) {
		uint32_t h = c->buckets[c->cur].head;
		if (h != CALENDAR_NONE && c->nodes[h].at < c->cur_end) {
			c->min = h;
			return;
		}
		c->cur = (c->cur + 1) & (c->n_buckets - 1);
		c->cur_end = add_saturated(c->cur_end, c->width);
		c->steps++;
	}
	direct_search(c);
}

/*
 * The far ids of window far_next into the buckets, in their push order, and the horizon one
 * window on. Returns the earliest it moved (the first pushed of its time), CALENDAR_NONE if
 * none. Ids of the list's later years stay where they are.
 */
static uint32_t move_window(struct calendar *c)
{
	uint64_t window = c->far_next++;
	struct calendar_bucket *list = far_list(c, window);
	uint32_t earliest = CALENDAR_NONE;
	for (uint32_t id = list->head, next; id != CALENDAR_NONE; id = next) {
		next = c->nodes[id].next;
		int64_t at = c->nodes[id].at;
		if (window_of(at) != window)
			continue;
		unlink_from(c, list, id);
		link_sorted(c, bucket_of(c, at), id);
		c->far_len--;
		c->near_len++;
		if (earliest == CALENDAR_NONE || at < c->nodes[earliest].at)
			earliest = id;
	}
	return earliest;
}

/* The earliest far window that holds an id, when the buckets ran empty: the lists' next
 * year by window (each list's ids are usually of one window), then a look at every far id. */
static uint64_t first_far_window(const struct calendar *c)
{
	for (uint64_t w = c->far_next; w < c->far_next + CALENDAR_FAR_LISTS; w++)
		for (uint32_t id = far_head(c, w); id != CALENDAR_NONE; id = c->nodes[id].next)
			if (window_of(c->nodes[id].at) == w)
				return w;
	uint64_t first = UINT64_MAX;
	for (uint32_t i = 0; i < CALENDAR_FAR_LISTS; i++)
		for (uint32_t id = c->far[i].head; id != CALENDAR_NONE; id = c->nodes[id].next)
			if (window_of(c->nodes[id].at) < first)
				first = window_of(c->nodes[id].at);
	return first;
}

/* The earliest id of a far window (the first pushed of its time). */
static uint32_t earliest_in_window(const struct calendar *c, uint64_t window)
{
	uint32_t earliest = CALENDAR_NONE;
	for (uint32_t id = far_head(c, window); id != CALENDAR_NONE; id = c->nodes[id].next)
		if (window_of(c->nodes[id].at) == window &&
		    (earliest == CALENDAR_NONE || c->nodes[id].at < c->nodes[earliest].at))
			earliest = id;
	return earliest;
}

/*
 * The buckets are empty and far ids wait. If the earliest of them is within two windows of
 * the last id popped, its window moves in and its earliest is the minimum. If it is further
 * on, it is the minimum where it is: the buckets are empty, as often as not, only between a
 * pop and the next push of its handler, and a window of 10-hour responses moved in then
 * would sit in the buckets, every push stepping over it, for hours of the queue's time.
 */
static void refill_from_far(struct calendar *c)
{
	uint64_t window = first_far_window(c);
	if (window > window_of(c->last_at) + 2) {
		c->min = earliest_in_window(c, window);
		return;
	}
	c->far_next = window;
	aim_at(c, move_window(c));
}

/*
 * The minimum is found when asked for, not when the old one leaves: after a
 * pop, the event's handler usually pushes the next one near by, and an eager
 * walk would first have crossed the whole year to a far timer (with only
 * 10-hour responses left behind an arrival stream, every pop did). Once found,
 * the window past the horizon moves in if the minimum has come within a window
 * of it: all of it is later than the minimum, which stays.
 */
uint32_t calendar_top(struct calendar *c)
{
	if (c->min != CALENDAR_NONE || !c->len)
		return c->min;
	if (c->near_len == 0)
		refill_from_far(c);
	else
		find_min(c);
	while (c->far_len && !is_far(c, c->nodes[c->min].at) &&
	       window_of(c->nodes[c->min].at) + 1 >= c->far_next)
		move_window(c);
	return c->min;
}

static void take_out(struct calendar *c, uint32_t id)
{
	int64_t at = c->nodes[id].at;
	if (is_far(c, at)) {
		unlink_from(c, far_list(c, window_of(at)), id);
		c->far_len--;
	} else {
		unlink_from(c, &c->buckets[bucket_of(c, at)], id);
		c->near_len--;
	}
	c->len--;
	c->ops++;
	if (id == c->min)
		c->min =
		    CALENDAR_NONE; /* not known until asked; cur's window still starts below all */
}

/*
 * Three times the mean spacing of the earliest distinct instants (Brown's
 * rule, gaps over twice the mean left out), or the old width when the queue
 * holds fewer than two instants. The ids it takes out to look (up to SAMPLE
 * gaps' worth: a burst at one instant counts as one) are chained through
 * their next links from *latest, the last taken first, for the caller to put
 * back; *earliest is the first taken.
 */
static int64_t sample_width(struct calendar *c, uint32_t *latest, uint32_t *earliest)
{
	int64_t gaps[SAMPLE], prev_at = 0;
	uint32_t n_gaps = 0;
	*latest = *earliest = CALENDAR_NONE;
	for (uint32_t id; n_gaps < SAMPLE && (id = calendar_top(c)) != CALENDAR_NONE &&
	                  !is_far(c, c->nodes[id].at);) {
		int64_t at = c->nodes[id].at;
		take_out(c, id);
		if (*latest != CALENDAR_NONE && at > prev_at)
			gaps[n_gaps++] = at - prev_at;
		else if (*latest == CALENDAR_NONE)
			*earliest = id;
		c->nodes[id].next = *latest;
		*latest = id;
		prev_at = at;
	}
	if (n_gaps == 0)
		return c->width;
	int64_t sum = 0;
	for (uint32_t i = 0; i < n_gaps; i++)
		sum += gaps[i];
	int64_t mean = sum / n_gaps, kept = 0, n_kept = 0;
	for (uint32_t i = 0; i < n_gaps; i++)
		if (gaps[i] <= 2 * mean) {
			kept += gaps[i];
			n_kept++;
		}
	int64_t width = 3 * (n_kept ? kept / n_kept : mean);
	return width > 0 ? width : 1;
}

/* The power of two nearest below 2 * width: a bucket index is then a shift, not a division. */
static unsigned width_bits_of(int64_t width)
{
	unsigned bits = 0;
	while (bits < 62 && ((int64_t)1 << (bits + 1)) <= width)
		bits++;
	return bits;
}

/* The ids chained from `latest` (sample_width's, the last taken first) into the current
 * buckets, each before every id of its time still queued (all of which were pushed later). */
static void put_back(struct calendar *c, uint32_t latest)
{
	for (uint32_t id = latest, next; id != CALENDAR_NONE; id = next) {
		next = c->nodes[id].next;
		link_first_of_its_time(c, bucket_of(c, c->nodes[id].at), id);
		c->len++;
		c->near_len++;
	}
}

/* Every id of the old buckets into the current ones. */
static void relink(struct calendar *c, struct calendar_bucket *old, uint32_t n_old)
{
	for (uint32_t b = 0; b < n_old; b++)
		for (uint32_t id = old[b].head, next; id != CALENDAR_NONE; id = next) {
			next = c->nodes[id].next;
			link_sorted(c, bucket_of(c, c->nodes[id].at), id);
		}
}

/*
 * n_buckets buckets and a width measured again; nothing when neither would change (the old
 * buckets also stay when the new ones cannot be allocated).
 */
static void rebuild(struct calendar *c, uint32_t n_buckets)
{
	uint32_t latest, earliest;
	unsigned bits = width_bits_of(sample_width(c, &latest, &earliest));
	struct calendar_bucket *fresh = NULL;
	if (bits != c->width_bits || n_buckets != c->n_buckets)
		fresh = alloc_buckets(n_buckets);
	if (fresh) {
		struct calendar_bucket *old = c->buckets;
		uint32_t n_old = c->n_buckets;
		c->buckets = fresh;
		c->n_buckets = n_buckets;
		c->width_bits = bits;
		c->width = (int64_t)1 << bits;
		relink(c, old, n_old);
		free(old);
	}
	put_back(c, latest);
	aim_at(c, earliest);
	set_thresholds(c);
	c->ops = c->steps = 0;
}

/* Buckets double or halve with the length; the width is measured again when the walks grow. */
static void rebuild_if_due(struct calendar *c)
{
	uint32_t n = c->n_buckets;
	if (c->near_len > c->grow_at)
		rebuild(c, 2 * n);
	else if (c->near_len < c->shrink_at)
		rebuild(c, n / 2);
	else {
		if (c->steps > STEPS_PER_OP * c->ops)
			rebuild(c, n);
		c->ops = c->steps = 0;
	}
}

/* The common case is one test of four counters against the thresholds of the last rebuild. */
static inline void maybe_rebuild(struct calendar *c)
{
	if (c->near_len > c->grow_at || c->near_len < c->shrink_at || c->ops >= c->period_ops ||
	    c->steps >= STEPS_PER_OP * c->period_ops)
		rebuild_if_due(c);
}

void calendar_push(struct calendar *c, int64_t at, uint32_t id)
{
	struct calendar_node *n = &c->nodes[id];
	n->at = at;
	c->ops++;
	c->len++;
	if (is_far(c, at)) { /* never the minimum while the buckets hold any id */
		struct calendar_bucket *list = far_list(c, window_of(at));
		link_after(c, list, list->tail, id);
		c->far_len++;
		if (c->min != CALENDAR_NONE && c->near_len == 0 && at < c->nodes[c->min].at)
			c->min = id; /* before the far minimum refill_from_far left in its list */
		return;
	}
	link_sorted(c, bucket_of(c, at), id);
	/* The earliest: before the known minimum, or (minimum not known) before cur's window,
	 * below which nothing is queued; or the buckets were empty (any far id is later). */
	if (c->near_len == 0 ||
	    (c->min != CALENDAR_NONE ? at < c->nodes[c->min].at : at < c->cur_end - c->width))
		aim_at(c, id);
	c->near_len++;
	maybe_rebuild(c);
}

bool calendar_remove(struct calendar *c, uint32_t id)
{
	if (!calendar_queued(c, id))
		return false;
	take_out(c, id);
	maybe_rebuild(c);
	return true;
}

void calendar_pop(struct calendar *c)
{
	uint32_t id = calendar_top(c);
	if (id == CALENDAR_NONE)
		return;
	c->last_at = c->nodes[id].at;
	take_out(c, id);
	maybe_rebuild(c);
}
