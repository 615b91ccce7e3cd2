/*
 * test_event.c: the record stream (core/event.c): records come out in the
 * order they went in, a popped record is handled in place and stays intact
 * while its handling pushes (and grows the ring), and a sink receives the
 * kinds it asked for.
 */
#include <check.h>

#include "event.h"

static struct ps_event numbered(uint32_t n)
{
	struct ps_event ev = ev_make(EV_REQ_START, (ps_time)n);
	ev.req = n;
	ev.value = -(int64_t)n;
	return ev;
}

START_TEST(test_stream_popped_record_survives_pushes_that_grow_the_ring)
{
	struct ev_stream s;
	ev_stream_init(&s);
	struct ps_event first = numbered(1);
	ev_stream_push(&s, &first);
	const struct ps_event *ev = ev_stream_pop(&s);
	ck_assert_ptr_nonnull(ev);
	/* 1,000 pushes while record 1 is out: the ring (256 slots at first) grows twice */
	for (uint32_t n = 2; n <= 1001; n++) {
		struct ps_event next = numbered(n);
		ev_stream_push(&s, &next);
		ck_assert_uint_eq(ev->req, 1);
		ck_assert_int_eq(ev->value, -1);
	}
	ck_assert_uint_ge(s.cap, 1024);
	for (uint32_t n = 2; n <= 1001; n++) {
		ev = ev_stream_pop(&s);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->req, n);
		ck_assert_int_eq(ev->t, (ps_time)n);
	}
	ck_assert_ptr_null(ev_stream_pop(&s));
	ev_stream_free(&s);
}
END_TEST

START_TEST(test_stream_popped_record_survives_a_push_into_a_full_ring)
{
	struct ev_stream s;
	ev_stream_init(&s);
	/* as many records as the first ring has slots: a pop then leaves only the popped
	 * record's slot free, and the next push must not land there */
	uint32_t pushed = 0;
	while (pushed < 256) {
		struct ps_event next = numbered(++pushed);
		ev_stream_push(&s, &next);
	}
	for (uint32_t expect = 1; expect <= 768; expect++) {
		const struct ps_event *ev = ev_stream_pop(&s);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->req, expect);
		struct ps_event next = numbered(++pushed);
		ev_stream_push(&s, &next);
		ck_assert_uint_eq(ev->req, expect);
		ck_assert_int_eq(ev->value, -(int64_t)expect);
	}
	ev_stream_free(&s);
}
END_TEST

struct tally {
	int n[EV_KIND_COUNT];
};

static void count_kind(void *ctx, const struct ps_event *ev)
{
	((struct tally *)ctx)->n[ev->kind]++;
}

START_TEST(test_stream_sink_receives_only_the_kinds_it_asked_for)
{
	struct ev_stream s;
	ev_stream_init(&s);
	struct tally all = {{0}}, closes = {{0}};
	ck_assert_int_eq(
	    ev_stream_add_sink(&s, (struct ev_sink){.on_event = count_kind, .ctx = &all}), 0);
	ck_assert_int_eq(
	    ev_stream_add_sink(&s, (struct ev_sink){.on_event = count_kind,
	                                            .ctx = &closes,
	                                            .kinds = EV_KIND_BIT(EV_CONN_CLOSED)}),
	    0);
	for (int k = 0; k < EV_KIND_COUNT; k++) {
		struct ps_event ev = ev_make((enum ev_kind)k, 0);
		ev_stream_deliver(&s, &ev);
	}
	for (int k = 0; k < EV_KIND_COUNT; k++) {
		ck_assert_int_eq(all.n[k], 1);
		ck_assert_int_eq(closes.n[k], k == EV_CONN_CLOSED ? 1 : 0);
	}
	ev_stream_free(&s);
}
END_TEST

Suite *suite_event(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("stream");
	tcase_add_test(tc, test_stream_popped_record_survives_pushes_that_grow_the_ring);
	tcase_add_test(tc, test_stream_popped_record_survives_a_push_into_a_full_ring);
	tcase_add_test(tc, test_stream_sink_receives_only_the_kinds_it_asked_for);
	suite_add_tcase(s, tc);
	return s;
}
