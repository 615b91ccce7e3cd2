/*
 * test_client.c: the rules of #12 where they live. The client (client.c) is
 * driven directly through a recording network, so a test says which net call
 * comes when; the simulated network's rules (simnet.c: `down` decided as the
 * connect completes, a restart failing a TLS handshake) run a small scenario
 * through the simulator and count what its stream says.
 */
#include <check.h>
#include <string.h>

#include "client.h"
#include "des.h"
#include "replay.h"
#include "sim.h"
#include "stats.h"

#define NET_LOG_MAX 64

/* recording_net: every net_ops call, in order ("D3" = dial conn 3, "S3" = send, "C3" = close). */
struct recording_net {
	char op[NET_LOG_MAX];
	uint32_t conn[NET_LOG_MAX];
	int n;
};

static void record(void *ctx, char op, uint32_t conn)
{
	struct recording_net *n = ctx;
	ck_assert_int_lt(n->n, NET_LOG_MAX);
	n->op[n->n] = op;
	n->conn[n->n] = conn;
	n->n++;
}

static void rec_dial(void *ctx, uint32_t conn, uint32_t host)
{
	record(ctx, 'D', conn);
}

static void rec_send(void *ctx, uint32_t conn, uint32_t host, uint32_t load)
{
	record(ctx, 'S', conn);
}

static void rec_close(void *ctx, uint32_t conn)
{
	record(ctx, 'C', conn);
}

static const struct net_ops recording_ops = {
    .dial = rec_dial, .send = rec_send, .close = rec_close};

/* How many calls `op` the log holds from index `from` on. */
static int count_ops(const struct recording_net *n, int from, char op)
{
	int k = 0;
	for (int i = from; i < n->n; i++)
		k += n->op[i] == op;
	return k;
}

struct client_rig {
	struct scenario sc;
	struct des *des;
	struct ev_stream stream;
	struct recording_net net;
	struct client *client;
	uint32_t conn[2]; /* the two workers' dialed conns */
};

/*
 * rig_two_workers: two workers on one host, MaxIdleConnsPerHost 1, the given
 * think; both have dialed, their dials completed and their GETs were sent.
 */
static void rig_two_workers(struct client_rig *r, const char *think)
{
	char text[512];
	snprintf(text, sizeof text,
	         "[scenario]\nduration = 10s\n[transport]\nMaxIdleConnsPerHost = 1\n"
	         "[host a]\nservice_time = 10ms\n[load w]\nhost = a\nworkers = 2\nthink = %s\n",
	         think);
	memset(r, 0, sizeof *r);
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string(text, "rig", &r->sc, &err), 0);
	r->des = des_create();
	ev_stream_init(&r->stream);
	r->client = client_create(&r->sc, r->des, &r->stream, &recording_ops, &r->net, 0, NULL);
	ck_assert_ptr_nonnull(r->client);
	client_set_check_invariants(r->client, true);
	client_start(r->client);
	ck_assert(des_step(r->des, 0)); /* worker 0 asks: a dial */
	ck_assert(des_step(r->des, 0)); /* worker 1 asks: a second dial */
	ck_assert_int_eq(r->net.n, 2);
	ck_assert_int_eq(r->net.op[0], 'D');
	ck_assert_int_eq(r->net.op[1], 'D');
	r->conn[0] = r->net.conn[0];
	r->conn[1] = r->net.conn[1];
	des_set_now(r->des, 1000000);
	client_on_dial_done(r->client, r->conn[0], R_NONE);
	client_on_dial_done(r->client, r->conn[1], R_NONE);
	ck_assert_int_eq(count_ops(&r->net, 2, 'S'), 2);
	des_set_now(r->des, 11000000); /* both responses are complete at this one instant */
}

static void rig_free(struct client_rig *r)
{
	client_destroy(r->client);
	des_destroy(r->des);
	ev_stream_free(&r->stream);
	scenario_free(&r->sc);
}

/*
 * Same-instant order: with think 0 a worker's next getConn comes within the
 * report of its body's EOF, so it takes its own conn back before the second
 * response is pooled: two puts against a cap of 1 close nothing.
 */
START_TEST(test_sameinstant_client_on_response_think0_worker_takes_its_conn_back_at_once)
{
	struct client_rig r;
	rig_two_workers(&r, "0");
	int mark = r.net.n;
	client_on_response(r.client, r.conn[0], false);
	ck_assert_int_eq(r.net.n, mark + 1);
	ck_assert_int_eq(r.net.op[mark], 'S');
	ck_assert_uint_eq(r.net.conn[mark], r.conn[0]);
	client_on_response(r.client, r.conn[1], false);
	ck_assert_int_eq(r.net.n, mark + 2);
	ck_assert_int_eq(r.net.op[mark + 1], 'S');
	ck_assert_uint_eq(r.net.conn[mark + 1], r.conn[1]);
	ck_assert_int_eq(count_ops(&r.net, 0, 'C'), 0);
	rig_free(&r);
}
END_TEST

/*
 * With think > 0 the next request is a timer: both responses are pooled
 * first, the second put finds the cap of 1 full (P7) and closes its conn.
 */
START_TEST(test_sameinstant_client_on_response_think_worker_goes_again_on_its_timer)
{
	struct client_rig r;
	rig_two_workers(&r, "5ms");
	int mark = r.net.n;
	client_on_response(r.client, r.conn[0], false);
	ck_assert_int_eq(r.net.n, mark);
	client_on_response(r.client, r.conn[1], false);
	ck_assert_int_eq(r.net.n, mark + 1);
	ck_assert_int_eq(r.net.op[mark], 'C');
	ck_assert_uint_eq(r.net.conn[mark], r.conn[1]);
	ck_assert_int_eq(des_next_time(r.des), 16000000);
	rig_free(&r);
}
END_TEST

/* A failed request's worker goes again in the same step too, after the failure's records. */
START_TEST(test_sameinstant_client_on_conn_broken_think0_worker_asks_again_after_failure)
{
	struct client_rig r;
	rig_two_workers(&r, "0");
	int mark = r.net.n;
	client_on_conn_broken(r.client, r.conn[0], R_IO_ERROR, false);
	/* the conn is closed, the fresh conn's request fails (not retried), the worker dials again
	 */
	ck_assert_int_eq(r.net.n, mark + 2);
	ck_assert_int_eq(r.net.op[mark], 'C');
	ck_assert_int_eq(r.net.op[mark + 1], 'D');
	rig_free(&r);
}
END_TEST

/* ---------------------------------------------------------------- simnet rules */

struct sim_run {
	struct scenario sc;
	struct stats st;
};

static void run_text(struct sim_run *run, const char *text)
{
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string(text, "simnet", &run->sc, &err), 0);
	ck_assert_int_eq(stats_init(&run->st, &run->sc, "sim"), 0);
	struct sim *s = sim_create(&run->sc);
	ck_assert_ptr_nonnull(s);
	sim_add_sink(s, stats_sink(&run->st));
	sim_set_check_invariants(s, true);
	sim_start(s);
	sim_run(s);
	sim_destroy(s);
}

static void run_free(struct sim_run *run)
{
	stats_free(&run->st);
	scenario_free(&run->sc);
}

/*
 * des's 32-bit timer handles keep 7 bits of a slot's generation, so a handle
 * kept past its event could, after 128 reuses of its slot, cancel another
 * event (des.h): every holder (a request's two timers, a conn_side's two,
 * a wire's two) clears its handle when its event runs. These runs fire and
 * cancel every kind, timers and slots reused thousands of times over: any
 * cancel of a stale handle is counted by des.
 */
static uint64_t stale_cancels_of(const char *text)
{
	struct sim_run run;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string(text, "stale", &run.sc, &err), 0);
	struct sim *s = sim_create(&run.sc);
	ck_assert_ptr_nonnull(s);
	sim_set_check_invariants(s, true);
	sim_start(s);
	sim_run(s);
	uint64_t stale = sim_stale_cancels(s);
	sim_destroy(s);
	scenario_free(&run.sc);
	return stale;
}

START_TEST(test_des_timer_holders_clear_their_handles_when_their_events_run)
{
	/* Client.Timeout and ResponseHeaderTimeout fire on slow responses and are cancelled on
	 * fast ones; IdleConnTimeout and the server's idle timer fire between requests and are
	 * cancelled by reuse; the dial timer fires on host b's dials and is cancelled at a's
	 * connects (12,540 requests, 5,527 failed, 3,078 dial failures, 5,449 reused). */
	ck_assert_uint_eq(
	    stale_cancels_of(
	        "[scenario]\nduration = 20s\n[client]\nTimeout = 60ms\n[transport]\n"
	        "ResponseHeaderTimeout = 40ms\nIdleConnTimeout = 30ms\nDialTimeout = 3ms\n"
	        "[host a]\ndial_latency = 1ms\nservice_time = exp:30ms\n"
	        "server_idle_timeout = 25ms\n[host b]\ndial_latency = 5ms\n[load w]\n"
	        "host = a\nworkers = 20\nthink = 20ms\n[load x]\nhost = b\nworkers = 2\n"
	        "think = 10ms\n"),
	    0);
	/* TLSHandshakeTimeout fires on host c's handshakes and is cancelled on a's; HTTP/2's
	 * server idle timer and GOAWAY on b (9,168 requests, 2,666 dial failures). */
	ck_assert_uint_eq(
	    stale_cancels_of(
	        "[scenario]\nduration = 20s\n[client]\nTimeout = 80ms\n[transport]\n"
	        "TLSHandshakeTimeout = 4ms\nIdleConnTimeout = 50ms\n[host a]\ntls = true\n"
	        "tls_latency = 2ms\nservice_time = exp:20ms\nserver_idle_timeout = 30ms\n"
	        "[host b]\ntls = true\nh2 = true\nservice_time = exp:20ms\n"
	        "server_idle_timeout = 30ms\n[host c]\ntls = true\ntls_latency = 6ms\n"
	        "[load w]\nhost = a\nworkers = 10\nthink = 30ms\n[load v]\nhost = b\n"
	        "workers = 10\nthink = 60ms\n[load u]\nhost = c\nworkers = 2\n"
	        "think = 10ms\n"),
	    0);
}
END_TEST

/* A dial started at 95ms, while the host is up, completes at 105ms inside the down window. */
START_TEST(test_down_on_connected_refuses_a_dial_that_completes_while_down)
{
	struct sim_run run;
	run_text(&run, "[scenario]\nduration = 1s\n[host a]\ndial_latency = 10ms\n"
	               "[load c]\nhost = a\ncount = 1\nstart = 95ms\n"
	               "[event d]\nat = 100ms\nhost = a\naction = down\nfor = 50ms\n");
	ck_assert_int_eq(run.st.count.total.dials, 1);
	ck_assert_int_eq(run.st.count.total.dial_failures, 1);
	ck_assert_int_eq(run.st.count.total.failed, 1);
	ck_assert_int_eq(run.st.count.total.ok, 0);
	run_free(&run);
}
END_TEST

/* A dial started at 145ms, while the host is down, completes at 155ms after it is back up. */
START_TEST(test_down_on_connected_connects_a_dial_that_completes_after_up)
{
	struct sim_run run;
	run_text(&run, "[scenario]\nduration = 1s\n[host a]\ndial_latency = 10ms\n"
	               "[load c]\nhost = a\ncount = 1\nstart = 145ms\n"
	               "[event d]\nat = 100ms\nhost = a\naction = down\nfor = 50ms\n");
	ck_assert_int_eq(run.st.count.total.dials, 1);
	ck_assert_int_eq(run.st.count.total.dial_failures, 0);
	ck_assert_int_eq(run.st.count.total.ok, 1);
	run_free(&run);
}
END_TEST

/*
 * The TLS handshake runs 1ms..21ms; the restart at 10ms closes the server's
 * end, so the dial fails (error), and a dial error fails the request: no retry.
 */
START_TEST(test_restart_server_close_conns_fails_the_tls_handshake_in_progress)
{
	struct sim_run run;
	run_text(&run, "[scenario]\nduration = 1s\n[host a]\ntls = true\ntls_latency = 20ms\n"
	               "[load c]\nhost = a\ncount = 1\n"
	               "[event r]\nat = 10ms\nhost = a\naction = restart\n");
	ck_assert_int_eq(run.st.count.total.dials, 1);
	ck_assert_int_eq(run.st.count.total.tls_handshakes, 1);
	ck_assert_int_eq(run.st.count.total.dial_failures, 1);
	ck_assert_int_eq(run.st.count.total.failed, 1);
	ck_assert_int_eq(run.st.count.total.retries, 0);
	ck_assert_int_eq(run.st.count.total.closes[R_ERROR], 1);
	ck_assert_int_eq(run.st.count.failures[R_IO_ERROR], 1);
	run_free(&run);
}
END_TEST

/* live_log: the req_start times, the dials and the responses of a live replay run. */
struct live_log {
	ps_time start[8];
	int n_start, dials, done;
	ps_time last_done;
};

static void live_on_event(void *ctx, const struct ps_event *ev)
{
	struct live_log *l = ctx;
	if (ev->kind == EV_REQ_START && l->n_start < 8)
		l->start[l->n_start++] = ev->t;
	l->dials += ev->kind == EV_DIAL_START;
	if (ev->kind == EV_REQ_DONE) {
		l->done++;
		l->last_done = ev->t;
	}
}

/*
 * A live replay load (client_feed_row) starts each row fed at its own instant
 * with its own service time: rows at 1s, 1s (20ms each) and 3s (5ms). The
 * two at 1s find no idle conn: 2 dials; both go idle at 1.03s (dial 10ms +
 * 20ms) under MaxIdleConnsPerHost 2, so the row at 3s reuses one and ends at
 * 3.005s. A row before the clock, or fed after the run ended, is refused.
 */
START_TEST(test_client_feed_row_starts_each_row_at_its_instant_with_its_service)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_int_eq(scenario_load_string("[scenario]\nduration = 10s\n"
	                                      "[host a]\ndial_latency = 10ms\nservice_time = 1s\n"
	                                      "[load c]\nhost = a\ncount = 1\n",
	                                      "live", &sc, &err),
	                 0);
	sc.loads[0].kind = LOAD_REPLAY; /* the same load, made live: no file */
	sc.loads[0].replay_speed = 1;
	struct sim *s = sim_create(&sc);
	struct live_log log = {0};
	ck_assert_int_eq(sim_add_sink(s, (struct ev_sink){.on_event = live_on_event, .ctx = &log}),
	                 0);
	sim_set_check_invariants(s, true);
	sim_start(s);
	struct replay_row a = {PS_SEC, 20 * PS_MS, REPLAY_NONE, 0};
	struct replay_row c = {3 * PS_SEC, 5 * PS_MS, REPLAY_NONE, 0};
	ck_assert_int_eq(sim_feed_row(s, 0, &a), 0);
	ck_assert_int_eq(sim_feed_row(s, 0, &a), 0);
	sim_run_until(s, 2 * PS_SEC);
	ck_assert_int_eq(sim_feed_row(s, 0, &a), -1); /* 1s: before the clock */
	ck_assert_int_eq(sim_feed_row(s, 0, &c), 0);
	sim_run_until(s, 4 * PS_SEC);
	ck_assert_int_eq(log.n_start, 3);
	ck_assert_int_eq(log.start[0], PS_SEC);
	ck_assert_int_eq(log.start[1], PS_SEC);
	ck_assert_int_eq(log.start[2], 3 * PS_SEC);
	ck_assert_int_eq(log.dials, 2);
	ck_assert_int_eq(log.done, 3);
	ck_assert_int_eq(log.last_done, 3 * PS_SEC + 5 * PS_MS);
	sim_run(s);
	ck_assert_int_eq(sim_feed_row(s, 0, &c), -1); /* the run ended */
	sim_destroy(s);
	scenario_free(&sc);
}
END_TEST

Suite *suite_client(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("order");
	tcase_add_test(
	    tc, test_sameinstant_client_on_response_think0_worker_takes_its_conn_back_at_once);
	tcase_add_test(tc,
	               test_sameinstant_client_on_response_think_worker_goes_again_on_its_timer);
	tcase_add_test(
	    tc, test_sameinstant_client_on_conn_broken_think0_worker_asks_again_after_failure);
	suite_add_tcase(s, tc);
	TCase *net = tcase_create("simnet");
	tcase_add_test(net, test_des_timer_holders_clear_their_handles_when_their_events_run);
	tcase_add_test(net, test_down_on_connected_refuses_a_dial_that_completes_while_down);
	tcase_add_test(net, test_down_on_connected_connects_a_dial_that_completes_after_up);
	tcase_add_test(net, test_restart_server_close_conns_fails_the_tls_handshake_in_progress);
	tcase_add_test(net, test_client_feed_row_starts_each_row_at_its_instant_with_its_service);
	suite_add_tcase(s, net);
	return s;
}
