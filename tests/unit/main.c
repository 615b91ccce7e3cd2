/*
 * main.c: the Check runner for every unit suite. A suite lives in its own
 * test_*.c file and is listed here. CK_FORK stays on, so a crashing test is
 * reported, not fatal, and each test gets its own timeout.
 */
#include <check.h>
#include <stdlib.h>

Suite *suite_des(void);
Suite *suite_pool(void);
Suite *suite_pool_h2(void);
Suite *suite_scenario(void);
Suite *suite_sim(void);
Suite *suite_view(void);
Suite *suite_plot(void);
Suite *suite_server(void);
Suite *suite_kernel(void);
Suite *suite_http(void);
Suite *suite_timewait(void);
Suite *suite_limits(void);
Suite *suite_client(void);
Suite *suite_counts(void);
Suite *suite_verdict(void);
Suite *suite_server_rules(void);
Suite *suite_histogram(void);
Suite *suite_event(void);
Suite *suite_random(void);

int main(void)
{
	SRunner *sr = srunner_create(suite_pool());
	srunner_add_suite(sr, suite_pool_h2());
	srunner_add_suite(sr, suite_des());
	srunner_add_suite(sr, suite_scenario());
	srunner_add_suite(sr, suite_sim());
	srunner_add_suite(sr, suite_view());
	srunner_add_suite(sr, suite_plot());
	srunner_add_suite(sr, suite_server());
	srunner_add_suite(sr, suite_kernel());
	srunner_add_suite(sr, suite_http());
	srunner_add_suite(sr, suite_timewait());
	srunner_add_suite(sr, suite_limits());
	srunner_add_suite(sr, suite_client());
	srunner_add_suite(sr, suite_counts());
	srunner_add_suite(sr, suite_verdict());
	srunner_add_suite(sr, suite_server_rules());
	srunner_add_suite(sr, suite_histogram());
	srunner_add_suite(sr, suite_event());
	srunner_add_suite(sr, suite_random());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
