/*
 * pool_harness.h: drives the pool core directly for the rule tests: a
 * stream, a pool, and helpers that pop the records and find the ones a test
 * asserts on. The pool never sees a clock; the test passes `now`.
 */
#ifndef POOLSIM_POOL_HARNESS_H
#define POOLSIM_POOL_HARNESS_H

#include <check.h>
#include <string.h>

#include "pool.h"

#define H_MAX_EVENTS 512

struct harness {
	struct ev_stream stream;
	struct pool *pool;
	struct ps_event ev[H_MAX_EVENTS];
	int n;
	uint32_t next_req;
};

static inline struct transport_config h_transport(void)
{
	struct transport_config t = transport_config_default();
	return t;
}

static inline void h_init(struct harness *h, struct transport_config t, int go, uint32_t n_hosts)
{
	memset(h, 0, sizeof(*h));
	ev_stream_init(&h->stream);
	struct pool_config cfg = {.transport = t, .go = go};
	h->pool = pool_create(&cfg, n_hosts, &h->stream);
	ck_assert_ptr_nonnull(h->pool);
}

static inline void h_free(struct harness *h)
{
	pool_destroy(h->pool);
	ev_stream_free(&h->stream);
}

/* h_drain: pop every record into h->ev (replacing what was there); checks invariants. */
static inline int h_drain(struct harness *h)
{
	h->n = 0;
	const struct ps_event *e;
	while ((e = ev_stream_pop(&h->stream))) {
		ck_assert_int_lt(h->n, H_MAX_EVENTS);
		h->ev[h->n++] = *e;
	}
	const char *bad = pool_check_invariants(h->pool);
	ck_assert_msg(bad == NULL, "invariant broken: %s", bad ? bad : "");
	return h->n;
}

/* The i-th record of `kind` in the last drain, or NULL. */
static inline const struct ps_event *h_find(const struct harness *h, enum ev_kind kind, int i)
{
	for (int k = 0; k < h->n; k++)
		if (h->ev[k].kind == kind && i-- == 0)
			return &h->ev[k];
	return NULL;
}

static inline int h_count(const struct harness *h, enum ev_kind kind)
{
	int c = 0;
	for (int k = 0; k < h->n; k++)
		c += h->ev[k].kind == kind;
	return c;
}

/* h_get: request on transport 0 / host; returns the want (PS_NONE if served at once). */
static inline uint32_t h_get(struct harness *h, ps_time now, uint32_t host)
{
	h->next_req++;
	return pool_getConn(h->pool, now, 0, host, h->next_req, h->next_req);
}

/* The conn slot of the last drain's DIAL_START number i. */
static inline uint32_t h_dialed(const struct harness *h, int i)
{
	const struct ps_event *e = h_find(h, EV_DIAL_START, i);
	ck_assert_ptr_nonnull(e);
	return e->conn;
}

/* One full exchange: a request that dials, the dial completes, the response is read to EOF. */
static inline uint32_t h_fresh_conn_then_idle(struct harness *h, ps_time now, uint32_t host)
{
	h_get(h, now, host);
	h_drain(h);
	uint32_t c = h_dialed(h, 0);
	pool_dialConnFor(h->pool, now, c);
	pool_readLoopDone(h->pool, now, c, false, true);
	h_drain(h);
	return c;
}

/*
 * h_late_binding_setup (G5): request 1 dials `first` and holds it; request 2
 * finds nothing idle and waits, dialing `spare`. Returns request 2's want.
 */
static inline uint32_t h_late_binding_setup(struct harness *h, uint32_t *first, uint32_t *spare)
{
	h_get(h, 0, 0);
	h_drain(h);
	*first = h_dialed(h, 0);
	pool_dialConnFor(h->pool, 1 * PS_MS, *first);
	h_drain(h);
	uint32_t w = h_get(h, 2 * PS_MS, 0);
	h_drain(h);
	*spare = h_dialed(h, 0);
	return w;
}

#endif
