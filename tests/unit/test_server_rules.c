/*
 * test_server_rules.c: the server's behaviour both engines share
 * (server_rules.h), and the server-action player's same-instant order
 * (server_actions.h): an action due at exactly `duration` is never played.
 */
#include <check.h>
#include <string.h>

#include "real.h"
#include "scenario.h"
#include "server_rules.h"
#include "sim.h"

static struct host_spec host_with(int64_t max_requests, ps_time idle_timeout)
{
	struct host_spec h;
	memset(&h, 0, sizeof h);
	h.server_max_requests = max_requests;
	h.server_idle_timeout = idle_timeout;
	return h;
}

START_TEST(test_P10_server_response_closes_the_nth_response)
{
	struct host_spec three = host_with(3, 0), none = host_with(0, 0);
	ck_assert(!server_response_closes(&three, 0, false)); /* the 1st response */
	ck_assert(!server_response_closes(&three, 1, false));
	ck_assert(server_response_closes(&three, 2, false)); /* the 3rd says Connection: close */
	ck_assert(!server_response_closes(&none, 1000, false));
	ck_assert(server_response_closes(&none, 0, true)); /* the request asked for it */
	struct host_spec one = host_with(1, 0);
	ck_assert(server_response_closes(&one, 0, false));
}
END_TEST

START_TEST(test_S1_server_idle_clock_starts_after_a_response_only)
{
	struct host_spec idle = host_with(0, 5 * PS_SEC), never = host_with(0, 0);
	ck_assert(!server_idle_clock_starts(&idle, 0)); /* a conn that has not served */
	ck_assert(server_idle_clock_starts(&idle, 1));
	ck_assert(!server_idle_clock_starts(&never, 1)); /* no server_idle_timeout */
	ck_assert(server_is_idle(SERVER_CONN_WAITING, 1));
	ck_assert(!server_is_idle(SERVER_CONN_WAITING, 0));
	ck_assert(!server_is_idle(SERVER_CONN_BUSY, 4));
	ck_assert(!server_is_idle(SERVER_CONN_HANDSHAKE, 0));
}
END_TEST

START_TEST(test_server_action_close_idle_spares_busy_unused_and_handshaking)
{
	ck_assert_int_eq(server_action_verdict(SRV_CLOSE_IDLE, SERVER_CONN_WAITING, 2),
	                 SERVER_CLOSE);
	ck_assert_int_eq(server_action_verdict(SRV_CLOSE_IDLE, SERVER_CONN_WAITING, 0),
	                 SERVER_SPARE);
	ck_assert_int_eq(server_action_verdict(SRV_CLOSE_IDLE, SERVER_CONN_BUSY, 2), SERVER_SPARE);
	ck_assert_int_eq(server_action_verdict(SRV_CLOSE_IDLE, SERVER_CONN_HANDSHAKE, 0),
	                 SERVER_SPARE);
}
END_TEST

START_TEST(test_server_action_restart_closes_all_and_fails_handshakes)
{
	ck_assert_int_eq(server_action_verdict(SRV_RESTART, SERVER_CONN_WAITING, 0), SERVER_CLOSE);
	ck_assert_int_eq(server_action_verdict(SRV_RESTART, SERVER_CONN_BUSY, 1), SERVER_CLOSE);
	ck_assert_int_eq(server_action_verdict(SRV_RESTART, SERVER_CONN_HANDSHAKE, 0),
	                 SERVER_FAIL_HANDSHAKE);
	/* down and up are the player's, never a close */
	ck_assert_int_eq(server_action_verdict(SRV_DOWN, SERVER_CONN_WAITING, 1), SERVER_SPARE);
}
END_TEST

static void count_actions(void *ctx, const struct ps_event *ev)
{
	if (ev->kind == EV_SERVER_ACTION)
		(*(int *)ctx)++;
}

/*
 * One request at 0 (1ms dial, 10ms service: done at 11ms); a close_idle at
 * 50ms (played) and one at exactly the duration, 100ms (never played: the run
 * ends first). Real mode plays the same (test_server.c).
 */
static const char at_duration[] = "[scenario]\nduration = 100ms\n"
                                  "[host api]\ndial_latency = 1ms\nservice_time = 10ms\n"
                                  "[load once]\nhost = api\ncount = 1\n"
                                  "[event early]\nat = 50ms\nhost = api\naction = close_idle\n"
                                  "[event last]\nat = 100ms\nhost = api\naction = close_idle\n";

START_TEST(test_server_actions_at_duration_never_played_sim)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string(at_duration, "t.ini", &sc, &err), 0);
	int actions = 0;
	struct sim *s = sim_create(&sc);
	sim_add_sink(s, (struct ev_sink){.on_event = count_actions, .ctx = &actions});
	sim_start(s);
	sim_run(s);
	sim_destroy(s);
	scenario_free(&sc);
	ck_assert_int_eq(actions, 1);
}
END_TEST

START_TEST(test_server_actions_at_duration_never_played_real)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string(at_duration, "t.ini", &sc, &err), 0);
	int actions = 0, rc = 0;
	struct real *r = real_create(&sc, 1.0, &rc);
	ck_assert_ptr_nonnull(r);
	real_add_sink(r, (struct ev_sink){.on_event = count_actions, .ctx = &actions});
	ck_assert_int_eq(real_start(r, false), 0);
	while (!real_finished(r))
		ck_assert_int_ge(real_run_until(r, PS_TIME_NEVER), 0);
	real_destroy(r);
	scenario_free(&sc);
	ck_assert_int_eq(actions, 1);
}
END_TEST

Suite *suite_server_rules(void)
{
	Suite *s = suite_create("server_rules");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_P10_server_response_closes_the_nth_response);
	tcase_add_test(tc, test_S1_server_idle_clock_starts_after_a_response_only);
	tcase_add_test(tc, test_server_action_close_idle_spares_busy_unused_and_handshaking);
	tcase_add_test(tc, test_server_action_restart_closes_all_and_fails_handshakes);
	suite_add_tcase(s, tc);
	TCase *player = tcase_create("player");
	tcase_add_test(player, test_server_actions_at_duration_never_played_sim);
	tcase_add_test(player, test_server_actions_at_duration_never_played_real);
	suite_add_tcase(s, player);
	return s;
}
