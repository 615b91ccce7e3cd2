/*
 * test_pool.c: one test per pool rule of go-transport-pool.md, driving the
 * pool core directly and asserting its exact decisions. Each test names the
 * rule id and the Go function; the Go test that pins the same rule is named
 * beside it where there is one.
 */
#include <check.h>

#include "pool_harness.h"

#define MS  PS_MS
#define SEC PS_SEC

/* ------------------------------------------------------------------ G2: idle lookup */

/* No Go test pins LIFO; the doc's [E] and issue #79664. */
START_TEST(test_G2c_queueForIdleConn_reuses_newest_idle_first)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	struct transport_config t = h_transport();
	(void)t;
	/* Three requests at once: three conns. */
	for (int i = 0; i < 3; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t a = h_dialed(&h, 0), b = h_dialed(&h, 1), c = h_dialed(&h, 2);
	pool_dialConnFor(h.pool, 1 * MS, a);
	pool_dialConnFor(h.pool, 1 * MS, b);
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	/* Returned in the order a, b: both idle (cap 2), c refused. */
	pool_readLoopDone(h.pool, 10 * MS, a, false, true);
	pool_readLoopDone(h.pool, 11 * MS, b, false, true);
	h_drain(&h);
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 2);
	uint32_t w = h_get(&h, 20 * MS, 0);
	h_drain(&h);
	ck_assert_uint_eq(w, PS_NONE);
	const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->conn, b); /* the newest */
	ck_assert(got->flags & EVF_WAS_IDLE);
	ck_assert(got->flags & EVF_REUSED);
	ck_assert(!(got->flags & EVF_WAITED));
	h_free(&h);
}
END_TEST

/* TestTransportIdleConnTimeout: the lazy check at lookup closes a stale conn. */
START_TEST(test_G2c_queueForIdleConn_drops_conn_idle_past_IdleConnTimeout)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.IdleConnTimeout = 1 * SEC;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	uint32_t c = h_fresh_conn_then_idle(&h, 0, 0);
	/* The timer would fire at 1s; a request at exactly 1s still gets it (strictly before). */
	h_get(&h, 1 * SEC, 0);
	h_drain(&h);
	ck_assert_ptr_nonnull(h_find(&h, EV_REQ_GOT_CONN, 0));
	ck_assert_uint_eq(h_find(&h, EV_REQ_GOT_CONN, 0)->conn, c);
	pool_readLoopDone(h.pool, 1 * SEC, c, false, true);
	h_drain(&h);
	/* Past the timeout without the timer having run: dropped at lookup, a new dial. */
	h_get(&h, 2 * SEC + 1, 0);
	h_drain(&h);
	const struct ps_event *closed = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(closed);
	ck_assert_uint_eq(closed->conn, c);
	ck_assert_uint_eq(closed->reason, R_IDLE_TIMEOUT);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	h_free(&h);
}
END_TEST

/* TestTransportKeepAlives: no lookup and no idle-waiter registration with DisableKeepAlives. */
START_TEST(test_G2a_queueForIdleConn_skipped_when_DisableKeepAlives)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.DisableKeepAlives = true;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_uint_eq(pool_idle_wait_count(h.pool, 0, 0), 0);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c, false, true),
	                 POOL_ERR_KEEPALIVES_DISABLED);
	h_drain(&h);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_KEEPALIVES_DISABLED);
	ck_assert_uint_eq(pool_open_count(h.pool), 0);
	h_free(&h);
}
END_TEST

/* G2e + G4: nothing idle: the request waits for an idle conn and dials at once. */
START_TEST(test_G2e_getConn_waits_and_dials_when_nothing_idle)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	uint32_t w = h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_uint_ne(w, PS_NONE);
	ck_assert_int_eq(h.n, 2);
	ck_assert_int_eq(h.ev[0].kind, EV_REQ_WAIT);
	ck_assert_int_eq(h.ev[1].kind, EV_DIAL_START);
	ck_assert_uint_eq(pool_idle_wait_count(h.pool, 0, 0), 1);
	pool_dialConnFor(h.pool, 1 * MS, h.ev[1].conn);
	h_drain(&h);
	const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert(got->flags & EVF_WAITED);
	ck_assert(!(got->flags & (EVF_REUSED | EVF_GO_REUSED | EVF_WAS_IDLE)));
	ck_assert_uint_eq(pool_idle_wait_count(h.pool, 0, 0), 0);
	h_free(&h);
}
END_TEST

/* ------------------------------------------------------------------ G4/G7: MaxConnsPerHost */

/* TestTransportMaxConnsPerHostIncludeDialInProgress. */
START_TEST(test_G4_queueForDial_waits_at_MaxConnsPerHost)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 2;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	for (int i = 0; i < 3; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 2);
	ck_assert_int_eq(h_count(&h, EV_PERMIT_WAIT), 1);
	ck_assert_int_eq(h_find(&h, EV_PERMIT_WAIT, 0)->value, 2);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 2);
	h_free(&h);
}
END_TEST

/* G4: idle conns hold their permit: a third request at MaxConnsPerHost=2 with 2 idle reuses. */
START_TEST(test_G4_MaxConnsPerHost_counts_idle_conns)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	t.MaxIdleConnsPerHost = 5;
	h_init(&h, t, GO_RELEASE_CURRENT, 2);
	h_fresh_conn_then_idle(&h, 0, 0);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 1); /* idle, still counted */
	/* Another host has its own budget. */
	h_get(&h, 1 * MS, 1);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	h_free(&h);
}
END_TEST

/* G7 (#29889): a freed permit is transferred to the oldest permit waiter, whose dial starts. */
START_TEST(test_G7_decConnsPerHost_transfers_permit_to_oldest_waiter)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_get(&h, 0, 0); /* req 2 */
	h_get(&h, 0, 0); /* req 3 */
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	/* The conn breaks (server close) under req 1: req 2's dial starts, count stays 1. */
	pool_closeConn(h.pool, 5 * MS, c, R_SERVER_RESTART);
	h_drain(&h);
	ck_assert_int_eq(h.ev[0].kind, EV_CONN_CLOSED);
	ck_assert_int_eq(h.ev[1].kind, EV_DIAL_START);
	ck_assert_uint_eq(h.ev[1].req, 2);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 1);
	h_free(&h);
}
END_TEST

START_TEST(test_G7_decConnsPerHost_decrements_without_waiters)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 3;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	uint32_t c = h_fresh_conn_then_idle(&h, 0, 0);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 1);
	pool_closeConnIfStillIdle(h.pool, 90 * SEC, c);
	h_drain(&h);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 0);
	h_free(&h);
}
END_TEST

/* TestTransportMaxConnsPerHost: 10 concurrent requests with MaxConnsPerHost=1 make 1 dial. */
START_TEST(test_G7_MaxConnsPerHost_1_serves_ten_requests_with_one_dial)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	for (int i = 0; i < 10; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	int dials = 1, got = 0;
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	got += h_count(&h, EV_REQ_GOT_CONN);
	for (int i = 0; i < 9; i++) {
		pool_readLoopDone(h.pool, (2 + i) * MS, c, false, true);
		h_drain(&h);
		dials += h_count(&h, EV_DIAL_START);
		got += h_count(&h, EV_REQ_GOT_CONN);
		ck_assert_int_eq(h_count(&h, EV_CONN_HANDOFF), 1);
	}
	ck_assert_int_eq(dials, 1);
	ck_assert_int_eq(got, 10);
	h_free(&h);
}
END_TEST

/* ------------------------------------------------------------------ G5/G6: late binding */

/* TestTransportSocketLateBinding: a conn freed while a request's dial runs goes to that request. */
START_TEST(test_G5_late_binding_takes_conn_freed_before_own_dial)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	uint32_t first, second;
	h_late_binding_setup(&h, &first, &second); /* req 2: nothing idle: waits and dials */
	pool_readLoopDone(h.pool, 3 * MS, first, false, true); /* req 1 done before req 2's dial */
	h_drain(&h);
	ck_assert_int_eq(h.ev[0].kind, EV_CONN_HANDOFF);
	const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert_uint_eq(got->req, 2);
	ck_assert_uint_eq(got->conn, first);
	ck_assert(!(got->flags & EVF_WAS_IDLE)); /* G9: a hand-off is not WasIdle */
	ck_assert(got->flags & EVF_REUSED);
	/* G6: the dial finishes for nobody: the spare conn goes to the idle pool. */
	pool_dialConnFor(h.pool, 4 * MS, second);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 1);
	ck_assert_uint_eq(h_find(&h, EV_CONN_IDLE, 0)->conn, second);
	h_free(&h);
}
END_TEST

/* G6/G9: the spare conn went through a put, so Go reports it Reused although it served nothing. */
START_TEST(test_G6_dialConnFor_spare_conn_is_go_reused_but_not_served)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	uint32_t first, spare;
	h_late_binding_setup(&h, &first, &spare);
	pool_readLoopDone(h.pool, 3 * MS, first, false, true);
	pool_dialConnFor(h.pool, 4 * MS, spare);
	pool_readLoopDone(h.pool, 5 * MS, first, false, true);
	h_drain(&h);
	/* Idle: spare (put at 4ms), first (put at 5ms, newest). Take first, then spare. */
	h_get(&h, 6 * MS, 0);
	h_get(&h, 6 * MS, 0);
	h_drain(&h);
	const struct ps_event *g1 = h_find(&h, EV_REQ_GOT_CONN, 0),
	                      *g2 = h_find(&h, EV_REQ_GOT_CONN, 1);
	ck_assert_uint_eq(g1->conn, first);
	ck_assert_uint_eq(g2->conn, spare);
	ck_assert(g2->flags & EVF_GO_REUSED);
	ck_assert(pool_conn_is_reused(h.pool, spare)); /* Go's persistConn.isReused */
	ck_assert(!(g2->flags & EVF_REUSED)); /* the JSON "reused" counts served conns only */
	h_free(&h);
}
END_TEST

/* G6: a spare conn meeting a full per-host idle list is closed (errTooManyIdleHost). */
START_TEST(test_G6_dialConnFor_closes_spare_when_host_idle_full)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxIdleConnsPerHost = 1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	uint32_t first, spare;
	h_late_binding_setup(&h, &first, &spare);
	pool_readLoopDone(h.pool, 3 * MS, first, false, true); /* handed to req 2 */
	pool_readLoopDone(h.pool, 3 * MS, first, false, true); /* req 2 done: idle (1 of 1) */
	pool_dialConnFor(h.pool, 4 * MS, spare);
	h_drain(&h);
	const struct ps_event *closed = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(closed);
	ck_assert_uint_eq(closed->conn, spare);
	ck_assert_uint_eq(closed->reason, R_MAX_IDLE_PER_HOST);
	h_free(&h);
}
END_TEST

/* G6: a dial error fails the request that is still waiting, even though it also waited for idle. */
START_TEST(test_G6_dialFailed_fails_waiting_request_without_fallback)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialFailed(h.pool, 1 * MS, c, R_DIAL_REFUSED);
	h_drain(&h);
	ck_assert_int_eq(h.ev[0].kind, EV_REQ_FAILED);
	ck_assert_uint_eq(h.ev[0].req, 1);
	ck_assert_uint_eq(h.ev[0].reason, R_DIAL_REFUSED);
	ck_assert_int_eq(h.ev[1].kind, EV_CONN_CLOSED);
	ck_assert(h.ev[1].flags & EVF_WAS_DIALING);
	/* The permit passes to request 2, which dials. */
	ck_assert_int_eq(h.ev[2].kind, EV_DIAL_START);
	ck_assert_uint_eq(h.ev[2].req, 2);
	h_free(&h);
}
END_TEST

/* ------------------------------------------------------------------ G8: cancel while waiting */

/*
 * G8, the first row of docs/go-transport-pool.md section 9.1: a request that
 * gives up while its dial runs. Go 1.19 (TestTransportCancelRequestInDial):
 * the dial runs on the request's context and is aborted; since Go 1.23
 * (TestTransportIdleConnRacesRequest) it is detached and its conn is pooled.
 */
static void cancel_while_dialing(struct harness *h, int go)
{
	h_init(h, h_transport(), go, 1);
	uint32_t w = h_get(h, 0, 0);
	h_drain(h);
	uint32_t c = h_dialed(h, 0);
	pool_cancelWant(h->pool, 5 * MS, w, R_CLIENT_TIMEOUT);
	pool_dialConnFor(h->pool, 10 * MS, c); /* ignored if the dial was aborted */
	h_drain(h);
}

START_TEST(test_G8_getConn_119_cancel_aborts_dial)
{
	struct harness h;
	cancel_while_dialing(&h, 119);
	const struct ps_event *closed = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(closed);
	ck_assert_uint_eq(closed->reason, R_DIAL_CANCELED);
	ck_assert_int_eq(h_count(&h, EV_REQ_FAILED), 0); /* the client reports its own failure */
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 0);
	ck_assert_uint_eq(pool_open_count(h.pool), 0);
	h_free(&h);
}
END_TEST

START_TEST(test_G8_getConn_126_cancel_keeps_dial)
{
	struct harness h;
	cancel_while_dialing(&h, 126);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 0);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 1);
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 1);
	h_free(&h);
}
END_TEST

/* The gate is the release of CL 576555 (golang/go#59017): 1.22 aborts, 1.23 keeps. */
START_TEST(test_G8_getConn_detach_gate_is_release_123)
{
	struct harness h;
	cancel_while_dialing(&h, 122);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 0);
	ck_assert_uint_eq(pool_open_count(h.pool), 0);
	h_free(&h);
	cancel_while_dialing(&h, 123);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 1);
	h_free(&h);
}
END_TEST

/* G8: cancelling a request that was already served does nothing. */
START_TEST(test_G8_cancelWant_after_delivery_is_a_no_op)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	uint32_t w = h_get(&h, 0, 0);
	h_drain(&h);
	pool_dialConnFor(h.pool, 1 * MS, h_dialed(&h, 0));
	h_drain(&h);
	pool_cancelWant(h.pool, 2 * MS, w, R_CLIENT_TIMEOUT);
	h_drain(&h);
	ck_assert_int_eq(h.n, 0);
	ck_assert_uint_eq(pool_open_count(h.pool), 1);
	h_free(&h);
}
END_TEST

/*
 * G8, the second row of section 9.1 (#59017): request 2 is served by late
 * binding while its own dial still runs; with Client.Timeout its context ends
 * with its body. Go 1.19 aborts that spare dial; since 1.23 it is pooled.
 */
static void context_end_with_spare_dial(struct harness *h, int go, uint32_t *late)
{
	h_init(h, h_transport(), go, 1);
	uint32_t first;
	uint32_t w = h_late_binding_setup(h, &first, late);     /* req 2 waits and dials */
	pool_readLoopDone(h->pool, 3 * MS, first, false, true); /* req 2 gets `first` */
	h_drain(h);
	pool_requestContextDone(h->pool, 4 * MS, w, 2);
	pool_dialConnFor(h->pool, 6 * MS, *late); /* ignored if the dial was aborted */
	h_drain(h);
}

START_TEST(test_G8_dialConnFor_119_context_end_aborts_spare_dial)
{
	struct harness h;
	uint32_t late;
	context_end_with_spare_dial(&h, 119, &late);
	const struct ps_event *closed = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(closed);
	ck_assert_uint_eq(closed->conn, late);
	ck_assert_uint_eq(closed->reason, R_DIAL_CANCELED);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 0);
	h_free(&h);
}
END_TEST

START_TEST(test_G8_dialConnFor_126_context_end_keeps_spare_dial)
{
	struct harness h;
	uint32_t late;
	context_end_with_spare_dial(&h, 126, &late);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 0);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 1);
	ck_assert(pool_conn_is_idle(h.pool, late));
	h_free(&h);
}
END_TEST

/* ------------------------------------------------------------------ P: putting back */

/* P1 with MaxIdleConnsPerHost < 0: puts refused, but requests still register as idle waiters. */
START_TEST(test_P1_negative_MaxIdleConnsPerHost_refuses_put_but_waiters_register)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxIdleConnsPerHost = -1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_uint_eq(pool_idle_wait_count(h.pool, 0, 0), 1);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c, false, true),
	                 POOL_ERR_KEEPALIVES_DISABLED);
	h_drain(&h);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_KEEPALIVES_DISABLED);
	h_free(&h);
}
END_TEST

/* P1 before P5: with MaxIdleConnsPerHost < 0 even a waiting request is not handed the conn. */
START_TEST(test_P1_negative_MaxIdleConnsPerHost_refuses_hand_off_too)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxIdleConnsPerHost = -1;
	t.MaxConnsPerHost = 1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c, false, true),
	                 POOL_ERR_KEEPALIVES_DISABLED);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_HANDOFF), 0);
	/* The close frees the permit: request 2 dials. */
	ck_assert_uint_eq(h_find(&h, EV_DIAL_START, 0)->req, 2);
	h_free(&h);
}
END_TEST

/* TestTransportSocketLateBinding, TestTransportMaxConnsPerHost: hand-off to the oldest waiter
 * first (FIFO), without looking at closeIdle or the idle caps. */
START_TEST(test_P5_tryPutIdleConn_hands_off_FIFO_before_closeIdle)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_get(&h, 0, 0); /* req 2 */
	h_get(&h, 0, 0); /* req 3 */
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	pool_closeIdleConnections(h.pool, 1 * MS, 0); /* sets closeIdle */
	h_drain(&h);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c, false, true), POOL_PUT_HANDED_OFF);
	h_drain(&h);
	ck_assert_uint_eq(h_find(&h, EV_REQ_GOT_CONN, 0)->req, 2);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 3 * MS, c, false, true), POOL_PUT_HANDED_OFF);
	h_drain(&h);
	ck_assert_uint_eq(h_find(&h, EV_REQ_GOT_CONN, 0)->req, 3);
	/* Nobody waits now: closeIdle refuses the put (P6). */
	ck_assert_int_eq(pool_readLoopDone(h.pool, 4 * MS, c, false, true), POOL_ERR_CLOSE_IDLE);
	h_free(&h);
}
END_TEST

/* TestTransportCloseIdleConnsThenReturn: after CloseIdleConnections a put is refused, until a
 * request. */
START_TEST(test_P6_closeIdle_refuses_put_until_next_request)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	pool_closeIdleConnections(h.pool, 2 * MS, 0);
	h_drain(&h);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 3 * MS, c, false, true), POOL_ERR_CLOSE_IDLE);
	h_drain(&h);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_CLOSE_IDLE_CONNS);
	/* A request clears the flag (G2b): the next put succeeds. */
	uint32_t c2 = h_fresh_conn_then_idle(&h, 4 * MS, 0);
	ck_assert(pool_conn_is_idle(h.pool, c2));
	h_free(&h);
}
END_TEST

/* TestTransportMaxPerHostIdleConns; #13801: MaxIdleConnsPerHost 0 means 2; the new conn is refused.
 */
START_TEST(test_P7_tryPutIdleConn_refuses_when_host_idle_full)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	for (int i = 0; i < 3; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c[3] = {h_dialed(&h, 0), h_dialed(&h, 1), h_dialed(&h, 2)};
	for (int i = 0; i < 3; i++)
		pool_dialConnFor(h.pool, 1 * MS, c[i]);
	h_drain(&h);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c[0], false, true), POOL_PUT_IDLE);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c[1], false, true), POOL_PUT_IDLE);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c[2], false, true),
	                 POOL_ERR_TOO_MANY_IDLE_HOST);
	h_drain(&h);
	const struct ps_event *closed = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_uint_eq(closed->conn, c[2]);
	ck_assert_uint_eq(closed->reason, R_MAX_IDLE_PER_HOST);
	ck_assert(pool_conn_is_idle(h.pool, c[0]) && pool_conn_is_idle(h.pool, c[1]));
	h_free(&h);
}
END_TEST

/* TestTransportMaxIdleConns: the globally oldest idle conn is evicted, across hosts. */
START_TEST(test_P8_MaxIdleConns_evicts_globally_oldest_idle)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxIdleConns = 2;
	h_init(&h, t, GO_RELEASE_CURRENT, 3);
	uint32_t a = h_fresh_conn_then_idle(&h, 0, 0);
	uint32_t b = h_fresh_conn_then_idle(&h, 1 * MS, 1);
	ck_assert_uint_eq(pool_idle_total(h.pool, 0), 2);
	h_get(&h, 2 * MS, 2);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 3 * MS, c);
	pool_readLoopDone(h.pool, 4 * MS, c, false, true);
	h_drain(&h);
	/* The eviction comes first, so the stream never shows 3 idle. */
	const struct ps_event *closed = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_uint_eq(closed->conn, a);
	ck_assert_uint_eq(closed->reason, R_MAX_IDLE_TOTAL);
	ck_assert(closed < h_find(&h, EV_CONN_IDLE, 0));
	ck_assert(pool_conn_is_idle(h.pool, b) && pool_conn_is_idle(h.pool, c));
	ck_assert_uint_eq(pool_idle_total(h.pool, 0), 2);
	h_free(&h);
}
END_TEST

/* P8 with MaxIdleConns < 0 ([E]): every put evicts, the new conn included. */
START_TEST(test_P8_negative_MaxIdleConns_keeps_nothing_idle)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxIdleConns = -1;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	ck_assert_int_eq(pool_readLoopDone(h.pool, 2 * MS, c, false, true), POOL_PUT_IDLE);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 0);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_MAX_IDLE_TOTAL);
	ck_assert_uint_eq(pool_idle_total(h.pool, 0), 0);
	h_free(&h);
}
END_TEST

/* P9: the idle deadline runs from the last put. */
START_TEST(test_P9_idle_timer_deadline_from_last_put)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.IdleConnTimeout = 5 * SEC;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_fresh_conn_then_idle(&h, 1 * SEC, 0);
	ck_assert_int_eq(h_find(&h, EV_CONN_IDLE, 0)->value, 6 * SEC);
	t.IdleConnTimeout = 0;
	h_free(&h);
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	h_fresh_conn_then_idle(&h, 1 * SEC, 0);
	ck_assert_int_eq(h_find(&h, EV_CONN_IDLE, 0)->value, PS_TIME_NEVER);
	h_free(&h);
}
END_TEST

/* P9 closeConnIfStillIdle: a timer that fires for a conn taken since is a no-op. */
START_TEST(test_P9_closeConnIfStillIdle_ignores_conn_taken)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.IdleConnTimeout = 5 * SEC;
	h_init(&h, t, GO_RELEASE_CURRENT, 1);
	uint32_t c = h_fresh_conn_then_idle(&h, 0, 0);
	h_get(&h, 1 * SEC, 0);
	h_drain(&h);
	pool_closeConnIfStillIdle(h.pool, 5 * SEC, c);
	h_drain(&h);
	ck_assert_int_eq(h.n, 0);
	pool_readLoopDone(h.pool, 6 * SEC, c, false, true);
	pool_closeConnIfStillIdle(h.pool, 11 * SEC, c);
	h_drain(&h);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_IDLE_TIMEOUT);
	h_free(&h);
}
END_TEST

/* TestTransportConnectionCloseOnResponse: a response with Connection: close is not pooled. */
START_TEST(test_P10_readLoop_closes_conn_on_connection_close)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	pool_readLoopDone(h.pool, 2 * MS, c, true, true);
	h_drain(&h);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_SERVER_CONN_CLOSE);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 0);
	h_free(&h);
}
END_TEST

/*
 * P14 (TestTransportCloseResponseBody): an early Close throws the conn away,
 * in 1.19 and still in 1.26 (the drain of #77370 is the 1.27 line, not
 * modelled): section 9.2 of docs/go-transport-pool.md.
 */
static void early_close(struct harness *h, int go, uint32_t *c)
{
	h_init(h, h_transport(), go, 1);
	h_get(h, 0, 0);
	h_drain(h);
	*c = h_dialed(h, 0);
	pool_dialConnFor(h->pool, 1 * MS, *c);
	ck_assert_int_eq(pool_readLoopDone(h->pool, 2 * MS, *c, false, false),
	                 POOL_ERR_CONN_BROKEN);
	h_drain(h);
}

START_TEST(test_P14_readLoop_119_early_close_closes)
{
	struct harness h;
	uint32_t c;
	early_close(&h, 119, &c);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_BODY_NOT_READ);
	ck_assert(!pool_conn_is_idle(h.pool, c));
	h_free(&h);
}
END_TEST

START_TEST(test_P14_readLoop_126_early_close_closes)
{
	struct harness h;
	uint32_t c;
	early_close(&h, 126, &c);
	ck_assert_uint_eq(h_find(&h, EV_CONN_CLOSED, 0)->reason, R_BODY_NOT_READ);
	ck_assert(!pool_conn_is_idle(h.pool, c));
	h_free(&h);
}
END_TEST

/* ------------------------------------------------------------------ S3: retries */

/* TestRetryRequestsOnError: the rules of shouldRetryRequest, first match wins. */
START_TEST(test_S3_shouldRetryRequest_rules)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	/* Rule 3: a fresh conn's failure is never retried. */
	ck_assert(!pool_shouldRetryRequest(h.pool, c, POOL_FAIL_SERVER_CLOSED_IDLE, true, true));
	pool_readLoopDone(h.pool, 2 * MS, c, false, true);
	h_get(&h, 3 * MS, 0);
	h_drain(&h);
	/* Now reused. Rule 4: nothing written: retried, whatever the method. */
	ck_assert(pool_shouldRetryRequest(h.pool, c, POOL_FAIL_OTHER, true, false));
	/* Rule 5: written and not replayable: no. */
	ck_assert(!pool_shouldRetryRequest(h.pool, c, POOL_FAIL_READ_FROM_SERVER, false, false));
	/* Rules 6 and 7. */
	ck_assert(pool_shouldRetryRequest(h.pool, c, POOL_FAIL_READ_FROM_SERVER, false, true));
	ck_assert(pool_shouldRetryRequest(h.pool, c, POOL_FAIL_SERVER_CLOSED_IDLE, false, true));
	/* Rule 8: anything else. */
	ck_assert(!pool_shouldRetryRequest(h.pool, c, POOL_FAIL_OTHER, false, true));
	h_free(&h);
}
END_TEST

/* TestTransportRequestReplayable: GET, OPTIONS, TRACE are; POST, PUT, PATCH, DELETE only with
 * an Idempotency-Key (poolsim's bodies are byte slices: GetBody is set, so a body never stops it).
 */
START_TEST(test_S3_isReplayable_methods_and_idempotency_key)
{
	ck_assert(request_is_replayable(METHOD_GET, false));
	ck_assert(request_is_replayable(METHOD_OPTIONS, false));
	ck_assert(request_is_replayable(METHOD_TRACE, false));
	ck_assert(!request_is_replayable(METHOD_POST, false));
	ck_assert(!request_is_replayable(METHOD_PUT, false));
	ck_assert(!request_is_replayable(METHOD_PATCH, false));
	ck_assert(!request_is_replayable(METHOD_DELETE, false));
	for (int m = 0; m < METHOD_COUNT; m++)
		ck_assert(request_is_replayable((enum http_method)m, true));
}
END_TEST

/* ------------------------------------------------------------------ C: CloseIdleConnections */

START_TEST(test_C1_closeIdleConnections_closes_idle_and_releases_permits)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h_init(&h, t, GO_RELEASE_CURRENT, 2);
	h_fresh_conn_then_idle(&h, 0, 0);
	h_fresh_conn_then_idle(&h, 0, 1);
	pool_closeIdleConnections(h.pool, 1 * MS, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 2);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 0);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 1), 0);
	h_free(&h);
}
END_TEST

/* ------------------------------------------------------------------ §2: keys */

/* Two Transports never share anything (the new-client-per-request mistake). */
START_TEST(test_key_separate_transports_never_share_conns)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	uint32_t t1 = pool_transport_new(h.pool);
	pool_getConn(h.pool, 0, t1, 0, 1, 1);
	h_drain(&h);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	pool_readLoopDone(h.pool, 2 * MS, c, false, true);
	h_drain(&h);
	ck_assert_uint_eq(pool_idle_count(h.pool, t1, 0), 1);
	uint32_t t2 = pool_transport_new(h.pool);
	pool_getConn(h.pool, 3 * MS, t2, 0, 2, 2);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1); /* t1's idle conn is invisible to t2 */
	ck_assert_uint_eq(pool_transport_count(h.pool), 3);
	/* t1's conn expires: t1 holds nothing and is gone. */
	pool_closeConnIfStillIdle(h.pool, 90 * SEC, c);
	h_drain(&h);
	ck_assert_uint_eq(pool_transport_count(h.pool), 2);
	h_free(&h);
}
END_TEST

Suite *suite_pool(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_G2c_queueForIdleConn_reuses_newest_idle_first);
	tcase_add_test(tc, test_G2c_queueForIdleConn_drops_conn_idle_past_IdleConnTimeout);
	tcase_add_test(tc, test_G2a_queueForIdleConn_skipped_when_DisableKeepAlives);
	tcase_add_test(tc, test_G2e_getConn_waits_and_dials_when_nothing_idle);
	tcase_add_test(tc, test_G4_queueForDial_waits_at_MaxConnsPerHost);
	tcase_add_test(tc, test_G4_MaxConnsPerHost_counts_idle_conns);
	tcase_add_test(tc, test_G7_decConnsPerHost_transfers_permit_to_oldest_waiter);
	tcase_add_test(tc, test_G7_decConnsPerHost_decrements_without_waiters);
	tcase_add_test(tc, test_G7_MaxConnsPerHost_1_serves_ten_requests_with_one_dial);
	tcase_add_test(tc, test_G5_late_binding_takes_conn_freed_before_own_dial);
	tcase_add_test(tc, test_G6_dialConnFor_spare_conn_is_go_reused_but_not_served);
	tcase_add_test(tc, test_G6_dialConnFor_closes_spare_when_host_idle_full);
	tcase_add_test(tc, test_G6_dialFailed_fails_waiting_request_without_fallback);
	tcase_add_test(tc, test_G8_getConn_119_cancel_aborts_dial);
	tcase_add_test(tc, test_G8_getConn_126_cancel_keeps_dial);
	tcase_add_test(tc, test_G8_getConn_detach_gate_is_release_123);
	tcase_add_test(tc, test_G8_cancelWant_after_delivery_is_a_no_op);
	tcase_add_test(tc, test_G8_dialConnFor_119_context_end_aborts_spare_dial);
	tcase_add_test(tc, test_G8_dialConnFor_126_context_end_keeps_spare_dial);
	tcase_add_test(tc, test_P1_negative_MaxIdleConnsPerHost_refuses_put_but_waiters_register);
	tcase_add_test(tc, test_P1_negative_MaxIdleConnsPerHost_refuses_hand_off_too);
	tcase_add_test(tc, test_P5_tryPutIdleConn_hands_off_FIFO_before_closeIdle);
	tcase_add_test(tc, test_P6_closeIdle_refuses_put_until_next_request);
	tcase_add_test(tc, test_P7_tryPutIdleConn_refuses_when_host_idle_full);
	tcase_add_test(tc, test_P8_MaxIdleConns_evicts_globally_oldest_idle);
	tcase_add_test(tc, test_P8_negative_MaxIdleConns_keeps_nothing_idle);
	tcase_add_test(tc, test_P9_idle_timer_deadline_from_last_put);
	tcase_add_test(tc, test_P9_closeConnIfStillIdle_ignores_conn_taken);
	tcase_add_test(tc, test_P10_readLoop_closes_conn_on_connection_close);
	tcase_add_test(tc, test_P14_readLoop_119_early_close_closes);
	tcase_add_test(tc, test_P14_readLoop_126_early_close_closes);
	tcase_add_test(tc, test_S3_shouldRetryRequest_rules);
	tcase_add_test(tc, test_S3_isReplayable_methods_and_idempotency_key);
	tcase_add_test(tc, test_C1_closeIdleConnections_closes_idle_and_releases_permits);
	tcase_add_test(tc, test_key_separate_transports_never_share_conns);
	suite_add_tcase(s, tc);
	return s;
}
