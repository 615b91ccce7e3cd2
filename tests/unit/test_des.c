/*
 * test_des.c: the event queue: (time, seq) order, cancel, stale handles,
 * and a clock that never runs backwards.
 */
#include <check.h>
#include <stdlib.h>

#include "des.h"
#include "calendar.h"
#include "grow.h"
#include "heap.h"
#include "slots.h"

struct log {
	uint32_t seen[64];
	int n;
};

static void record(void *ctx, uint32_t a, uint32_t b)
{
	struct log *l = ctx;
	l->seen[l->n++] = a;
}

START_TEST(test_des_runs_by_time_then_schedule_order)
{
	struct des *d = des_create();
	struct log l = {0};
	des_on(d, 0, record, &l);
	des_schedule(d, 30, 0, 1, 0);
	des_schedule(d, 10, 0, 2, 0);
	des_schedule(d, 30, 0, 3, 0); /* same instant as 1, scheduled later: runs after it */
	des_schedule(d, 20, 0, 4, 0);
	while (des_step(d, PS_TIME_NEVER))
		;
	uint32_t want[] = {2, 4, 1, 3};
	ck_assert_int_eq(l.n, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(l.seen[i], want[i]);
	ck_assert_int_eq(des_now(d), 30);
	des_destroy(d);
}
END_TEST

START_TEST(test_des_cancel_removes_from_the_middle)
{
	struct des *d = des_create();
	struct log l = {0};
	des_on(d, 0, record, &l);
	des_timer t[20];
	for (uint32_t i = 0; i < 20; i++)
		t[i] = des_schedule(d, (ps_time)((i * 7) % 20), 0, i, 0);
	for (int i = 0; i < 20; i += 2)
		ck_assert(des_cancel(d, &t[i]));
	ck_assert_uint_eq(des_pending(d), 10);
	ps_time last = -1;
	while (des_step(d, PS_TIME_NEVER)) {
		ck_assert_int_ge(des_now(d), last);
		last = des_now(d);
	}
	ck_assert_int_eq(l.n, 10);
	for (int i = 0; i < l.n; i++)
		ck_assert_uint_eq(l.seen[i] % 2, 1);
	des_destroy(d);
}
END_TEST

START_TEST(test_des_stale_handle_cancels_nothing)
{
	struct des *d = des_create();
	struct log l = {0};
	des_on(d, 0, record, &l);
	des_timer old = des_schedule(d, 5, 0, 1, 0);
	des_timer copy = old;
	ck_assert(des_step(d, PS_TIME_NEVER));
	des_timer fresh = des_schedule(d, 9, 0, 2, 0); /* reuses the slot */
	ck_assert(!des_cancel(d, &copy));
	ck_assert_uint_eq(copy, DES_NO_TIMER);
	ck_assert_uint_eq(des_pending(d), 1);
	ck_assert(des_cancel(d, &fresh));
	ck_assert(!des_cancel(d, &fresh));
	des_destroy(d);
}
END_TEST

/* A handle keeps DES_GEN_BITS of its slot's generation: kept past its event, it cancels
 * nothing for 2^DES_GEN_BITS - 1 reuses of the slot, and each such cancel is counted (the
 * count is what test_client's holders are checked by). */
static void count_run(void *ctx, uint32_t a, uint32_t b)
{
	(*(uint32_t *)ctx)++;
}

START_TEST(test_des_stale_handle_is_counted_through_every_reuse_before_wrap)
{
	struct des *d = des_create();
	uint32_t runs = 0;
	des_on(d, 0, count_run, &runs);
	des_timer stale = des_schedule(d, 0, 0, 1, 0);
	ck_assert(des_step(d, PS_TIME_NEVER));
	for (uint32_t reuse = 1; reuse < (1u << DES_GEN_BITS); reuse++) {
		des_timer fresh = des_schedule(d, 0, 0, 2, 0);
		ck_assert_uint_eq(fresh & DES_MAX_PENDING, stale & DES_MAX_PENDING); /* one slot */
		des_timer copy = stale;
		ck_assert(!des_cancel(d, &copy));
		ck_assert_uint_eq(copy, DES_NO_TIMER);
		ck_assert_uint_eq(des_stale_cancels(d), reuse);
		ck_assert_uint_eq(des_pending(d), 1);
		ck_assert(des_step(d, PS_TIME_NEVER));
	}
	/* The 2^DES_GEN_BITS-th reuse gives the stale handle's bits again: why holders clear. */
	des_timer wrapped = des_schedule(d, 0, 0, 3, 0);
	ck_assert_uint_eq(wrapped, stale);
	ck_assert(des_cancel(d, &wrapped));
	ck_assert_uint_eq(runs, 1u << DES_GEN_BITS);
	des_destroy(d);
}
END_TEST

START_TEST(test_des_step_respects_limit_and_past_is_now)
{
	struct des *d = des_create();
	struct log l = {0};
	des_on(d, 0, record, &l);
	des_schedule(d, 100, 0, 1, 0);
	ck_assert(!des_step(d, 99));
	ck_assert_int_eq(des_now(d), 0);
	ck_assert(des_step(d, 100));
	des_schedule(d, 50, 0, 2, 0); /* in the past: runs at now */
	ck_assert_int_eq(des_next_time(d), 100);
	ck_assert(des_step(d, 100));
	ck_assert_int_eq(des_now(d), 100);
	ck_assert_int_eq(des_next_time(d), PS_TIME_NEVER);
	des_destroy(d);
}
END_TEST

/* lcg_next: Knuth's MMIX LCG, modulo 2^64 by design. */
PS_MODULAR static uint64_t lcg_next(uint64_t x)
{
	return x * 6364136223846793005ULL + 1442695040888963407ULL;
}

START_TEST(test_des_heap_order_holds_for_many_random_events)
{
	struct des *d = des_create();
	struct log l = {0};
	des_on(d, 0, record, &l);
	uint64_t x = 12345;
	for (int i = 0; i < 5000; i++) {
		x = lcg_next(x);
		des_schedule(d, (ps_time)(x >> 44), 0, 0, 0);
	}
	ps_time last = 0;
	int n = 0;
	while (des_next_time(d) != PS_TIME_NEVER) {
		ck_assert_int_ge(des_next_time(d), last);
		last = des_next_time(d);
		l.n = 0;
		des_step(d, PS_TIME_NEVER);
		n++;
	}
	ck_assert_int_eq(n, 5000);
	des_destroy(d);
}
END_TEST

/* The heap alone: ids removed from anywhere never come out; the rest by (at, seq). */
START_TEST(test_heap_remove_anywhere_then_pop_in_key_order)
{
	struct heap h;
	heap_init(&h);
	ck_assert_int_eq(heap_reserve(&h, 300), 0);
	for (uint32_t id = 0; id < 300; id++)
		heap_push(&h, (int64_t)((id * 7919u) % 50), 299 - id, id);
	for (uint32_t id = 0; id < 300; id += 3)
		ck_assert(heap_remove(&h, id));
	ck_assert(!heap_remove(&h, 0)); /* already out */
	ck_assert(!heap_queued(&h, 3));
	ck_assert(heap_queued(&h, 4));
	int64_t at = -1;
	uint64_t seq = 0;
	uint32_t n = 0;
	for (const struct heap_entry *e; (e = heap_top(&h)); heap_pop(&h), n++) {
		ck_assert_uint_ne(e->id % 3, 0);
		ck_assert(e->at > at || (e->at == at && e->seq > seq));
		at = e->at;
		seq = e->seq;
	}
	ck_assert_uint_eq(n, 200);
	heap_free(&h);
}
END_TEST

/* A random key in one of four regimes: one instant (a burst), dense (ns apart), sparse (ms
 * apart) and far (an idle timer minutes ahead), so the calendar rebuilds for each. */
static int64_t random_key(uint64_t *x, int64_t now, int phase)
{
	*x = lcg_next(*x);
	uint64_t r = *x >> 20;
	switch (phase % 4) {
	case 0:
		return now;
	case 1:
		return now + (int64_t)(r % 5000);
	case 2:
		return now + (int64_t)(r % 200000000);
	default:
		return now + (r % 8 ? (int64_t)(r % 100000) : 90 * PS_SEC + (int64_t)(r % 1000));
	}
}

/* The heap and the calendar, empty, each with room for ids below n: the pair under check. */
static void init_both(struct heap *h, struct calendar *c, uint32_t n)
{
	heap_init(h);
	calendar_init(c);
	ck_assert_int_eq(heap_reserve(h, n), 0);
	ck_assert_int_eq(calendar_reserve(c, n), 0);
}

/* id queued at `at` on both, the heap told the push order the calendar keeps by itself. */
static void push_both(struct heap *h, struct calendar *c, int64_t at, uint64_t *seq, uint32_t id)
{
	heap_push(h, at, (*seq)++, id);
	calendar_push(c, at, id);
}

/* One step of the check: both queues' earliest id is the same, then it leaves both. */
static int64_t pop_both(struct heap *h, struct calendar *c)
{
	const struct heap_entry *e = heap_top(h);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(calendar_top(c), e->id);
	int64_t at = e->at;
	heap_pop(h);
	calendar_pop(c);
	return at;
}

/* The calendar queue gives exactly the heap's (at, seq) order under pushes, pops and removes
 * from anywhere, through growth, shrinking and every spacing regime (it rebuilds for each). */
START_TEST(test_calendar_order_equals_the_heap_under_every_spacing)
{
	enum { IDS = 5000 };
	struct heap h;
	struct calendar c;
	init_both(&h, &c, IDS);
	uint64_t x = 99, seq = 0;
	int64_t now = 0;
	for (int phase = 0; phase < 12; phase++) {
		for (int i = 0; i < 10000; i++) {
			x = lcg_next(x);
			uint32_t id = (uint32_t)((x >> 33) % IDS);
			bool grow = (phase / 4) % 2 == 0; /* phases 0-3 and 8-11 fill, 4-7 drain */
			if (!heap_queued(&h, id) && (x >> 60) < (grow ? 12u : 6u)) {
				push_both(&h, &c, random_key(&x, now, phase), &seq, id);
			} else if (heap_queued(&h, id) && (x >> 60) < 3u) {
				ck_assert(heap_remove(&h, id));
				ck_assert(calendar_remove(&c, id));
			} else if (h.len) {
				now = pop_both(&h, &c);
			}
			ck_assert(calendar_queued(&c, id) == heap_queued(&h, id));
			ck_assert_uint_eq(c.len, h.len);
		}
	}
	while (h.len)
		pop_both(&h, &c);
	ck_assert_uint_eq(calendar_top(&c), CALENDAR_NONE);
	ck_assert(!calendar_remove(&c, 0));
	calendar_free(&c);
	heap_free(&h);
}
END_TEST

/* A key for the far lists: near (under a window), a few windows on, past the lists' year
 * (1024 windows: hours ahead) or on a window's first ns; a tenth of the pushes repeat the
 * last key, so far ids of one time keep their push order too. */
static int64_t far_key(uint64_t *x, int64_t now, int64_t last)
{
	*x = lcg_next(*x);
	uint64_t r = *x >> 16;
	const int64_t window = (int64_t)1 << CALENDAR_FAR_BITS;
	switch (r % 10) {
	case 0:
		return last > now ? last : now;
	case 1:
		return now + (int64_t)((r >> 8) % 1000);
	case 2:
		return now + window * (int64_t)((r >> 8) % 4);
	case 3:
		return (now / window + 1 + (int64_t)((r >> 8) % 3)) * window;
	case 4:
		return now + window * (int64_t)(1000 + (r >> 8) % 3000);
	default:
		return now + (int64_t)((r >> 8) % (3 * window));
	}
}

/* Far ids (CALENDAR_FAR_BITS windows ahead, beyond the lists' year, and ten at the end of
 * time, queued throughout) leave in the heap's (at, seq) order, through removes, windows
 * moving in as the clock nears them, and the buckets running empty with only far ids left
 * (the sparse phases). */
START_TEST(test_calendar_far_ids_keep_the_heap_order)
{
	enum { IDS = 3000, AT_THE_END = 10 };
	struct heap h;
	struct calendar c;
	init_both(&h, &c, IDS);
	uint64_t x = 7, seq = 0;
	int64_t now = 0, last = 0;
	for (uint32_t id = 0; id < AT_THE_END; id++)
		push_both(&h, &c, INT64_MAX - id % 2, &seq, id);
	uint32_t most_far = 0;
	for (int round = 0; round < 60000; round++) {
		x = lcg_next(x);
		uint32_t id = AT_THE_END + (uint32_t)((x >> 33) % (IDS - AT_THE_END));
		bool sparse = (round / 5000) % 2 == 1; /* pops outrun pushes: the buckets empty */
		if (!heap_queued(&h, id) && (x >> 60) < (sparse ? 5u : 9u)) {
			last = far_key(&x, now, last);
			push_both(&h, &c, last, &seq, id);
		} else if (heap_queued(&h, id) && (x >> 60) < 2u) {
			ck_assert(heap_remove(&h, id));
			ck_assert(calendar_remove(&c, id));
		} else if (h.len > AT_THE_END) {
			now = pop_both(&h, &c);
		}
		most_far = c.far_len > most_far ? c.far_len : most_far;
		ck_assert_uint_eq(c.len, h.len);
		ck_assert_uint_eq(c.near_len + c.far_len, c.len);
	}
	ck_assert_uint_gt(most_far, 100);
	while (h.len)
		ck_assert_int_ge(pop_both(&h, &c), now);
	ck_assert_uint_eq(calendar_top(&c), CALENDAR_NONE);
	calendar_free(&c);
	heap_free(&h);
}
END_TEST

/* grow_to_hold zeroes a page's worth past the index asked for, keeps what was there, and
 * passes the old count back; the doubled room behind it is not all handed out. */
START_TEST(test_grow_to_hold_zeroes_a_page_past_the_index)
{
	uint32_t *a = NULL, cap = 0, old = 7;
	a = grow_to_hold(a, &cap, sizeof *a, 3, 64, &old);
	ck_assert_uint_eq(old, 0);
	ck_assert_uint_eq(cap, GROW_TOUCH_BYTES / sizeof *a); /* 1024 entries, a page */
	for (uint32_t i = 0; i < cap; i++)
		ck_assert_uint_eq(a[i], 0);
	a[1023] = 5;
	a = grow_to_hold(a, &cap, sizeof *a, 1500, 64, &old);
	ck_assert_uint_eq(old, 1024);
	ck_assert_uint_eq(cap, 2048);
	ck_assert_uint_eq(a[1023], 5);
	ck_assert_uint_eq(a[2047], 0);
	a = grow_to_hold(a, &cap, sizeof *a, 100, 64, &old); /* already held: nothing changes */
	ck_assert_uint_eq(cap, 2048);
	a = grow_to_hold(a, &cap, sizeof *a, 2048, 64, &old); /* room 4096: one more page of it */
	ck_assert_uint_eq(cap, 3072);
	free(a);
}
END_TEST

/* The one slot allocator: the most recently given back first, then new numbers in order. */
START_TEST(test_slots_reuse_most_recent_first_then_new)
{
	struct slots s;
	slots_init(&s);
	for (uint32_t i = 0; i < 100; i++)
		ck_assert_uint_eq(slots_take(&s), i);
	slots_give_back(&s, 7);
	slots_give_back(&s, 42);
	ck_assert_uint_eq(slots_take(&s), 42);
	ck_assert_uint_eq(slots_try_take(&s), 7);
	ck_assert_uint_eq(slots_take(&s), 100);
	ck_assert_uint_eq(slots_used(&s), 101);
	slots_free(&s);
}
END_TEST

/* The free list kept in the records' own field numbers slots as the plain one does (the most
 * recent first, then new ones), and keeps nothing of its own. */
START_TEST(test_slots_linked_numbers_as_the_plain_ones_in_the_records)
{
	struct rec {
		uint32_t link;
		uint32_t payload;
	} recs[120];
	struct slots plain, linked;
	slots_init(&plain);
	slots_init(&linked);
	uint64_t x = 7;
	bool taken[120] = {false};
	for (int i = 0; i < 5000; i++) {
		x = lcg_next(x);
		uint32_t r = (uint32_t)((x >> 33) % 120);
		if (taken[r]) {
			slots_give_back(&plain, r);
			slots_give_back_linked(&linked, r, recs, sizeof recs[0],
			                       offsetof(struct rec, link));
			taken[r] = false;
		} else if (slots_used(&plain) < 120 || plain.free_head != UINT32_MAX) {
			uint32_t a = slots_take(&plain);
			uint32_t b = slots_take_linked(&linked, recs, sizeof recs[0],
			                               offsetof(struct rec, link));
			ck_assert_uint_eq(a, b);
			taken[a] = true;
			recs[a].payload = (uint32_t)i;
		}
	}
	ck_assert_uint_eq(slots_used(&linked), slots_used(&plain));
	ck_assert_ptr_null(linked.next);
	slots_free(&plain);
	slots_free(&linked);
}
END_TEST

Suite *suite_des(void)
{
	Suite *s = suite_create("des");
	TCase *tc = tcase_create("queue");
	tcase_add_test(tc, test_des_runs_by_time_then_schedule_order);
	tcase_add_test(tc, test_des_cancel_removes_from_the_middle);
	tcase_add_test(tc, test_des_stale_handle_is_counted_through_every_reuse_before_wrap);
	tcase_add_test(tc, test_des_stale_handle_cancels_nothing);
	tcase_add_test(tc, test_des_step_respects_limit_and_past_is_now);
	tcase_add_test(tc, test_des_heap_order_holds_for_many_random_events);
	tcase_add_test(tc, test_heap_remove_anywhere_then_pop_in_key_order);
	tcase_add_test(tc, test_slots_reuse_most_recent_first_then_new);
	tcase_add_test(tc, test_slots_linked_numbers_as_the_plain_ones_in_the_records);
	tcase_add_test(tc, test_calendar_order_equals_the_heap_under_every_spacing);
	tcase_add_test(tc, test_calendar_far_ids_keep_the_heap_order);
	tcase_add_test(tc, test_grow_to_hold_zeroes_a_page_past_the_index);
	suite_add_tcase(s, tc);
	return s;
}
