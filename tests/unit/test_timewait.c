/*
 * test_timewait.c: who holds TIME_WAIT after each cause of a close
 * (timewait_client_holds), and the tracker fed with records: ports taken from
 * dial_start to close and for the hold after a client close, expiry, the
 * range running out.
 */
#include <check.h>

#include "timewait.h"

/* The client closed first: its own pool's decisions and its own timeouts. */
START_TEST(test_timewait_client_closes_hold_time_wait)
{
	static const enum ev_reason client_first[] = {
	    R_IDLE_TIMEOUT,   R_MAX_IDLE_PER_HOST, R_MAX_IDLE_TOTAL,
	    R_BODY_NOT_READ,  R_CLOSE_IDLE_CONNS,  R_TLS_TIMEOUT,
	    R_HEADER_TIMEOUT, R_CLIENT_TIMEOUT,    R_DIAL_CANCELED,
	};
	for (size_t i = 0; i < sizeof client_first / sizeof client_first[0]; i++) {
		ck_assert_msg(timewait_client_holds(client_first[i], true, false), "%s",
		              ev_reason_go_name(client_first[i]));
		/* ... but only a conn whose TCP connect finished has anything to hold. */
		ck_assert(!timewait_client_holds(client_first[i], false, false));
	}
}
END_TEST

/* The server closed first: its idle timeout, Connection: close, close_idle, restart. */
START_TEST(test_timewait_server_closes_leave_it_on_the_server)
{
	static const enum ev_reason server_first[] = {
	    R_SERVER,         R_SERVER_IDLE_TIMEOUT, R_SERVER_CONN_CLOSE, R_SERVER_CLOSE_IDLE,
	    R_SERVER_RESTART, R_CONN_BROKEN,         R_IO_ERROR,
	};
	for (size_t i = 0; i < sizeof server_first / sizeof server_first[0]; i++)
		ck_assert_msg(!timewait_client_holds(server_first[i], true, false), "%s",
		              ev_reason_go_name(server_first[i]));
}
END_TEST

/* A connect that never finished leaves nothing: refused, timed out, no port. */
START_TEST(test_timewait_failed_connects_hold_nothing)
{
	ck_assert(!timewait_client_holds(R_DIAL_REFUSED, false, false));
	ck_assert(!timewait_client_holds(R_DIAL_TIMEOUT, false, false));
	ck_assert(!timewait_client_holds(R_ADDR_NOT_AVAIL, false, false));
	ck_assert(!timewait_client_holds(R_RESOURCE, true, false));
}
END_TEST

/* P1 twice: MaxIdleConnsPerHost < 0 makes the client close; DisableKeepAlives asks the
 * server to (Connection: close), so the server closes first. */
START_TEST(test_timewait_keepalives_disabled_depends_on_who_closes)
{
	ck_assert(timewait_client_holds(R_KEEPALIVES_DISABLED, true, false));
	ck_assert(!timewait_client_holds(R_KEEPALIVES_DISABLED, true, true));
}
END_TEST

static struct ps_event rec(enum ev_kind kind, ps_time t, uint32_t conn, enum ev_reason why)
{
	struct ps_event ev = ev_make(kind, t);
	ev.host = 0;
	ev.conn = conn;
	ev.reason = (uint16_t)why;
	return ev;
}

static void connect_conn(struct timewait *tw, ps_time t, uint32_t conn)
{
	struct ps_event a = rec(EV_DIAL_START, t, conn, R_NONE);
	struct ps_event b = rec(EV_CONN_READY, t, conn, R_NONE);
	timewait_on_event(tw, &a);
	timewait_on_event(tw, &b);
}

static void close_conn(struct timewait *tw, ps_time t, uint32_t conn, enum ev_reason why)
{
	struct ps_event c = rec(EV_CONN_CLOSED, t, conn, why);
	timewait_on_event(tw, &c);
}

/* Three ports, a 10 s hold. Conn 0 closed by the client at 1 s holds its port until 11 s;
 * conn 1 closed by the server holds nothing; conn 2 stays open. */
START_TEST(test_timewait_tracker_counts_ports_and_expiry)
{
	struct timewait tw;
	ck_assert_int_eq(timewait_init(&tw, 1, 10 * PS_SEC, 3, false), 0);
	connect_conn(&tw, 0, 0);
	connect_conn(&tw, 0, 1);
	connect_conn(&tw, 0, 2);
	ck_assert_int_eq(timewait_ports(&tw, 0, 0), 3);
	ck_assert(timewait_exhausted(&tw, 0, 0));
	close_conn(&tw, 1 * PS_SEC, 0, R_IDLE_TIMEOUT);
	close_conn(&tw, 2 * PS_SEC, 1, R_SERVER_IDLE_TIMEOUT);
	ck_assert_int_eq(timewait_count(&tw, 0, 2 * PS_SEC), 1);
	ck_assert_int_eq(timewait_ports(&tw, 0, 2 * PS_SEC), 2); /* conn 2 + conn 0's TIME_WAIT */
	ck_assert(!timewait_exhausted(&tw, 0, 2 * PS_SEC));
	ck_assert_int_eq(timewait_count(&tw, 0, 11 * PS_SEC - 1), 1);
	ck_assert_int_eq(timewait_count(&tw, 0, 11 * PS_SEC), 0);
	ck_assert_int_eq(timewait_count(&tw, PS_NONE, 11 * PS_SEC), 0);
	ck_assert_int_eq(tw.hosts[0].peak_time_wait, 1);
	ck_assert_int_eq(tw.hosts[0].peak_ports, 3);
	timewait_free(&tw);
}
END_TEST

/* H9: under DisableKeepAlives an HTTP/1.1 conn is closed by the server first (Connection:
 * close), an HTTP/2 one by the client after its one stream: only the second holds TIME_WAIT. */
START_TEST(test_H9_timewait_h2_single_use_close_is_the_clients)
{
	struct timewait tw;
	ck_assert_int_eq(timewait_init(&tw, 1, 10 * PS_SEC, 8, true), 0);
	connect_conn(&tw, 0, 0);
	connect_conn(&tw, 0, 1);
	close_conn(&tw, PS_SEC, 0, R_KEEPALIVES_DISABLED);
	ck_assert_int_eq(timewait_count(&tw, 0, PS_SEC), 0);
	struct ps_event c = rec(EV_CONN_CLOSED, PS_SEC, 1, R_KEEPALIVES_DISABLED);
	c.flags = EVF_H2;
	timewait_on_event(&tw, &c);
	ck_assert_int_eq(timewait_count(&tw, 0, PS_SEC), 1);
	timewait_free(&tw);
}
END_TEST

/* A dial with every port taken binds none; its EADDRNOTAVAIL close is counted, nothing held. */
START_TEST(test_timewait_dial_without_a_port_binds_none)
{
	struct timewait tw;
	ck_assert_int_eq(timewait_init(&tw, 1, 60 * PS_SEC, 1, false), 0);
	connect_conn(&tw, 0, 0);
	close_conn(&tw, PS_MS, 0, R_MAX_IDLE_PER_HOST);
	ck_assert(timewait_exhausted(&tw, 0, PS_MS));
	struct ps_event d = rec(EV_DIAL_START, 2 * PS_MS, 1, R_NONE);
	timewait_on_event(&tw, &d);
	close_conn(&tw, 2 * PS_MS, 1, R_ADDR_NOT_AVAIL);
	ck_assert_int_eq(timewait_ports(&tw, 0, 2 * PS_MS), 1);
	ck_assert_int_eq(tw.exhausted, 1);
	ck_assert_int_eq(tw.hosts[0].peak_ports, 1);
	timewait_free(&tw);
}
END_TEST

Suite *suite_timewait(void)
{
	Suite *s = suite_create("timewait");
	TCase *tc = tcase_create("timewait");
	tcase_add_test(tc, test_timewait_client_closes_hold_time_wait);
	tcase_add_test(tc, test_timewait_server_closes_leave_it_on_the_server);
	tcase_add_test(tc, test_timewait_failed_connects_hold_nothing);
	tcase_add_test(tc, test_timewait_keepalives_disabled_depends_on_who_closes);
	tcase_add_test(tc, test_timewait_tracker_counts_ports_and_expiry);
	tcase_add_test(tc, test_timewait_dial_without_a_port_binds_none);
	tcase_add_test(tc, test_H9_timewait_h2_single_use_close_is_the_clients);
	suite_add_tcase(s, tc);
	return s;
}
