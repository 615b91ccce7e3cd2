/*
 * test_histogram.c: the one log-linear histogram (core/histogram.h).
 */
#include <check.h>

#include "histogram.h"

START_TEST(test_histogram_exact_below_two_s_then_bucket_floors)
{
	struct histogram h;
	histogram_init(&h, 3); /* S = 8: exact below 16, then 8 buckets per power of two */
	ck_assert(histogram_add(&h, 15));
	ck_assert_int_eq(histogram_quantile(&h, 0.5), 15);
	histogram_free(&h);

	histogram_init(&h, 3);
	/* 1000 = 0b1111101000: msb 9, e = 6, m = 15: floor 15 << 6 = 960 */
	for (int i = 0; i < 3; i++)
		ck_assert(histogram_add(&h, 1000));
	ck_assert(histogram_add(&h, 5000)); /* msb 12, e = 9, m = 9: floor 4608 */
	ck_assert(histogram_add(&h, 2000));
	/* ranks: 1000 x3 (clamped up to the min), 2000 (floor 1920), 5000 (floor 4608) */
	ck_assert_int_eq(histogram_quantile(&h, 0.2), 1000);
	ck_assert_int_eq(histogram_quantile(&h, 0.8), 1920);
	ck_assert_int_eq(histogram_quantile(&h, 1.0), 4608);
	ck_assert_int_eq(h.max, 5000);
	ck_assert_int_eq(h.count, 5);
	histogram_free(&h);
}
END_TEST

START_TEST(test_histogram_largest_value_and_empty)
{
	struct histogram h;
	histogram_init(&h, 7);
	ck_assert_int_eq(histogram_quantile(&h, 0.5), 0);
	ck_assert(histogram_add(&h, INT64_MAX));
	ck_assert(histogram_add(&h, -5)); /* counts as 0 */
	ck_assert_int_eq(histogram_quantile(&h, 0.5), 0);
	/* INT64_MAX's bucket is the last one: its floor 255 << 55, within 1/128 */
	ck_assert_int_eq(histogram_quantile(&h, 1.0), (int64_t)255 << 55);
	histogram_free(&h);
}
END_TEST

/* Blocks are allocated in the order values need them; the quantile still walks by value. */
START_TEST(test_histogram_blocks_only_for_the_powers_of_two_used)
{
	struct histogram h;
	histogram_init(&h, 7);
	ck_assert(histogram_add(&h, 100000000)); /* 1e8: msb 26 */
	ck_assert(histogram_add(&h, 1000000));   /* 1e6: msb 19 */
	ck_assert(histogram_add(&h, 1000001));   /* the same power of two */
	ck_assert_int_eq(h.n_blocks, 2);
	ck_assert_int_le(h.n_allocated, 4); /* not all 57 */
	/* 1e6 and 1e6 + 1: e = 12, m = 244, floor 244 << 12 = 999424, clamped to the min 1e6 */
	ck_assert_int_eq(histogram_quantile(&h, 0.3), 1000000);
	ck_assert_int_eq(histogram_quantile(&h, 0.6), 1000000);
	/* 1e8: e = 19, m = 190 (1e8 >> 19 = 190), floor 190 << 19 = 99614720 */
	ck_assert_int_eq(histogram_quantile(&h, 0.9), 99614720);
	ck_assert_int_eq(histogram_quantile(&h, 1.0), 99614720);
	histogram_free(&h);
	ck_assert_int_eq(h.n_blocks, 0);
	ck_assert_ptr_null(h.counts);
}
END_TEST

Suite *suite_histogram(void)
{
	Suite *s = suite_create("histogram");
	TCase *tc = tcase_create("buckets");
	tcase_add_test(tc, test_histogram_exact_below_two_s_then_bucket_floors);
	tcase_add_test(tc, test_histogram_largest_value_and_empty);
	tcase_add_test(tc, test_histogram_blocks_only_for_the_powers_of_two_used);
	suite_add_tcase(s, tc);
	return s;
}
