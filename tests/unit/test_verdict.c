/*
 * test_verdict.c: Check tests of compare's verdict rule (sim/outputs/verdict.c).
 * Issue #14, finding 6: lesson 3 flipped agree / DIFFERS / agree with
 * identical counts because loopback latency moved by ~5 ms.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "verdict.h"

/* Lesson 3's host: dial_latency 1ms, service_time 10ms: its quickest request takes 11 ms. */
static void lesson3(struct scenario *sc, struct host_spec *h)
{
	memset(sc, 0, sizeof(*sc));
	memset(h, 0, sizeof(*h));
	h->dial_latency = 1 * PS_MS;
	h->service_time.lo = h->service_time.hi = 10 * PS_MS;
	sc->hosts = h;
	sc->n_hosts = 1;
}

static struct verdict_row row(const char *key, double sim, double real, bool latency)
{
	struct verdict_row r = {.sim = sim, .real = real, .go = NAN, .is_latency = latency};
	strcpy(r.key, key);
	return r;
}

START_TEST(test_verdict_identical_counts_never_differ_whatever_latency)
{
	struct scenario sc;
	struct host_spec h;
	lesson3(&sc, &h);
	/* The three runs of the finding: counts identical, p50 11 ms, then 16, then 40. */
	const double real_p50[] = {11.0, 16.0, 40.0};
	for (int i = 0; i < 3; i++) {
		struct verdict_row rows[] = {
		    row("dials", 56, 56, false),
		    row("reused", 4, 4, false),
		    row("closed", 54, 54, false),
		    row("p50", 11.0, real_p50[i], true),
		};
		rows[3].tolerance_ms = verdict_latency_tolerance_ms(&sc, 1.0, 11.0, real_p50[i]);
		ck_assert_int_eq(verdict_differs(rows, 4), 0);
	}
}
END_TEST

START_TEST(test_verdict_a_count_beyond_tolerance_differs)
{
	/* 56 vs 60: 4 > max(1, 5% of 60 = 3): DIFFERS; 56 vs 58: 2 <= 3: close. */
	struct verdict_row rows[] = {row("dials", 56, 60, false), row("reused", 4, 4, false)};
	ck_assert_int_eq(verdict_differs(rows, 2), 1);
	ck_assert_int_eq(verdict_judge(&rows[0], 58), V_CLOSE);
	ck_assert_int_eq(verdict_judge(&rows[0], 56), V_SAME);
	ck_assert_int_eq(verdict_judge(&rows[1], 5), V_CLOSE); /* max(1, ...) */
	ck_assert_int_eq(verdict_judge(&rows[1], 6), V_DIFF);
}
END_TEST

START_TEST(test_verdict_go_column_counts_decide_too)
{
	struct verdict_row r = row("dials", 56, 56, false);
	r.go = 20;
	ck_assert_int_eq(verdict_differs(&r, 1), 1);
}
END_TEST

START_TEST(test_verdict_latency_tolerance_is_relative_to_the_scenario)
{
	struct scenario sc;
	struct host_spec h;
	lesson3(&sc, &h);
	/* max(25% of 12 = 3, half of 11 = 5.5, 2 ms wall at scale 1) = 5.5 */
	ck_assert(fabs(verdict_latency_tolerance_ms(&sc, 1.0, 11.0, 12.0) - 5.5) < 1e-9);
	/* max(25% of 100 = 25, 5.5, 2) = 25 */
	ck_assert(fabs(verdict_latency_tolerance_ms(&sc, 1.0, 11.0, 100.0) - 25.0) < 1e-9);
	/* ten times faster: 2 ms of wall time is 20 ms of scenario time */
	ck_assert(fabs(verdict_latency_tolerance_ms(&sc, 0.1, 11.0, 12.0) - 20.0) < 1e-9);
	struct verdict_row r = row("p50", 11.0, 16.0, true);
	r.tolerance_ms = 5.5;
	ck_assert_int_eq(verdict_judge(&r, 16.0), V_CLOSE);
	ck_assert_int_eq(verdict_judge(&r, 17.0), V_DIFF);
	ck_assert_str_eq(verdict_word(V_DIFF, true), "differs");
	ck_assert_str_eq(verdict_word(V_DIFF, false), "DIFFERS");
}
END_TEST

Suite *suite_verdict(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("rule");
	tcase_add_test(tc, test_verdict_identical_counts_never_differ_whatever_latency);
	tcase_add_test(tc, test_verdict_a_count_beyond_tolerance_differs);
	tcase_add_test(tc, test_verdict_go_column_counts_decide_too);
	tcase_add_test(tc, test_verdict_latency_tolerance_is_relative_to_the_scenario);
	suite_add_tcase(s, tc);
	return s;
}
