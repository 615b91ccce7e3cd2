/*
 * test_limits.c: Check tests of the Transport limits' meaning
 * (sim/core/transport_limits.c): for each Go rule that reads a limit, what 0,
 * a positive and a negative value mean, and what the two bases start from.
 * Names follow test_<rule>_<Go function>_<behaviour>.
 */
#include <check.h>
#include <string.h>

#include "transport_limits.h"

static struct transport_limits limits_with(int64_t per_host, int64_t total, int64_t conns,
                                           ps_time idle_timeout)
{
	struct transport_config tc = transport_config_zero();
	tc.MaxIdleConnsPerHost = per_host;
	tc.MaxIdleConns = total;
	tc.MaxConnsPerHost = conns;
	tc.IdleConnTimeout = idle_timeout;
	return transport_limits_of(&tc);
}

/* maxIdleConnsPerHost: 0 means DefaultMaxIdleConnsPerHost, which is 2 (transport.go). */
START_TEST(test_P7_maxIdleConnsPerHost_zero_means_two)
{
	struct transport_limits l = limits_with(0, 0, 0, 0);
	ck_assert_int_eq(GO_DEFAULT_MAX_IDLE_CONNS_PER_HOST, 2);
	ck_assert_int_eq(l.max_idle_per_host, 2);
	ck_assert(!l.keep_alives_off);
}
END_TEST

START_TEST(test_P7_maxIdleConnsPerHost_positive_is_the_limit)
{
	ck_assert_int_eq(limits_with(5, 0, 0, 0).max_idle_per_host, 5);
	ck_assert_int_eq(limits_with(1, 0, 0, 0).max_idle_per_host, 1);
}
END_TEST

/* P1: MaxIdleConnsPerHost < 0 refuses every put (errKeepAlivesDisabled): nothing is idle. */
START_TEST(test_P1_tryPutIdleConn_negative_per_host_keeps_nothing_idle)
{
	struct transport_limits l = limits_with(-1, 100, 0, 0);
	ck_assert(l.keep_alives_off);
	ck_assert_int_eq(l.max_idle_per_host, 0);
	ck_assert_int_eq(l.max_idle_total, 0);
}
END_TEST

START_TEST(test_P1_tryPutIdleConn_DisableKeepAlives_keeps_nothing_idle)
{
	struct transport_config tc = transport_config_default();
	tc.MaxIdleConnsPerHost = 5;
	tc.DisableKeepAlives = true;
	struct transport_limits l = transport_limits_of(&tc);
	ck_assert(l.keep_alives_off);
	ck_assert_int_eq(l.max_idle_per_host, 0);
	ck_assert_int_eq(l.max_idle_total, 0);
}
END_TEST

START_TEST(test_P8_tryPutIdleConn_MaxIdleConns_zero_is_no_limit)
{
	ck_assert_int_eq(limits_with(0, 0, 0, 0).max_idle_total, LIMIT_NONE);
}
END_TEST

START_TEST(test_P8_tryPutIdleConn_MaxIdleConns_positive_is_the_limit)
{
	ck_assert_int_eq(limits_with(0, 7, 0, 0).max_idle_total, 7);
}
END_TEST

/* MaxIdleConns < 0: the LRU always "holds more than MaxIdleConns", so every put is evicted. */
START_TEST(test_P8_tryPutIdleConn_MaxIdleConns_negative_keeps_nothing_idle)
{
	struct transport_limits l = limits_with(0, -1, 0, 0);
	ck_assert_int_eq(l.max_idle_total, 0);
	ck_assert(!limit_allows(l.max_idle_total, 0));
	ck_assert_int_eq(l.max_idle_per_host, 2); /* P7 is not what stops it */
}
END_TEST

START_TEST(test_G4_queueForDial_MaxConnsPerHost_zero_and_negative_are_no_limit)
{
	ck_assert_int_eq(limits_with(0, 0, 0, 0).max_conns_per_host, LIMIT_NONE);
	ck_assert_int_eq(limits_with(0, 0, -3, 0).max_conns_per_host, LIMIT_NONE);
	ck_assert(limit_allows(LIMIT_NONE, INT64_MAX - 1));
}
END_TEST

START_TEST(test_G4_queueForDial_MaxConnsPerHost_positive_is_the_limit)
{
	struct transport_limits l = limits_with(0, 0, 3, 0);
	ck_assert_int_eq(l.max_conns_per_host, 3);
	ck_assert(limit_allows(l.max_conns_per_host, 2));
	ck_assert(!limit_allows(l.max_conns_per_host, 3));
}
END_TEST

START_TEST(test_P9_tryPutIdleConn_IdleConnTimeout_zero_and_negative_never_expire)
{
	ck_assert(limits_with(0, 0, 0, 0).idle_timeout == PS_TIME_NEVER);
	ck_assert(limits_with(0, 0, 0, -PS_SEC).idle_timeout == PS_TIME_NEVER);
}
END_TEST

START_TEST(test_P9_tryPutIdleConn_IdleConnTimeout_positive_is_the_timeout)
{
	ck_assert(limits_with(0, 0, 0, 5 * PS_SEC).idle_timeout == 5 * PS_SEC);
}
END_TEST

/* base = default is http.DefaultTransport: MaxIdleConns 100, IdleConnTimeout 90s. */
START_TEST(test_P8_base_default_is_DefaultTransport)
{
	struct transport_config tc = transport_config_default();
	struct transport_limits l = transport_limits_of(&tc);
	ck_assert_int_eq(l.max_idle_per_host, 2);
	ck_assert_int_eq(l.max_idle_total, 100);
	ck_assert_int_eq(l.max_conns_per_host, LIMIT_NONE);
	ck_assert(l.idle_timeout == 90 * PS_SEC);
	ck_assert(!l.keep_alives_off);
}
END_TEST

/* base = zero is &http.Transport{}: every limit at its zero meaning. */
START_TEST(test_P8_base_zero_is_the_zero_Transport)
{
	struct transport_config tc = transport_config_zero();
	struct transport_limits l = transport_limits_of(&tc);
	ck_assert_int_eq(l.max_idle_per_host, 2);
	ck_assert_int_eq(l.max_idle_total, LIMIT_NONE);
	ck_assert_int_eq(l.max_conns_per_host, LIMIT_NONE);
	ck_assert(l.idle_timeout == PS_TIME_NEVER);
	ck_assert(!l.keep_alives_off);
}
END_TEST

Suite *suite_limits(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("meaning");
	tcase_add_test(tc, test_P7_maxIdleConnsPerHost_zero_means_two);
	tcase_add_test(tc, test_P7_maxIdleConnsPerHost_positive_is_the_limit);
	tcase_add_test(tc, test_P1_tryPutIdleConn_negative_per_host_keeps_nothing_idle);
	tcase_add_test(tc, test_P1_tryPutIdleConn_DisableKeepAlives_keeps_nothing_idle);
	tcase_add_test(tc, test_P8_tryPutIdleConn_MaxIdleConns_zero_is_no_limit);
	tcase_add_test(tc, test_P8_tryPutIdleConn_MaxIdleConns_positive_is_the_limit);
	tcase_add_test(tc, test_P8_tryPutIdleConn_MaxIdleConns_negative_keeps_nothing_idle);
	tcase_add_test(tc, test_G4_queueForDial_MaxConnsPerHost_zero_and_negative_are_no_limit);
	tcase_add_test(tc, test_G4_queueForDial_MaxConnsPerHost_positive_is_the_limit);
	tcase_add_test(tc, test_P9_tryPutIdleConn_IdleConnTimeout_zero_and_negative_never_expire);
	tcase_add_test(tc, test_P9_tryPutIdleConn_IdleConnTimeout_positive_is_the_timeout);
	tcase_add_test(tc, test_P8_base_default_is_DefaultTransport);
	tcase_add_test(tc, test_P8_base_zero_is_the_zero_Transport);
	suite_add_tcase(s, tc);
	return s;
}
