/*
 * client.c: the scenario's client program, shared by sim and real mode.
 *
 * Owns: loads (workers, rates, bursts), requests and their timers
 * (Client.Timeout, ResponseHeaderTimeout), the Transport's dial timers
 * (DialTimeout, TLSHandshakeTimeout) and idle timers (IdleConnTimeout, armed
 * when the pool says so), what the caller does with each body, and draining
 * the event stream. Must not: decide anything the pool decides (which conn,
 * whether to dial, whether to keep a conn), or know whether the network is
 * simulated or real.
 *
 * Same-instant order: every action is a des event ordered by (time, seq), so
 * two things due at one instant happen in the order they were scheduled;
 * within one handler, records come out in the order Go's code would produce
 * them, and a worker with think 0 whose request ended asks again at the end
 * of that same handler, before any other event (docs/model.md, "Same-instant
 * order").
 */
#include "client.h"

#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "rng.h"
#include "slots.h"

enum client_event_type {
	T_WORKER,         /* a = worker: start its next request */
	T_ARRIVAL,        /* a = load: an open-loop arrival or the burst */
	T_CLIENT_TIMEOUT, /* a = request slot, b = request id */
	T_HEADER_TIMEOUT, /* a = request slot, b = request id */
	T_DIAL_TIMEOUT,   /* a = conn, b = conn id: DialTimeout or TLSHandshakeTimeout */
	T_IDLE_TIMEOUT,   /* a = conn, b = conn id: IdleConnTimeout */
	T_RUN_END,
	T_CLIENT_TYPES
};

#define CLIENT_CHECK_MAX_SLOTS 20000

enum req_state { REQ_FREE, REQ_WAITING, REQ_EXCHANGE, REQ_LEAKED };

/* Loads a request or worker can name: its 24-bit field. Unreachable: a scenario file is at most
 * FILE_MAX bytes (tens of thousands of loads), so client_create's refusal of more (a NULL, as
 * when out of memory) guards the bitfield, not a case a user can meet. */
#define CLIENT_MAX_LOADS (1u << 24)

struct request {
	uint32_t id;
	unsigned load : 24;          /* below CLIENT_MAX_LOADS */
	unsigned state : 2;          /* enum req_state */
	unsigned attempt_reused : 1; /* its current conn had served before (the JSON "reused") */
	signed body : 3;             /* a replay row's own enum body_mode, or REPLAY_NONE */
	uint32_t worker;             /* PS_NONE for open-loop and burst requests */
	uint32_t transport;
	uint32_t want;     /* pool want while waiting */
	uint32_t ctx_want; /* the want of its latest getConn, whose dial shares its context */
	uint32_t conn;     /* the conn it holds */
	uint32_t conn_id;  /* that conn's number (#N), for its records */
	des_timer client_timer;
	des_timer header_timer;
	ps_time start;
};
/* A free request's transport chains the free requests (slots.h): only ask_pool reads it. */
#define REQ_FREE_LINK offsetof(struct request, transport)
/* One per request in flight: the small fields share a word with the load, its host is its
 * load's, a replay row's service time is kept beside (client.services_plus_1) and the timers
 * are 32-bit handles: 48 bytes (was 72), its conn's number in what was padding. */
_Static_assert(sizeof(struct request) == 48, "struct request is 48 bytes");
_Static_assert(REQ_LEAKED < 4 && BODY_LEAK < 4 && REPLAY_NONE >= -4, "they fit their bitfields");
_Static_assert(REPLAY_NONE + 1 == 0, "client.services_plus_1: zeroed growth means none");

struct conn_side {
	unsigned req_plus_1 : 30; /* request slot holding it plus one, 0: none (conn_req) */
	unsigned leaked : 1;
	unsigned in_tls : 1; /* the dial timer is TLSHandshakeTimeout's */
	des_timer dial_timer;
	des_timer idle_timer;
};
/* One per conn slot: the flags beside the request slot, 32-bit timer handles and the conn's
 * number left to the pool (pool_conn_id) keep it at 12 bytes (was 32). Request slots stay
 * below CLIENT_MAX_LIVE (a new number only when none is free). */
_Static_assert(sizeof(struct conn_side) == 12, "struct conn_side is 12 bytes");
/* The events pending at once stay below des's limit for its 32-bit handles: one T_WORKER per
 * worker and one T_ARRIVAL per load (the scenario reader allows 1,000,000 and 100,000), and
 * per request in flight or open conn (fewer than CLIENT_MAX_LIVE) at most 7: a request's two
 * timers, a conn's two here and simnet's step, server idle timer and a request, response or
 * FIN on its way. */
_Static_assert((uint64_t)CLIENT_MAX_LIVE * 7 + 1000000 + 100000 + 1 < DES_MAX_PENDING,
               "the events pending at once fit des's 32-bit handles");
_Static_assert(CLIENT_MAX_LIVE < (1u << 30) - 1, "a request slot fits conn_side's field");

/* The request slot holding the conn, or PS_NONE. */
static uint32_t conn_req(const struct conn_side *cs)
{
	uint32_t r = cs->req_plus_1;
	return r ? r - 1 : PS_NONE;
}

static void set_conn_req(struct conn_side *cs, uint32_t r)
{
	cs->req_plus_1 = r == PS_NONE ? 0 : (r + 1) & ((1u << 30) - 1);
}

struct worker {
	uint32_t started;   /* compared only with a load's requests, at most REQUESTS_MAX */
	unsigned load : 24; /* below CLIENT_MAX_LOADS */
	unsigned due : 1;   /* on the "goes again now" list */
	uint32_t next_due;  /* the next worker of that list, or PS_NONE */
};
/* One per worker: 12 bytes (16 with a 64-bit count). A worker without a limit wraps its count
 * unread. */
_Static_assert(sizeof(struct worker) == 12, "struct worker is 12 bytes");
_Static_assert(REQUESTS_MAX <= UINT32_MAX, "a worker's count of its requests fits 32 bits");

/*
 * What every request reads of its load, copied from the scenario's load_spec (344 bytes, these
 * fields in three of its six lines) into 32 bytes, two loads to a cache line. A run's loads do
 * not change once the client is made.
 */
struct load_hot {
	ps_time think;
	ps_time stop;
	int64_t requests; /* per worker; 0 = until stop */
	uint32_t host;
	uint8_t kind; /* enum load_kind */
	uint8_t body; /* enum body_mode */
	bool new_client_per_request;
	bool request_close;
};
_Static_assert(sizeof(struct load_hot) == 32, "two loads to a cache line");

struct load_state {
	struct rng rng;
	uint32_t first_worker;
	struct replay_file *replay; /* a replay load's file, read one row ahead */
	struct replay_row row;      /* the next row to start */
	ps_time row_at;             /* its scenario time (after replay_speed) */
	/* A live replay load (no file): the rows the caller fed, due in order (client_feed_row). */
	struct replay_row *fed;
	uint32_t fed_head, fed_len, fed_cap;
};

struct client {
	const struct scenario *sc;
	struct des *des;
	struct ev_stream *stream;
	const struct net_ops *net;
	void *net_ctx;
	struct pool *pool;
	unsigned type_base;
	bool draining;
	bool finished;
	bool check_invariants;
	bool overflowed;
	enum run_stop stopped; /* why the run ended (RUN_COMPLETE: it ran its course) */
	uint32_t next_req_id;
	int64_t live_requests;

	struct request *reqs;
	uint32_t cap_reqs;
	struct slots req_slots; /* numbers the requests (slots.h) */
	/* By request slot, below cap_services: a replay request's own service time plus one, 0 for
	 * none (REPLAY_NONE + 1), so the zeroed growth a later replay request makes past a live
	 * request of another load says "none" for it; grown only by replay requests. */
	ps_time *services_plus_1;
	uint32_t cap_services;
	struct conn_side *conns;
	uint32_t cap_conns;
	struct worker *workers;
	uint32_t n_workers;
	/* Workers with think 0 whose request just ended: they go again at the end of this step. */
	uint32_t due_head, due_tail;
	struct load_state *loads;
	struct load_hot *hot; /* by load */
};

/* ---------------------------------------------------------------- plumbing */

static des_timer schedule(struct client *c, ps_time at, enum client_event_type type, uint32_t a,
                          uint32_t b)
{
	return des_schedule(c->des, at, c->type_base + (unsigned)type, a, b);
}

static ps_time now_of(const struct client *c)
{
	return des_now(c->des);
}

static void push(struct client *c, struct ps_event *ev)
{
	ev_stream_push(c->stream, ev);
}

static struct conn_side *conn_side(struct client *c, uint32_t conn)
{
	if (conn >= c->cap_conns) {
		/* zeroed: no request */
		c->conns = grow_to_hold(c->conns, &c->cap_conns, sizeof(*c->conns), conn, 64, NULL);
	}
	return &c->conns[conn];
}

static uint32_t req_alloc(struct client *c)
{
	uint32_t i = slots_take_linked(&c->req_slots, c->reqs, sizeof(*c->reqs), REQ_FREE_LINK);
	c->reqs = grow_to_hold(c->reqs, &c->cap_reqs, sizeof(*c->reqs), i, 256, NULL);
	memset(&c->reqs[i], 0, sizeof(c->reqs[i]));
	c->reqs[i].want = PS_NONE;
	c->reqs[i].ctx_want = PS_NONE;
	c->reqs[i].conn = PS_NONE;
	return i;
}

/*
 * end_context: the request is over, so is its context. Only Client.Timeout
 * gives a request a context that is ever cancelled (setRequestCancel); with
 * it, Go before 1.23 aborts a dial still running on the request's behalf.
 */
static void end_context(struct client *c, uint32_t r)
{
	struct request *rq = &c->reqs[r];
	if (c->sc->client_timeout > 0)
		pool_requestContextDone(c->pool, now_of(c), rq->ctx_want, rq->id);
}

static void req_free(struct client *c, uint32_t r)
{
	struct request *rq = &c->reqs[r];
	des_cancel(c->des, &rq->client_timer);
	des_cancel(c->des, &rq->header_timer);
	rq->state = REQ_FREE;
	slots_give_back_linked(&c->req_slots, r, c->reqs, sizeof(*c->reqs), REQ_FREE_LINK);
	c->live_requests--;
}

/* req_event: a record of request r, pushed: the caller fills in the rest before it pushes
 * anything else (ev_stream_add). */
static inline struct ps_event *req_event(struct client *c, enum ev_kind kind, uint32_t r)
{
	const struct request *rq = &c->reqs[r];
	struct ps_event *ev = ev_stream_add(c->stream, kind, now_of(c));
	ev->host = c->hot[rq->load].host;
	ev->req = rq->id;
	ev->req_slot = r;
	if (rq->conn != PS_NONE) {
		ev->conn = rq->conn;
		ev->conn_id = rq->conn_id;
	}
	return ev;
}

/* ---------------------------------------------------------------- request lifecycle */

static void start_request(struct client *c, uint32_t load, uint32_t worker);

/*
 * What one turn of a Go loop whose request fails at once takes in real time: 50-56 us,
 * measured on this project's 2-core machine with Go 1.19 and 1.26 (200,000 Gets whose dial
 * fails with EADDRNOTAVAIL; docs/model.md, "TIME_WAIT and ephemeral ports").
 */
#define FAILED_TURN (50 * PS_US)
_Static_assert(FAILED_TURN >= SCENARIO_PROGRESS_MIN, "a failed turn keeps the progress rule");

/*
 * next_start: when a worker whose request began at `started` and has just ended (`why`:
 * R_NONE, or what failed it) goes again. After its think, except that a request whose dial
 * found every ephemeral port taken (EADDRNOTAVAIL) in no simulated time, with think 0, is
 * followed FAILED_TURN after it began: the reader's progress rule cannot foresee that
 * failure, and a Go loop retrying it spins, a turn at a time, until a port leaves
 * TIME_WAIT, where the simulated clock would never move (docs/format.md, "Progress").
 * Every other instant failure the file allowed keeps its instant.
 */
static ps_time next_start(const struct client *c, const struct load_hot *ls, ps_time started,
                          enum ev_reason why)
{
	ps_time now = now_of(c);
	if (why == R_ADDR_NOT_AVAIL && ls->think == 0 && now == started)
		return ps_time_add(started, FAILED_TURN);
	return ps_time_add(now, ls->think);
}

/*
 * worker_continue: a closed-loop worker is done with its request; it thinks,
 * then goes again. With think 0 it goes again in this same step, once the
 * records of the step are carried out (client_flush), before any other event
 * due at this instant: in Go the caller's Read of the body's EOF returns only
 * after readLoop has pooled the conn, and that same goroutine calls getConn
 * next (docs/model.md, "Same-instant order").
 */
static void worker_continue(struct client *c, uint32_t worker, ps_time started, enum ev_reason why)
{
	if (worker == PS_NONE || c->finished)
		return;
	struct worker *w = &c->workers[worker];
	const struct load_hot *ls = &c->hot[w->load];
	if (ls->requests > 0 && w->started >= ls->requests)
		return;
	ps_time next = next_start(c, ls, started, why);
	if (next >= ls->stop)
		return;
	if (next > now_of(c)) {
		schedule(c, next, T_WORKER, worker, 0);
		return;
	}
	if (w->due)
		return;
	w->due = true;
	w->next_due = PS_NONE;
	if (c->due_tail == PS_NONE)
		c->due_head = worker;
	else
		c->workers[c->due_tail].next_due = worker;
	c->due_tail = worker;
}

static void finish_ok(struct client *c, uint32_t r)
{
	struct ps_event *ev = req_event(c, EV_REQ_DONE, r);
	ev->value = now_of(c) - c->reqs[r].start;
	uint32_t worker = c->reqs[r].worker;
	ps_time started = c->reqs[r].start;
	end_context(c, r);
	req_free(c, r);
	worker_continue(c, worker, started, R_NONE);
}

static void finish_failed(struct client *c, uint32_t r, enum ev_reason why, uint32_t flags)
{
	struct ps_event *ev = req_event(c, EV_REQ_FAILED, r);
	ev->reason = (uint16_t)why;
	ev->flags = flags;
	uint32_t worker = c->reqs[r].worker;
	bool walked_away = c->reqs[r].state == REQ_LEAKED;
	ps_time started = c->reqs[r].start;
	end_context(c, r);
	req_free(c, r);
	if (!walked_away)
		worker_continue(c, worker, started, why);
}

/* release_conn: the request lets go of its conn (the pool decides what happens to it next). */
static uint32_t release_conn(struct client *c, uint32_t r)
{
	uint32_t conn = c->reqs[r].conn;
	if (conn != PS_NONE)
		set_conn_req(&c->conns[conn], PS_NONE);
	return conn;
}

static void ask_pool(struct client *c, uint32_t r)
{
	struct request *rq = &c->reqs[r];
	rq->state = REQ_WAITING;
	rq->conn = PS_NONE;
	if (c->net->before_get_conn)
		c->net->before_get_conn(c->net_ctx, c->hot[rq->load].host);
	rq->want =
	    pool_getConn(c->pool, now_of(c), rq->transport, c->hot[rq->load].host, rq->id, r);
	rq->ctx_want = rq->want;
}

static void end_run(struct client *c, enum run_stop why);

static void start_request(struct client *c, uint32_t load, uint32_t worker)
{
	const struct load_hot *ls = &c->hot[load];
	if (c->live_requests + (int64_t)pool_open_count(c->pool) >= CLIENT_MAX_LIVE) {
		c->overflowed = true;
		end_run(c, RUN_LIVE_LIMIT);
		return;
	}
	uint32_t r = req_alloc(c);
	struct request *rq = &c->reqs[r];
	rq->id = ++c->next_req_id;
	rq->load = load;
	rq->worker = worker;
	rq->start = now_of(c);
	rq->transport = ls->new_client_per_request ? pool_transport_new(c->pool) : 0;
	rq->body = REPLAY_NONE;
	if (ls->kind == LOAD_REPLAY) {
		c->services_plus_1 = grow_to_hold(c->services_plus_1, &c->cap_services,
		                                  sizeof(*c->services_plus_1), r, 256, NULL);
		c->services_plus_1[r] = c->loads[load].row.service + 1;
		rq->body = c->loads[load].row.body;
	} else if (r < c->cap_services) {
		c->services_plus_1[r] = 0;
	}
	c->live_requests++;
	if (worker != PS_NONE)
		c->workers[worker].started++;
	req_event(c, EV_REQ_START, r)->value = load;
	if (c->sc->client_timeout > 0)
		rq->client_timer = schedule(c, ps_time_add(rq->start, c->sc->client_timeout),
		                            T_CLIENT_TIMEOUT, r, rq->id);
	ask_pool(c, r);
	client_flush(c);
}

/* ---------------------------------------------------------------- stream records */

static void on_dial_start(struct client *c, struct ps_event *ev)
{
	const struct host_spec *h = &c->sc->hosts[ev->host];
	struct conn_side *cs = conn_side(c, ev->conn);
	*cs = (struct conn_side){0}; /* no request */
	if (h->tls)
		ev->flags |= EVF_TLS;
	ps_time deadline = transport_dial_deadline(&c->sc->transport, now_of(c));
	if (deadline != PS_TIME_NEVER) /* a past one fires at once, before the connect */
		cs->dial_timer = schedule(c, deadline, T_DIAL_TIMEOUT, ev->conn, ev->conn_id);
	c->net->dial(c->net_ctx, ev->conn, ev->host);
}

static void on_got_conn(struct client *c, const struct ps_event *ev)
{
	uint32_t r = ev->req_slot;
	struct request *rq = &c->reqs[r];
	struct conn_side *cs = conn_side(c, ev->conn);
	des_cancel(c->des, &cs->idle_timer);
	bool stream = (ev->flags & EVF_H2) != 0; /* many requests share the conn (H4) */
	if (!stream)
		set_conn_req(cs, r);
	rq->want = PS_NONE;
	rq->conn = ev->conn;
	rq->conn_id = ev->conn_id;
	rq->state = REQ_EXCHANGE;
	rq->attempt_reused = (ev->flags & EVF_REUSED) != 0;
	if (c->sc->transport.ResponseHeaderTimeout > 0)
		rq->header_timer =
		    schedule(c, ps_time_add(now_of(c), c->sc->transport.ResponseHeaderTimeout),
		             T_HEADER_TIMEOUT, r, rq->id);
	if (stream)
		c->net->send_stream(c->net_ctx, ev->conn, c->hot[rq->load].host, rq->load, r,
		                    rq->id);
	else
		c->net->send(c->net_ctx, ev->conn, c->hot[rq->load].host, rq->load);
}

static void on_conn_closed(struct client *c, struct ps_event *ev)
{
	struct conn_side *cs = conn_side(c, ev->conn);
	des_cancel(c->des, &cs->dial_timer);
	des_cancel(c->des, &cs->idle_timer);
	if (cs->leaked)
		ev->flags |= EVF_LEAKED;
	cs->leaked = false;
	set_conn_req(cs, PS_NONE);
	c->net->close(c->net_ctx, ev->conn);
}

static bool is_live_request(const struct client *c, const struct ps_event *ev)
{
	return ev->req_slot < slots_used(&c->req_slots) &&
	       c->reqs[ev->req_slot].state != REQ_FREE && c->reqs[ev->req_slot].id == ev->req;
}

/* carry_out: do what a record asks of the client, before the sinks see it. */
static void carry_out(struct client *c, struct ps_event *ev)
{
	switch (ev->kind) {
	case EV_DIAL_START:
		on_dial_start(c, ev);
		break;
	case EV_REQ_GOT_CONN:
		on_got_conn(c, ev);
		break;
	case EV_CONN_IDLE:
		if (ev->value != PS_TIME_NEVER)
			conn_side(c, ev->conn)->idle_timer =
			    schedule(c, ev->value, T_IDLE_TIMEOUT, ev->conn, ev->conn_id);
		break;
	case EV_CONN_CLOSED:
		on_conn_closed(c, ev);
		break;
	case EV_REQ_FAILED:
		/* The pool failed a waiting request with its dial's error (G6). */
		if (is_live_request(c, ev)) {
			uint32_t worker = c->reqs[ev->req_slot].worker;
			ps_time started = c->reqs[ev->req_slot].start;
			req_free(c, ev->req_slot);
			worker_continue(c, worker, started, (enum ev_reason)ev->reason);
		}
		break;
	default:
		break;
	}
}

static void check_pool(struct client *c, const struct ps_event *ev)
{
	/* The check walks every conn and every waiter: past a size it would make a big run
	 * quadratic. */
	if (!c->check_invariants ||
	    pool_conn_capacity(c->pool) + pool_want_capacity(c->pool) > CLIENT_CHECK_MAX_SLOTS)
		return;
	const char *bad = pool_check_invariants(c->pool);
	if (bad) {
		fprintf(stderr, "poolsim: invariant broken after %s at t=%lld: %s\n",
		        ev_kind_name(ev->kind), (long long)ev->t, bad);
		abort();
	}
}

/* take_due_worker: the first worker that goes again in this step, or PS_NONE. */
static uint32_t take_due_worker(struct client *c)
{
	uint32_t worker = c->due_head;
	if (worker == PS_NONE)
		return PS_NONE;
	c->due_head = c->workers[worker].next_due;
	if (c->due_head == PS_NONE)
		c->due_tail = PS_NONE;
	c->workers[worker].due = false;
	return worker;
}

static void on_worker(void *ctx, uint32_t worker, uint32_t unused);

/*
 * client_flush: carry out and deliver every record; then each worker that
 * became due goes again (its records are drained in turn before the next
 * worker goes), so a step ends with its workers' next getConns.
 */
void client_flush(struct client *c)
{
	if (c->draining)
		return; /* the outer drain loop will get to the new records */
	c->draining = true;
	for (;;) {
		struct ps_event *ev;
		while ((ev = ev_stream_pop(c->stream))) {
			carry_out(c, ev);
			ev_stream_deliver(c->stream, ev);
			check_pool(c, ev);
		}
		uint32_t worker = take_due_worker(c);
		if (worker == PS_NONE)
			break;
		on_worker(c, worker, 0); /* its records join the stream drained above */
	}
	c->draining = false;
}

/* ---------------------------------------------------------------- network reports */

void client_on_tls_start(struct client *c, uint32_t conn)
{
	struct conn_side *cs = conn_side(c, conn);
	des_cancel(c->des, &cs->dial_timer);
	cs->in_tls = true;
	uint32_t id = pool_conn_id(c->pool, conn);
	ps_time deadline = transport_tls_deadline(&c->sc->transport, now_of(c));
	if (deadline != PS_TIME_NEVER)
		cs->dial_timer = schedule(c, deadline, T_DIAL_TIMEOUT, conn, id);
	struct ps_event ev = ev_make(EV_TLS_START, now_of(c));
	ev.host = pool_conn_host(c->pool, conn);
	ev.conn = conn;
	ev.conn_id = id;
	push(c, &ev);
	client_flush(c);
}

void client_on_dial_done(struct client *c, uint32_t conn, enum ev_reason why)
{
	struct conn_side *cs = conn_side(c, conn);
	des_cancel(c->des, &cs->dial_timer);
	if (why != R_NONE) {
		pool_dialFailed(c->pool, now_of(c), conn, why);
	} else {
		struct ps_event ev = ev_make(EV_CONN_READY, now_of(c));
		ev.host = pool_conn_host(c->pool, conn);
		ev.conn = conn;
		ev.conn_id = pool_conn_id(c->pool, conn);
		push(c, &ev);
		pool_dialConnFor(c->pool, now_of(c), conn);
	}
	client_flush(c);
}

void client_on_response(struct client *c, uint32_t conn, bool server_close)
{
	struct conn_side *cs = conn_side(c, conn);
	uint32_t r = conn_req(cs);
	if (r == PS_NONE || c->reqs[r].state != REQ_EXCHANGE)
		return;
	struct request *rq = &c->reqs[r];
	des_cancel(c->des, &rq->header_timer);
	enum body_mode body = rq->body != REPLAY_NONE ? (enum body_mode)rq->body
	                                              : (enum body_mode)c->hot[rq->load].body;
	if (body == BODY_LEAK) {
		/* B1: the caller walks away; the conn stays active until Client.Timeout, if any. */
		rq->state = REQ_LEAKED;
		cs->leaked = true;
		req_event(c, EV_BODY_LEAKED, r);
		worker_continue(c, rq->worker, rq->start, R_NONE);
		client_flush(c);
		return;
	}
	release_conn(c, r);
	/* P13: the pool decision is complete before the caller's Read returns EOF. P10: a
	 * request with Close set is not kept alive either (readLoop: rc.req.Close). */
	bool close = server_close || c->hot[rq->load].request_close;
	pool_readLoopDone(c->pool, now_of(c), conn, close, body != BODY_EARLY_CLOSE);
	finish_ok(c, r);
	client_flush(c);
}

/*
 * h2_conn_broken (H8): the server closed an HTTP/2 conn. Its streams in
 * flight fail (io.ErrUnexpectedEOF matches no retry rule); a leaked body's
 * stream dies with the conn too, unnoticed until its Client.Timeout.
 */
static void h2_conn_broken(struct client *c, uint32_t conn, enum ev_reason why)
{
	for (uint32_t r = 0; r < slots_used(&c->req_slots) && pool_conn_streams(c->pool, conn) > 0;
	     r++) {
		struct request *rq = &c->reqs[r];
		if (rq->state != REQ_EXCHANGE || rq->conn != conn)
			continue;
		des_cancel(c->des, &rq->header_timer);
		rq->conn = PS_NONE;
		finish_failed(c, r, R_CONN_BROKEN, 0);
	}
	pool_closeConn(c->pool, now_of(c), conn, why);
	client_flush(c);
}

void client_on_stream_response(struct client *c, uint32_t conn, uint32_t r, uint32_t id)
{
	if (r >= slots_used(&c->req_slots) || c->reqs[r].id != id ||
	    c->reqs[r].state != REQ_EXCHANGE || c->reqs[r].conn != conn ||
	    !pool_conn_is_h2(c->pool, conn))
		return;
	struct request *rq = &c->reqs[r];
	des_cancel(c->des, &rq->header_timer);
	enum body_mode body = c->sc->loads[rq->load].body;
	if (body == BODY_LEAK) { /* B1: the stream stays open, its slot taken (H10) */
		rq->state = REQ_LEAKED;
		req_event(c, EV_BODY_LEAKED, r);
		worker_continue(c, rq->worker, rq->start, R_NONE);
		client_flush(c);
		return;
	}
	pool_readLoopDone(c->pool, now_of(c), conn, false, body != BODY_EARLY_CLOSE);
	finish_ok(c, r);
	client_flush(c);
}

void client_on_goaway(struct client *c, uint32_t conn, enum ev_reason why)
{
	pool_goAway(c->pool, now_of(c), conn, why);
	client_flush(c);
}

void client_on_conn_broken(struct client *c, uint32_t conn, enum ev_reason why,
                           bool nothing_written)
{
	struct conn_side *cs = conn_side(c, conn);
	uint32_t r = conn_req(cs);
	if (!pool_conn_is_open(c->pool, conn))
		return;
	if (pool_conn_is_h2(c->pool, conn)) {
		h2_conn_broken(c, conn, why);
		return;
	}
	if (r != PS_NONE && c->reqs[r].state == REQ_LEAKED)
		return; /* B2: nobody reads the socket of a leaked body, so nobody notices */
	if (r == PS_NONE || c->reqs[r].state != REQ_EXCHANGE) {
		pool_closeConn(c->pool, now_of(c), conn, why); /* S1: an idle (or dialing) conn */
		client_flush(c);
		return;
	}
	/* S2/S3: the peer closed while a response was due. */
	/* Read before the close: right after it the slot can hold a new conn (a waiter handed the
	 * freed MaxConnsPerHost permit dials at once). */
	uint32_t conn_id = pool_conn_id(c->pool, conn);
	const struct load_spec *ls = &c->sc->loads[c->reqs[r].load];
	bool retry =
	    pool_shouldRetryRequest(c->pool, conn, POOL_FAIL_READ_FROM_SERVER, nothing_written,
	                            request_is_replayable(ls->method, ls->idempotency_key));
	release_conn(c, r);
	des_cancel(c->des, &c->reqs[r].header_timer);
	pool_closeConn(c->pool, now_of(c), conn, why);
	if (retry) {
		struct ps_event *ev = req_event(c, EV_REQ_RETRY, r);
		ev->reason = (uint16_t)why;
		ev->conn = conn;
		ev->conn_id = conn_id;
		/* The request counts as reused by the conn that finally serves it, not this one. */
		ev->flags = c->reqs[r].attempt_reused ? EVF_REUSED : 0;
		client_flush(c);
		ask_pool(c, r); /* S4: getConn again, under the usual rules */
	} else {
		c->reqs[r].conn = PS_NONE;
		finish_failed(c, r, why, 0);
	}
	client_flush(c);
}

/* ---------------------------------------------------------------- timers */

static void on_worker(void *ctx, uint32_t worker, uint32_t unused)
{
	struct client *c = ctx;
	const struct load_hot *ls = &c->hot[c->workers[worker].load];
	if (c->finished || now_of(c) >= ls->stop)
		return;
	if (ls->requests > 0 && c->workers[worker].started >= ls->requests)
		return;
	start_request(c, c->workers[worker].load, worker);
}

static ps_time next_gap(struct client *c, uint32_t load)
{
	const struct load_spec *ls = &c->sc->loads[load];
	double mean_ns = 1e9 / ls->rate;
	if (ls->arrival != ARRIVAL_UNIFORM)
		return rng_exp(&c->loads[load].rng, mean_ns);
	/* Compared as doubles first: a gap past the end of time (rate far below 1/duration)
	 * is "never", not an out-of-range conversion. */
	if (!(mean_ns + 0.5 < (double)PS_TIME_NEVER / 2))
		return PS_TIME_NEVER / 2;
	ps_time gap = (ps_time)(mean_ns + 0.5);
	return gap > 0 ? gap : 1;
}

/*
 * next_row: read the replay's next row inside [start, stop) into the load's state and
 * schedule its arrival; at the end of the file (or of the cut), stop reading. A file that
 * changed since the scenario was read and no longer parses ends the replay there.
 */
static void next_row(struct client *c, uint32_t load)
{
	const struct load_spec *ls = &c->sc->loads[load];
	struct load_state *st = &c->loads[load];
	char err[512];
	while (st->replay && replay_next(st->replay, &st->row, err, sizeof err) == 1) {
		double at = (double)st->row.start / ls->replay_speed;
		if (at < (double)ls->start)
			continue;
		if (at >= (double)ls->stop)
			break;
		st->row_at = (ps_time)(at + 0.5);
		if (ls->replay_speed != 1 && st->row.service != REPLAY_NONE)
			st->row.service =
			    (ps_time)((double)st->row.service / ls->replay_speed + 0.5);
		schedule(c, st->row_at, T_ARRIVAL, load, 0);
		return;
	}
	replay_close(st->replay);
	st->replay = NULL;
}

static void on_arrival(void *ctx, uint32_t load, uint32_t unused)
{
	struct client *c = ctx;
	const struct load_spec *ls = &c->sc->loads[load];
	if (c->finished)
		return;
	if (ls->kind == LOAD_REPLAY && !ls->replay) {
		struct load_state *st = &c->loads[load];
		st->row = st->fed[st->fed_head];
		st->fed_head = (st->fed_head + 1) % st->fed_cap;
		st->fed_len--;
		start_request(c, load, PS_NONE);
		return;
	}
	if (ls->kind == LOAD_REPLAY) {
		start_request(c, load, PS_NONE); /* reads the row's service and body first */
		next_row(c, load);
		return;
	}
	if (ls->kind == LOAD_COUNT) {
		for (int64_t i = 0; i < ls->count && !c->finished; i++)
			start_request(c, load, PS_NONE);
		return;
	}
	if (now_of(c) >= ls->stop)
		return;
	/* Schedule the next arrival first, so the stream of arrivals is independent of the pool. */
	ps_time next = ps_time_add(now_of(c), next_gap(c, load));
	if (next < ls->stop)
		schedule(c, next, T_ARRIVAL, load, 0);
	start_request(c, load, PS_NONE);
}

static bool timer_is_for(const struct client *c, uint32_t r, uint32_t id)
{
	return r < slots_used(&c->req_slots) && c->reqs[r].state != REQ_FREE && c->reqs[r].id == id;
}

/* fail_exchange (T3, T4): a timeout mid-exchange fails the request and closes its conn, never pools
 * it. */
static void fail_exchange(struct client *c, uint32_t r, enum ev_reason why)
{
	struct request *rq = &c->reqs[r];
	/* A leaked HTTP/2 stream outlives its conn (h2_conn_broken leaves it be), whose slot may
	 * hold another conn by now: that one is not the request's to release, reset or close. */
	if (rq->conn != PS_NONE && pool_conn_id(c->pool, rq->conn) != rq->conn_id)
		rq->conn = PS_NONE;
	uint32_t conn = release_conn(c, r);
	finish_failed(c, r, why, 0);
	if (conn == PS_NONE)
		return;
	if (pool_conn_is_h2(c->pool, conn))
		pool_streamDone(c->pool, now_of(c),
		                conn); /* H10: the stream is reset, not the conn */
	else
		pool_closeConn(c->pool, now_of(c), conn, why);
}

/* T4: Client.Timeout ends the request in whatever phase it is. */
static void on_client_timeout(void *ctx, uint32_t r, uint32_t id)
{
	struct client *c = ctx;
	if (!timer_is_for(c, r, id))
		return;
	struct request *rq = &c->reqs[r];
	rq->client_timer = DES_NO_TIMER;
	if (rq->state == REQ_WAITING) {
		uint32_t want = rq->want;
		finish_failed(c, r, R_CLIENT_TIMEOUT, EVF_WAITED);
		pool_cancelWant(c->pool, now_of(c), want, R_CLIENT_TIMEOUT);
	} else {
		fail_exchange(c, r, R_CLIENT_TIMEOUT);
	}
	client_flush(c);
}

/* cancel_matches: is request `r` in flight in the phase an [event] cancel names? */
static bool cancel_matches(const struct client *c, uint32_t r, enum cancel_phase phase)
{
	const struct request *rq = &c->reqs[r];
	switch (phase) {
	case CANCEL_DIALING:
		return rq->state == REQ_WAITING && pool_want_is_dialing(c->pool, rq->want);
	case CANCEL_WAITING:
		return rq->state == REQ_WAITING;
	case CANCEL_AWAITING_HEADERS:
		return rq->state == REQ_EXCHANGE;
	default:
		return rq->state == REQ_WAITING || rq->state == REQ_EXCHANGE;
	}
}

/*
 * cancel_request (G8, T4's paths): the request's context is canceled. Waiting,
 * it leaves getConn with context.Canceled (its dial goes on, detached, since
 * Go 1.23; before, the dial dies with the context); awaiting headers, the
 * conn is closed under it (persistConn.cancelRequest). Never retried.
 */
static void cancel_request(struct client *c, uint32_t r)
{
	struct request *rq = &c->reqs[r];
	uint32_t want = rq->ctx_want, id = rq->id;
	if (rq->state == REQ_WAITING) {
		uint32_t waiting = rq->want;
		finish_failed(c, r, R_CANCELED, EVF_WAITED);
		pool_cancelWant(c->pool, now_of(c), waiting, R_CANCELED);
	} else {
		fail_exchange(c, r, R_CANCELED);
	}
	pool_requestContextDone(c->pool, now_of(c), want, id);
}

void client_on_action(struct client *c, const struct server_action_spec *a)
{
	if (c->finished)
		return;
	if (a->action == CLIENT_CLOSE_IDLE_CONNECTIONS) {
		for (uint32_t t = 0; t < pool_transport_count(c->pool); t++)
			pool_closeIdleConnections(c->pool, now_of(c), t); /* C1, C2 */
	} else if (a->action == CLIENT_CANCEL) {
		for (uint32_t r = 0; r < slots_used(&c->req_slots); r++)
			if (c->reqs[r].state != REQ_FREE && c->reqs[r].load == a->load &&
			    cancel_matches(c, r, (enum cancel_phase)a->phase))
				cancel_request(c, r);
	}
	client_flush(c);
}

/* T3: no response headers within ResponseHeaderTimeout: the conn is closed, no retry. */
static void on_header_timeout(void *ctx, uint32_t r, uint32_t id)
{
	struct client *c = ctx;
	if (!timer_is_for(c, r, id))
		return;
	c->reqs[r].header_timer = DES_NO_TIMER; /* its event has run (des_timer) */
	if (c->reqs[r].state != REQ_EXCHANGE)
		return;
	fail_exchange(c, r, R_HEADER_TIMEOUT);
	client_flush(c);
}

/* T1/T2: the dial or the TLS handshake took too long. */
static void on_dial_timeout(void *ctx, uint32_t conn, uint32_t id)
{
	struct client *c = ctx;
	/* A conn's close cancels its timers, so this is a defence only: were one to run after the
	 * close, the slot would hold another conn (or none), not this timer's. */
	if (pool_conn_id(c->pool, conn) != id)
		return;
	struct conn_side *cs = conn_side(c, conn);
	cs->dial_timer = DES_NO_TIMER; /* its event has run (des_timer) */
	pool_dialFailed(c->pool, now_of(c), conn, cs->in_tls ? R_TLS_TIMEOUT : R_DIAL_TIMEOUT);
	client_flush(c);
}

static void on_idle_timeout(void *ctx, uint32_t conn, uint32_t id)
{
	struct client *c = ctx;
	if (pool_conn_id(c->pool, conn) != id)
		return; /* as on_dial_timeout */
	conn_side(c, conn)->idle_timer = DES_NO_TIMER;
	pool_closeConnIfStillIdle(c->pool, now_of(c), conn);
	client_flush(c);
}

static void end_run(struct client *c, enum run_stop why)
{
	if (c->finished)
		return;
	c->finished = true;
	c->stopped = why;
	struct ps_event ev = ev_make(EV_RUN_END, now_of(c));
	ev.value = c->live_requests;
	ev.flags = (uint32_t)why;
	push(c, &ev);
	client_flush(c);
}

static void on_run_end(void *ctx, uint32_t a, uint32_t b)
{
	end_run(ctx, RUN_COMPLETE);
}

void client_stop(struct client *c, enum run_stop why)
{
	end_run(c, why);
}

/* ---------------------------------------------------------------- lifecycle */

/* pool_broke: the pool's message before it aborts (it never prints itself). */
static void pool_broke(const char *what, void *ctx)
{
	fprintf(stderr, "poolsim: internal error: %s\n", what);
}

struct client *client_create(const struct scenario *sc, struct des *des, struct ev_stream *stream,
                             const struct net_ops *net, void *net_ctx, unsigned first_type,
                             unsigned *next_type)
{
	struct client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sc = sc;
	c->des = des;
	c->stream = stream;
	c->net = net;
	c->net_ctx = net_ctx;
	c->type_base = first_type;
	slots_init(&c->req_slots);
	c->due_head = c->due_tail = PS_NONE;
#ifdef POOLSIM_DEBUG
	c->check_invariants = true; /* debug builds check the pool after every record */
#endif
	/* H1: which hosts' conns speak HTTP/2, with their servers' stream limits (the pool
	 * copies the array). */
	uint32_t *h2_streams = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof(*h2_streams));
	for (uint32_t h = 0; h2_streams && h < sc->n_hosts; h++)
		if (scenario_host_speaks_h2(sc, h))
			h2_streams[h] = (uint32_t)sc->hosts[h].max_concurrent_streams;
	struct pool_config cfg = {.transport = sc->transport,
	                          .go = sc->go,
	                          .h2_max_streams = h2_streams,
	                          .on_broken = pool_broke};
	c->pool = h2_streams ? pool_create(&cfg, sc->n_hosts, stream) : NULL;
	free(h2_streams);
	c->loads = sc->n_loads < CLIENT_MAX_LOADS
	               ? calloc(sc->n_loads ? sc->n_loads : 1, sizeof(*c->loads))
	               : NULL;
	c->hot = calloc(sc->n_loads ? sc->n_loads : 1, sizeof(*c->hot));
	uint64_t n_workers = 0;
	for (uint32_t i = 0; i < sc->n_loads; i++)
		if (sc->loads[i].kind == LOAD_WORKERS)
			n_workers += (uint64_t)sc->loads[i].workers;
	c->workers = calloc(n_workers ? n_workers : 1, sizeof(*c->workers));
	if (!c->pool || !c->loads || !c->hot || !c->workers) {
		client_destroy(c);
		return NULL;
	}
	for (uint32_t i = 0; i < sc->n_loads; i++) {
		const struct load_spec *ls = &sc->loads[i];
		c->hot[i] = (struct load_hot){.think = ls->think,
		                              .stop = ls->stop,
		                              .requests = ls->requests,
		                              .host = ls->host,
		                              .kind = (uint8_t)ls->kind,
		                              .body = (uint8_t)ls->body,
		                              .new_client_per_request = ls->new_client_per_request,
		                              .request_close = ls->request_close};
		rng_seed(&c->loads[i].rng, sc->seed, rng_stream_of_load(i));
		c->loads[i].first_worker = c->n_workers;
		if (sc->loads[i].kind != LOAD_WORKERS)
			continue;
		for (int64_t w = 0; w < sc->loads[i].workers; w++)
			c->workers[c->n_workers++] = (struct worker){.load = i};
	}
	des_on(des, first_type + T_WORKER, on_worker, c);
	des_on(des, first_type + T_ARRIVAL, on_arrival, c);
	des_on(des, first_type + T_CLIENT_TIMEOUT, on_client_timeout, c);
	des_on(des, first_type + T_HEADER_TIMEOUT, on_header_timeout, c);
	des_on(des, first_type + T_DIAL_TIMEOUT, on_dial_timeout, c);
	des_on(des, first_type + T_IDLE_TIMEOUT, on_idle_timeout, c);
	des_on(des, first_type + T_RUN_END, on_run_end, c);
	if (next_type)
		*next_type = first_type + T_CLIENT_TYPES;
	return c;
}

void client_destroy(struct client *c)
{
	if (!c)
		return;
	pool_destroy(c->pool);
	for (uint32_t i = 0; c->loads && i < c->sc->n_loads; i++) {
		replay_close(c->loads[i].replay);
		free(c->loads[i].fed);
	}
	free(c->reqs);
	slots_free(&c->req_slots);
	free(c->conns);
	free(c->workers);
	free(c->loads);
	free(c->hot);
	free(c->services_plus_1);
	free(c);
}

ps_time client_service_of(const struct client *c, uint32_t conn)
{
	if (conn >= c->cap_conns)
		return REPLAY_NONE;
	uint32_t r = conn_req(&c->conns[conn]);
	return r < c->cap_services ? c->services_plus_1[r] - 1 : REPLAY_NONE;
}

ps_time client_service_of_request(const struct client *c, uint32_t req_slot)
{
	if (req_slot >= c->cap_reqs || c->reqs[req_slot].state == REQ_FREE ||
	    req_slot >= c->cap_services)
		return REPLAY_NONE;
	return c->services_plus_1[req_slot] - 1;
}

void client_set_check_invariants(struct client *c, bool on)
{
	c->check_invariants = on;
}

void client_start(struct client *c)
{
	/* The end is scheduled first: anything else due at `duration` comes after it and never
	 * runs. */
	schedule(c, c->sc->duration, T_RUN_END, 0, 0);
	for (uint32_t i = 0; i < c->sc->n_loads; i++) {
		const struct load_spec *ls = &c->sc->loads[i];
		if (ls->start >= c->sc->duration)
			continue;
		switch (ls->kind) {
		case LOAD_WORKERS:
			for (int64_t w = 0; w < ls->workers; w++)
				schedule(c, ls->start, T_WORKER,
				         c->loads[i].first_worker + (uint32_t)w, 0);
			break;
		case LOAD_COUNT:
			schedule(c, ls->start, T_ARRIVAL, i, 0);
			break;
		case LOAD_REPLAY: {
			if (!ls->replay)
				break; /* live: the caller feeds its rows (client_feed_row) */
			char err[512];
			c->loads[i].replay =
			    replay_open(ls->replay, &ls->replay_opt, err, sizeof err);
			next_row(c, i);
			break;
		}
		case LOAD_RATE: {
			ps_time first = ls->arrival == ARRIVAL_UNIFORM
			                    ? ls->start
			                    : ps_time_add(ls->start, next_gap(c, i));
			if (first < ls->stop)
				schedule(c, first, T_ARRIVAL, i, 0);
			break;
		}
		}
	}
}

/* fed_push: the row at the back of the load's queue, which grows by doubling (a live replay
 * allocates only when its caller feeds it faster than the run consumes). */
static int fed_push(struct load_state *st, const struct replay_row *row)
{
	if (st->fed_len == st->fed_cap) {
		uint32_t cap = st->fed_cap ? st->fed_cap * 2 : 64;
		struct replay_row *q = cap > st->fed_cap ? malloc(cap * sizeof *q) : NULL;
		if (!q)
			return -1;
		for (uint32_t i = 0; i < st->fed_len; i++)
			q[i] = st->fed[(st->fed_head + i) % st->fed_cap];
		free(st->fed);
		st->fed = q;
		st->fed_head = 0;
		st->fed_cap = cap;
	}
	st->fed[(st->fed_head + st->fed_len) % st->fed_cap] = *row;
	st->fed_len++;
	return 0;
}

int client_feed_row(struct client *c, uint32_t load, const struct replay_row *row)
{
	if (load >= c->sc->n_loads || c->sc->loads[load].kind != LOAD_REPLAY ||
	    c->sc->loads[load].replay || c->finished)
		return -1;
	struct load_state *st = &c->loads[load];
	if (row->start < now_of(c) || row->start < st->row_at || row->start >= c->sc->duration)
		return -1;
	if (fed_push(st, row) < 0)
		return -1;
	st->row_at = row->start;
	schedule(c, row->start, T_ARRIVAL, load, 0);
	return 0;
}

bool client_starts_requests(const struct client *c, unsigned type)
{
	return type == c->type_base + T_WORKER || type == c->type_base + T_ARRIVAL;
}

enum run_stop client_stopped(const struct client *c)
{
	return c->stopped;
}

bool client_overflowed(const struct client *c)
{
	return c->overflowed;
}

bool client_finished(const struct client *c)
{
	return c->finished;
}
