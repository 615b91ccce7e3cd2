/*
 * test_pool_h2.c: the HTTP/2 rules of the pool core (H2-H11 of
 * docs/go-transport-pool.md section 8), one test per behaviour, named after
 * the rule and Go's function. Each drives pool.c directly (pool_harness.h).
 */
#include "pool_harness.h"

#define MS PS_MS

/* h2_init: one host that speaks HTTP/2 with a server allowing `streams` concurrent streams. */
static void h2_init(struct harness *h, struct transport_config t, uint32_t streams)
{
	memset(h, 0, sizeof(*h));
	ev_stream_init(&h->stream);
	uint32_t max[1] = {streams};
	struct pool_config cfg = {.transport = t, .go = GO_RELEASE_CURRENT, .h2_max_streams = max};
	h->pool = pool_create(&cfg, 1, &h->stream);
	ck_assert_ptr_nonnull(h->pool);
}

/* h2_conn_up: one request dials; its dial completes; returns the HTTP/2 conn. */
static uint32_t h2_conn_up(struct harness *h, ps_time now)
{
	h_get(h, now, 0);
	h_drain(h);
	uint32_t c = h_dialed(h, 0);
	pool_dialConnFor(h->pool, now, c);
	h_drain(h);
	ck_assert(pool_conn_is_h2(h->pool, c));
	return c;
}

/* TestTransportMaxConnsPerHost, http2 mode: 10 concurrent requests, 1 dial, 1 conn, 10 streams. */
START_TEST(test_H4_tryPutIdleConn_hands_h2_conn_to_every_waiter)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h2_init(&h, t, 250);
	for (int i = 0; i < 10; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	ck_assert_int_eq(h_count(&h, EV_PERMIT_WAIT), 9);
	uint32_t c = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, c);
	h_drain(&h);
	/* The permit waiters also wait for an idle conn (G2e): the put hands the one conn to all.
	 */
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 10);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 0);
	ck_assert_uint_eq(pool_conn_streams(h.pool, c), 10);
	ck_assert_int_eq(pool_idle_count(h.pool, 0, 0), 1); /* listed while in use */
	ck_assert_int_eq(pool_idle_wait_count(h.pool, 0, 0), 0);
	h_free(&h);
}
END_TEST

/* Waiters registered in idleConnWait (no MaxConnsPerHost) all get the one conn. */
START_TEST(test_H4_dialConnFor_first_conn_serves_all_idle_waiters)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	for (int i = 0; i < 10; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 10); /* all miss at once: 10 dials (H3) */
	uint32_t first = h_dialed(&h, 0);
	uint32_t second = h_dialed(&h, 1);
	pool_dialConnFor(h.pool, 1 * MS, first);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 10);
	ck_assert_uint_eq(pool_conn_streams(h.pool, first), 10);
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 1);
	/* H3: the next dial finds a conn with free streams: its socket is closed at once. */
	pool_dialConnFor(h.pool, 1 * MS, second);
	h_drain(&h);
	const struct ps_event *cl = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(cl);
	ck_assert_uint_eq(cl->reason, R_H2_UNNEEDED);
	ck_assert_uint_eq(pool_open_count(h.pool), 9);       /* 1 conn + 8 dials still running */
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 2); /* two tickets listed */
	h_free(&h);
}
END_TEST

/* H3: a shadow pconn's put is capped by MaxIdleConnsPerHost like any (2 by default). */
START_TEST(test_H3_addConnIfNeeded_unneeded_conns_beyond_idle_cap_refused)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	for (int i = 0; i < 4; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	uint32_t d[4];
	for (int i = 0; i < 4; i++)
		d[i] = h_dialed(&h, i);
	for (int i = 0; i < 4; i++)
		pool_dialConnFor(h.pool, 1 * MS, d[i]);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 3); /* 3 sockets not needed */
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 2);
	ck_assert_uint_eq(pool_open_count(h.pool), 1);
	h_free(&h);
}
END_TEST

/* H2: a request finds a conn with a free stream in the HTTP/2 pool: no wait, no dial. */
START_TEST(test_H2_getClientConn_uses_conn_with_free_stream)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	uint32_t c = h2_conn_up(&h, 0);
	uint32_t w = h_get(&h, 1 * MS, 0);
	h_drain(&h);
	ck_assert_uint_eq(w, PS_NONE);
	ck_assert_int_eq(h_count(&h, EV_REQ_WAIT), 0);
	const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->conn, c);
	ck_assert(got->flags & EVF_H2);
	ck_assert(got->flags & EVF_REUSED);
	ck_assert_uint_eq(pool_conn_streams(h.pool, c), 2);
	h_free(&h);
}
END_TEST

/* got_conn_of: the conn the next request gets at `now` from the HTTP/2 pool (no dial). */
static uint32_t got_conn_of(struct harness *h, ps_time now)
{
	h_get(h, now, 0);
	h_drain(h);
	ck_assert_int_eq(h_count(h, EV_DIAL_START), 0);
	const struct ps_event *got = h_find(h, EV_REQ_GOT_CONN, 0);
	ck_assert_ptr_nonnull(got);
	return got->conn;
}

/* H2 with one stream a conn and every conn full (its stream leaked, say): each request
 * finds the first conn, in the order they joined, whose stream ended, however the search
 * before it left off; a conn that leaves the pool (GOAWAY) is stepped over. */
START_TEST(test_H2_getClientConn_first_conn_in_order_whose_stream_ended)
{
	struct harness h;
	h2_init(&h, h_transport(), 1);
	uint32_t c[4];
	for (int i = 0; i < 4; i++)
		c[i] = h2_conn_up(&h, i * MS); /* each full at once: the next request dials */
	pool_streamDone(h.pool, 5 * MS, c[2]);
	h_drain(&h);
	ck_assert_uint_eq(got_conn_of(&h, 6 * MS), c[2]); /* 0 and 1 full: stepped over */
	pool_streamDone(h.pool, 7 * MS, c[3]);
	pool_streamDone(h.pool, 7 * MS, c[0]);
	h_drain(&h);
	ck_assert_uint_eq(got_conn_of(&h, 8 * MS), c[0]); /* before where the search left off */
	ck_assert_uint_eq(got_conn_of(&h, 9 * MS), c[3]);
	pool_streamDone(h.pool, 10 * MS, c[1]);
	pool_streamDone(h.pool, 10 * MS, c[2]);
	pool_goAway(h.pool, 10 * MS, c[1], R_SERVER_IDLE_TIMEOUT);
	h_drain(&h);
	ck_assert_uint_eq(got_conn_of(&h, 11 * MS), c[2]); /* c[1] retired by its GOAWAY */
	h_free(&h);
}
END_TEST

/* H5a: a full conn: the listed ticket fails (ErrNoCachedConn), is dropped, the retry dials. */
START_TEST(test_H5a_roundTrip_full_conn_drops_ticket_releases_permit_and_dials)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h2_init(&h, t, 1);
	uint32_t c = h2_conn_up(&h, 0);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 1);
	h_get(&h, 1 * MS, 0);
	h_drain(&h);
	/* The only permit went with the ticket, so a second conn dials though MaxConnsPerHost=1. */
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	ck_assert_int_eq(h_count(&h, EV_PERMIT_WAIT), 0);
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 0);
	ck_assert(pool_conn_is_open(h.pool, c));
	uint32_t c2 = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 2 * MS, c2);
	h_drain(&h);
	const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->conn, c2);
	ck_assert_uint_eq(pool_open_count(h.pool), 2);
	h_free(&h);
}
END_TEST

/* H5a: waiters handed a ticket that find no free stream retry with a fresh getConn. */
START_TEST(test_H5a_tryPutIdleConn_waiters_beyond_stream_limit_retry)
{
	struct harness h;
	h2_init(&h, h_transport(), 4);
	for (int i = 0; i < 6; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 6);
	uint32_t first = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 1 * MS, first);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 4);
	/* 2 retries, each a new dial (their first dials go on for nobody) */
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 2);
	ck_assert_uint_eq(pool_conn_streams(h.pool, first), 4);
	h_free(&h);
}
END_TEST

/*
 * H4: the put hands the ticket to every idle waiter, and tryDeliver marks each done, so
 * decConnsPerHost skips them (w.waiting()): the permit the first one's H5a drop releases
 * is free, its retry (a new wantConn) dials at once, and the others queue again, each once.
 */
START_TEST(test_H4_tryPutIdleConn_handed_waiters_leave_connsPerHostWait)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 1;
	h2_init(&h, t, 1);
	for (int i = 0; i < 4; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_PERMIT_WAIT), 3);
	uint32_t c = h_dialed(&h, 0);
	for (uint32_t req = 1; req <= 4; req++) {
		pool_dialConnFor(h.pool, req * MS, c);
		h_drain(&h);
		const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(got->req, req);
		ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 1);
		ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 1);
		if (req == 4) {
			ck_assert_int_eq(h_count(&h, EV_DIAL_START), 0);
			break;
		}
		/* the next request dials; those after it wait for the permit again, once each */
		ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
		ck_assert_uint_eq(h_find(&h, EV_DIAL_START, 0)->req, req + 1);
		ck_assert_int_eq(h_count(&h, EV_PERMIT_WAIT), (int)(3 - req));
		for (int i = 0; i < h_count(&h, EV_PERMIT_WAIT); i++)
			ck_assert_uint_eq(h_find(&h, EV_PERMIT_WAIT, i)->req,
			                  req + 2 + (uint32_t)i);
		c = h_dialed(&h, 0);
	}
	ck_assert_uint_eq(pool_open_count(h.pool), 4);
	h_free(&h);
}
END_TEST

/* H6/H7: the last stream's end arms IdleConnTimeout; the timer closes the conn, not its ticket. */
START_TEST(test_H7_closeIfIdle_closes_conn_after_IdleConnTimeout_ticket_stays)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.MaxConnsPerHost = 2;
	h2_init(&h, t, 250);
	uint32_t c = h2_conn_up(&h, 0);
	pool_readLoopDone(h.pool, 5 * MS, c, false, true);
	h_drain(&h);
	const struct ps_event *idle = h_find(&h, EV_CONN_IDLE, 0);
	ck_assert_ptr_nonnull(idle);
	ck_assert_int_eq(idle->value, 5 * MS + t.IdleConnTimeout);
	ck_assert_int_eq(h_count(&h, EV_STREAM_END), 1);
	pool_closeConnIfStillIdle(h.pool, idle->value, c);
	h_drain(&h);
	const struct ps_event *cl = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(cl);
	ck_assert_uint_eq(cl->reason, R_IDLE_TIMEOUT);
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 1);     /* the stale ticket */
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 1); /* still holds its permit */
	/* The next request stumbles on it: dropped, permit released, a new dial. */
	h_get(&h, idle->value + 1, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	ck_assert_uint_eq(pool_conns_per_host(h.pool, 0, 0), 1);
	h_free(&h);
}
END_TEST

/* H7: a stream started before the timer fires keeps the conn. */
START_TEST(test_H7_closeIfIdle_ignores_conn_with_a_stream)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	uint32_t c = h2_conn_up(&h, 0);
	pool_readLoopDone(h.pool, 1 * MS, c, false, true);
	h_get(&h, 2 * MS, 0);
	h_drain(&h);
	pool_closeConnIfStillIdle(h.pool, 3 * MS, c);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 0);
	h_free(&h);
}
END_TEST

/* H8: streams in flight on a hard-closed conn are not retried. */
START_TEST(test_H8_shouldRetryRequest_hard_close_not_retried)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	uint32_t c = h2_conn_up(&h, 0);
	h_get(&h, 1 * MS, 0);
	h_drain(&h);
	ck_assert(!pool_shouldRetryRequest(h.pool, c, POOL_FAIL_READ_FROM_SERVER, false, true));
	pool_closeConn(h.pool, 2 * MS, c, R_SERVER_RESTART);
	h_drain(&h);
	const struct ps_event *cl = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(cl);
	ck_assert_int_eq(cl->value, 2); /* the two streams that die with it */
	h_free(&h);
}
END_TEST

/*
 * H8, graceful: a GOAWAY retires the conn (MarkDead): a new request does not
 * get a stream on it, finds its listed ticket, drops it and dials, while the
 * retired conn stays open with its stream, which runs to its end.
 */
START_TEST(test_H8_processGoAway_retires_conn_streams_finish_new_request_dials)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	uint32_t c = h2_conn_up(&h, 0); /* one stream in flight */
	pool_goAway(h.pool, 1 * MS, c, R_SERVER_IDLE_TIMEOUT);
	h_drain(&h);
	const struct ps_event *ga = h_find(&h, EV_H2_GOAWAY, 0);
	ck_assert_ptr_nonnull(ga);
	ck_assert_uint_eq(ga->conn, c);
	ck_assert_int_eq(ga->value, 1); /* its stream goes on */
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 0);
	ck_assert(pool_conn_is_open(h.pool, c));
	h_get(&h, 2 * MS, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 0);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 0); /* its ticket dropped (H5a) */
	ck_assert_uint_eq(pool_open_count(h.pool), 2);       /* the retired conn + the dial */
	pool_readLoopDone(h.pool, 3 * MS, c, false, true);   /* the old stream ends fine */
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_STREAM_END), 1);
	ck_assert(pool_conn_is_open(h.pool, c));
	pool_goAway(h.pool, 4 * MS, c, R_SERVER_IDLE_TIMEOUT); /* a second GOAWAY: nothing new */
	h_drain(&h);
	ck_assert_int_eq(h.n, 0);
	pool_closeConn(h.pool, 5 * MS, c, R_SERVER_IDLE_TIMEOUT); /* the server's close */
	h_drain(&h);
	const struct ps_event *cl = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(cl);
	ck_assert_uint_eq(cl->reason, R_SERVER_IDLE_TIMEOUT);
	ck_assert_uint_eq(pool_open_count(h.pool), 1);
	h_free(&h);
}
END_TEST

/* H8, H11: CloseIdleConnections no longer sees a retired conn (it left the HTTP/2 pool). */
START_TEST(test_H8_processGoAway_retired_conn_left_out_of_closeIdleConnections)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	uint32_t c = h2_conn_up(&h, 0);
	pool_readLoopDone(h.pool, 1 * MS, c, false, true);
	pool_goAway(h.pool, 2 * MS, c, R_SERVER_IDLE_TIMEOUT);
	h_drain(&h);
	pool_closeIdleConnections(h.pool, 3 * MS, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 0);
	ck_assert(pool_conn_is_open(h.pool, c));
	h_free(&h);
}
END_TEST

/* H9: under DisableKeepAlives each request gets its own conn, closed when its stream ends. */
START_TEST(test_H9_newClientConn_singleUse_under_DisableKeepAlives)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.DisableKeepAlives = true;
	h2_init(&h, t, 250);
	uint32_t c = h2_conn_up(&h, 0);
	h_get(&h, 1 * MS, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	pool_readLoopDone(h.pool, 2 * MS, c, false, true);
	h_drain(&h);
	const struct ps_event *cl = h_find(&h, EV_CONN_CLOSED, 0);
	ck_assert_ptr_nonnull(cl);
	ck_assert_uint_eq(cl->reason, R_KEEPALIVES_DISABLED);
	h_free(&h);
}
END_TEST

/* H10: an early Close resets the stream; the conn stays open for others. */
START_TEST(test_H10_early_close_resets_stream_not_conn)
{
	struct harness h;
	h2_init(&h, h_transport(), 250);
	uint32_t c = h2_conn_up(&h, 0);
	pool_readLoopDone(h.pool, 1 * MS, c, false, false);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 0);
	ck_assert(pool_conn_is_open(h.pool, c));
	ck_assert_uint_eq(pool_conn_streams(h.pool, c), 0);
	h_free(&h);
}
END_TEST

/* H11: CloseIdleConnections closes HTTP/2 conns with no stream, not busy ones. */
START_TEST(test_H11_closeIdleConnections_closes_h2_conns_without_streams)
{
	struct harness h;
	h2_init(&h, h_transport(), 1);
	uint32_t c1 = h2_conn_up(&h, 0);
	h_get(&h, 1 * MS, 0); /* c1 full: a second conn */
	h_drain(&h);
	uint32_t c2 = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 2 * MS, c2);
	pool_readLoopDone(h.pool, 3 * MS, c1, false, true);
	h_drain(&h);
	pool_closeIdleConnections(h.pool, 4 * MS, 0);
	h_drain(&h);
	ck_assert(!pool_conn_is_open(h.pool, c1));
	ck_assert(pool_conn_is_open(h.pool, c2));
	h_free(&h);
}
END_TEST

/* H1 lives in the driver's config; the pool without h2 hosts is the HTTP/1 pool. */
START_TEST(test_H1_no_h2_hosts_keeps_http1_pool)
{
	struct harness h;
	h_init(&h, h_transport(), GO_RELEASE_CURRENT, 1);
	uint32_t c = h_fresh_conn_then_idle(&h, 0, 0);
	ck_assert(!pool_conn_is_h2(h.pool, c));
	ck_assert(pool_conn_is_idle(h.pool, c));
	h_free(&h);
}
END_TEST

/* H5b: strict, a full conn makes the request wait for one of its streams: no ticket drop, no dial.
 */
START_TEST(test_H5b_awaitOpenSlotForStreamLocked_strict_waits_for_a_stream_no_dial)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.StrictMaxConcurrentRequests = true;
	h2_init(&h, t, 2);
	uint32_t c = h2_conn_up(&h, 0);                   /* stream 1 of 2 */
	ck_assert_uint_eq(h_get(&h, 1 * MS, 0), PS_NONE); /* stream 2 of 2, at once (H2) */
	h_drain(&h);
	uint32_t w3 = h_get(&h, 1 * MS, 0);
	uint32_t w4 = h_get(&h, 1 * MS, 0);
	h_drain(&h);
	ck_assert_uint_ne(w3, PS_NONE); /* both wait, on the conn */
	ck_assert_uint_ne(w4, PS_NONE);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 0);
	ck_assert_int_eq(h_count(&h, EV_REQ_WAIT), 2);
	const struct ps_event *wait = h_find(&h, EV_REQ_WAIT, 0);
	ck_assert_uint_eq(wait->conn, c);
	ck_assert_uint_eq(wait->flags & EVF_H2_SLOT, EVF_H2_SLOT);
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 1); /* the ticket stays listed */
	ck_assert_uint_eq(pool_conn_streams(h.pool, c), 2);
	/* A stream ends: the oldest waiter (req 3) gets it, FIFO; the conn does not go idle. */
	pool_streamDone(h.pool, 10 * MS, c);
	h_drain(&h);
	const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->conn, c);
	ck_assert_uint_eq(got->flags & (EVF_WAITED | EVF_H2_SLOT | EVF_REUSED),
	                  EVF_WAITED | EVF_H2_SLOT | EVF_REUSED);
	ck_assert_uint_eq(got->req, 3);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 0);
	ck_assert_uint_eq(pool_conn_streams(h.pool, c), 2);
	pool_streamDone(h.pool, 20 * MS, c);
	h_drain(&h);
	got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->req, 4);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 0);
	h_free(&h);
}
END_TEST

/* H5b: not strict (the default), the same requests drop the full conn's ticket and dial (H5a). */
START_TEST(test_H5b_idleStateLocked_not_strict_dials_instead)
{
	struct harness h;
	h2_init(&h, h_transport(), 1);
	h2_conn_up(&h, 0);
	ck_assert_uint_ne(h_get(&h, 1 * MS, 0), PS_NONE); /* waits for its dial, not for a stream */
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);
	const struct ps_event *wait = h_find(&h, EV_REQ_WAIT, 0);
	ck_assert_ptr_nonnull(wait);
	ck_assert_uint_eq(wait->flags & EVF_H2_SLOT, 0);
	h_free(&h);
}
END_TEST

/* H5b, H3: strict, a conn that can "take" a request makes every new dial unneeded (closed). */
START_TEST(test_H5b_addConnIfNeeded_strict_full_conn_still_counts_as_able)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.StrictMaxConcurrentRequests = true;
	h2_init(&h, t, 1);
	for (int i = 0; i < 3; i++)
		h_get(&h, 0, 0);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 3); /* all miss the empty pool at once */
	uint32_t d[3];
	for (int i = 0; i < 3; i++)
		d[i] = h_dialed(&h, i);
	pool_dialConnFor(h.pool, 3 * MS, d[0]);
	h_drain(&h);
	/* one stream on the first conn, the other two requests wait for it */
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 1);
	ck_assert_int_eq(h_count(&h, EV_REQ_WAIT), 0); /* they were waiting already */
	ck_assert_uint_eq(pool_conn_streams(h.pool, d[0]), 1);
	pool_dialConnFor(h.pool, 3 * MS, d[1]);
	pool_dialConnFor(h.pool, 3 * MS, d[2]);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_CONN_CLOSED), 2);
	ck_assert_uint_eq(pool_open_count(h.pool), 1);
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 0); /* still waiting for the one stream */
	pool_streamDone(h.pool, 13 * MS, d[0]);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 1);
	h_free(&h);
}
END_TEST

/* H5b, H8: the conn of waiting requests closes: nothing was written, they retry (here: a dial). */
START_TEST(test_H5b_awaitOpenSlotForStreamLocked_conn_closed_waiters_retry)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.StrictMaxConcurrentRequests = true;
	h2_init(&h, t, 1);
	uint32_t c = h2_conn_up(&h, 0);
	uint32_t w = h_get(&h, 1 * MS, 0);
	h_drain(&h);
	ck_assert_uint_ne(w, PS_NONE);
	pool_closeConn(h.pool, 2 * MS, c, R_SERVER_RESTART);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_REQ_FAILED), 0);
	ck_assert_int_eq(h_count(&h, EV_DIAL_START), 1);     /* its retry dials */
	ck_assert_uint_eq(pool_idle_count(h.pool, 0, 0), 0); /* the dead conn's ticket dropped */
	uint32_t c2 = h_dialed(&h, 0);
	pool_dialConnFor(h.pool, 5 * MS, c2);
	h_drain(&h);
	const struct ps_event *got = h_find(&h, EV_REQ_GOT_CONN, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->conn, c2);
	h_free(&h);
}
END_TEST

/* H5b: a waiting request that gives up (Client.Timeout, cancel) leaves the conn's queue. */
START_TEST(test_H5b_awaitOpenSlotForStreamLocked_canceled_waiter_leaves_queue)
{
	struct harness h;
	struct transport_config t = h_transport();
	t.StrictMaxConcurrentRequests = true;
	h2_init(&h, t, 1);
	uint32_t c = h2_conn_up(&h, 0);
	uint32_t w = h_get(&h, 1 * MS, 0);
	h_drain(&h);
	pool_cancelWant(h.pool, 2 * MS, w, R_CLIENT_TIMEOUT);
	h_drain(&h);
	pool_streamDone(h.pool, 10 * MS, c);
	h_drain(&h);
	ck_assert_int_eq(h_count(&h, EV_REQ_GOT_CONN), 0);
	ck_assert_int_eq(h_count(&h, EV_CONN_IDLE), 1); /* no stream, nobody waiting */
	h_free(&h);
}
END_TEST

Suite *suite_pool_h2(void)
{
	Suite *s = suite_create("pool_h2");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_H1_no_h2_hosts_keeps_http1_pool);
	tcase_add_test(tc, test_H2_getClientConn_uses_conn_with_free_stream);
	tcase_add_test(tc, test_H2_getClientConn_first_conn_in_order_whose_stream_ended);
	tcase_add_test(tc, test_H3_addConnIfNeeded_unneeded_conns_beyond_idle_cap_refused);
	tcase_add_test(tc, test_H4_tryPutIdleConn_hands_h2_conn_to_every_waiter);
	tcase_add_test(tc, test_H4_dialConnFor_first_conn_serves_all_idle_waiters);
	tcase_add_test(tc, test_H4_tryPutIdleConn_handed_waiters_leave_connsPerHostWait);
	tcase_add_test(tc, test_H5a_roundTrip_full_conn_drops_ticket_releases_permit_and_dials);
	tcase_add_test(tc, test_H5a_tryPutIdleConn_waiters_beyond_stream_limit_retry);
	tcase_add_test(tc, test_H5b_awaitOpenSlotForStreamLocked_strict_waits_for_a_stream_no_dial);
	tcase_add_test(tc, test_H5b_idleStateLocked_not_strict_dials_instead);
	tcase_add_test(tc, test_H5b_addConnIfNeeded_strict_full_conn_still_counts_as_able);
	tcase_add_test(tc, test_H5b_awaitOpenSlotForStreamLocked_conn_closed_waiters_retry);
	tcase_add_test(tc, test_H5b_awaitOpenSlotForStreamLocked_canceled_waiter_leaves_queue);
	tcase_add_test(tc, test_H7_closeIfIdle_closes_conn_after_IdleConnTimeout_ticket_stays);
	tcase_add_test(tc, test_H7_closeIfIdle_ignores_conn_with_a_stream);
	tcase_add_test(tc, test_H8_shouldRetryRequest_hard_close_not_retried);
	tcase_add_test(tc, test_H8_processGoAway_retires_conn_streams_finish_new_request_dials);
	tcase_add_test(tc, test_H8_processGoAway_retired_conn_left_out_of_closeIdleConnections);
	tcase_add_test(tc, test_H9_newClientConn_singleUse_under_DisableKeepAlives);
	tcase_add_test(tc, test_H10_early_close_resets_stream_not_conn);
	tcase_add_test(tc, test_H11_closeIdleConnections_closes_h2_conns_without_streams);
	suite_add_tcase(s, tc);
	return s;
}
