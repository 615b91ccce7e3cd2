/*
 * counts.c: the counts of a run from the event stream (counts.h).
 */
#include "counts.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>

enum conn_gauge { CG_NONE, CG_DIALING, CG_TLS, CG_READY, CG_ACTIVE, CG_IDLE };

/* A host's counts on a cache line of their own (sizeof(struct counts) is four lines). */
#define COUNTS_ALIGN 64
_Static_assert(sizeof(struct counts) % COUNTS_ALIGN == 0, "a host's counts fill whole lines");

int counter_init(struct counter *c, uint32_t n_hosts)
{
	memset(c, 0, sizeof(*c));
	c->n_hosts = n_hosts;
	size_t bytes = (size_t)(n_hosts ? n_hosts : 1) * sizeof(*c->hosts);
	c->hosts = aligned_alloc(COUNTS_ALIGN, bytes);
	if (!c->hosts)
		return -1;
	memset(c->hosts, 0, bytes);
	return 0;
}

void counter_free(struct counter *c)
{
	free(c->hosts);
	free(c->conn_state);
	c->hosts = NULL;
	c->conn_state = NULL;
	c->cap_conns = 0;
}

const struct counts *counter_counts(const struct counter *c, uint32_t host)
{
	return host < c->n_hosts ? &c->hosts[host] : &c->total;
}

/* A conn slot's state; counter_on_event has made room for it. */
static uint8_t *conn_state(struct counter *c, uint32_t conn)
{
	return &c->conn_state[conn];
}

/* The two sets a record moves: the run's total and its host's (`nowhere` for a host out of
 * range), found once per record. */
struct moved {
	struct counts *total, *host;
};

/* A gauge of both sets rises by one, and with it its peak. */
#define RISE(m, name, peak)                                                                        \
	do {                                                                                       \
		if (++(m).total->name > (m).total->peak)                                           \
			(m).total->peak = (m).total->name;                                         \
		if (++(m).host->name > (m).host->peak)                                             \
			(m).host->peak = (m).host->name;                                           \
	} while (0)

/* A counter or gauge of both sets moves by delta (a gauge falling never moves its peak). */
#define MOVE(m, name, delta)                                                                       \
	do {                                                                                       \
		(m).total->name += (delta);                                                        \
		(m).host->name += (delta);                                                         \
	} while (0)

/* leave_state: the conn leaves its current gauge. */
static inline void leave_state(struct moved m, uint8_t state)
{
	switch (state) {
	case CG_DIALING:
	case CG_TLS:
		MOVE(m, dialing, -1);
		break;
	case CG_ACTIVE:
		MOVE(m, active, -1);
		break;
	case CG_IDLE:
		MOVE(m, idle, -1);
		break;
	default:
		break;
	}
}

/* enter_state: the conn leaves its gauge for `to` (whose gauge, if any, the caller moves). */
static void enter_state(struct counter *c, struct moved m, const struct ps_event *ev, uint8_t to)
{
	uint8_t *s = conn_state(c, ev->conn);
	leave_state(m, *s);
	*s = to;
}

/* Not inlined: the close is rare and calls out (its category), and counter_on_event's usual
 * records then need no saved registers at all. */
__attribute__((noinline)) static void on_conn_closed(struct counter *c, struct moved m,
                                                     const struct ps_event *ev)
{
	uint8_t *s = conn_state(c, ev->conn);
	enum ev_reason why = ev->reason < R_REASON_COUNT ? (enum ev_reason)ev->reason : R_ERROR;
	enum ev_reason category = ev_reason_category(why);
	if (*s == CG_DIALING || *s == CG_TLS)
		MOVE(m, dial_failures, 1); /* T2: a failed handshake is a failed dial */
	leave_state(m, *s);
	*s = CG_NONE;
	MOVE(m, open, -1);
	MOVE(m, closed, 1);
	MOVE(m, closes[category], 1);
	if (ev->flags & EVF_LEAKED)
		MOVE(m, leaked, -1);
	if (ev->flags & EVF_H2) /* the streams that die with an HTTP/2 conn */
		MOVE(m, streams, -ev->value);
}

static void on_got_conn(struct counter *c, struct moved m, const struct ps_event *ev)
{
	uint8_t *s = conn_state(c, ev->conn);
	if (ev->flags & EVF_WAITED)
		MOVE(m, waiting, -1);
	if (ev->flags & EVF_REUSED)
		MOVE(m, reused, 1);
	if (ev->flags & EVF_H2)
		RISE(m, streams, peak_streams);
	if (*s != CG_ACTIVE) {
		leave_state(m, *s);
		*s = CG_ACTIVE;
		RISE(m, active, peak_active);
	}
}

static void on_request_failed(struct counter *c, struct moved m, const struct ps_event *ev)
{
	MOVE(m, failed, 1);
	c->failures[ev->reason < R_REASON_COUNT ? ev->reason : R_ERROR]++;
	if (ev->flags & EVF_WAITED)
		MOVE(m, waiting, -1);
}

static void on_run_end(struct counter *c)
{
	c->total.unfinished = c->total.requests - c->total.ok - c->total.failed;
	for (uint32_t h = 0; h < c->n_hosts; h++)
		c->hosts[h].unfinished = c->hosts[h].requests - c->hosts[h].ok - c->hosts[h].failed;
}

static void on_conn_event(struct counter *c, struct moved m, const struct ps_event *ev)
{
	switch (ev->kind) {
	case EV_DIAL_START:
		*conn_state(c, ev->conn) = CG_DIALING;
		MOVE(m, dials, 1);
		RISE(m, open, peak_open);
		MOVE(m, dialing, 1);
		break;
	case EV_TLS_START:
		*conn_state(c, ev->conn) = CG_TLS;
		MOVE(m, tls_handshakes, 1);
		break;
	case EV_CONN_READY:
		enter_state(c, m, ev, CG_READY);
		break;
	case EV_CONN_IDLE:
		enter_state(c, m, ev, CG_IDLE);
		RISE(m, idle, peak_idle);
		break;
	case EV_CONN_CLOSED:
		on_conn_closed(c, m, ev);
		break;
	default:
		break;
	}
}

__attribute__((noinline)) static void count_after_growing(struct counter *c,
                                                          const struct ps_event *ev);

/*
 * Every call below is a tail call (or inline), so the usual records (a request's start, its
 * conn, its end, an idle conn) cost no register saves: a conn slot past the state array's end
 * goes to count_after_growing, which makes room and comes back.
 */
void counter_on_event(struct counter *c, const struct ps_event *ev)
{
	/* a kernel sample's conn field is its TIME_WAIT count, not a slot: it grows nothing */
	if (ev->conn != PS_NONE && ev->conn >= c->cap_conns && ev->kind != EV_KERNEL_SAMPLE) {
		count_after_growing(c, ev);
		return;
	}
	struct moved m = {&c->total, ev->host < c->n_hosts ? &c->hosts[ev->host] : &c->nowhere};
	switch (ev->kind) {
	case EV_REQ_START:
		MOVE(m, requests, 1);
		break;
	case EV_REQ_WAIT:
		RISE(m, waiting, peak_waiting);
		break;
	case EV_PERMIT_WAIT:
		MOVE(m, permit_waits, 1);
		break;
	case EV_REQ_GOT_CONN:
		on_got_conn(c, m, ev);
		break;
	case EV_REQ_RETRY:
		MOVE(m, retries, 1);
		if (ev->flags & EVF_REUSED) /* the abandoned attempt's reuse is taken back (S3) */
			MOVE(m, reused, -1);
		break;
	case EV_REQ_DONE:
		MOVE(m, ok, 1);
		break;
	case EV_REQ_FAILED:
		on_request_failed(c, m, ev);
		break;
	case EV_BODY_LEAKED:
		MOVE(m, leaked, 1);
		break;
	case EV_STREAM_END:
		MOVE(m, streams, -1);
		break;
	case EV_RUN_END:
		on_run_end(c);
		break;
	default:
		on_conn_event(c, m, ev);
		break;
	}
}

__attribute__((noinline)) static void count_after_growing(struct counter *c,
                                                          const struct ps_event *ev)
{
	c->conn_state = grow_to_hold(c->conn_state, &c->cap_conns, 1, ev->conn, 64, NULL);
	counter_on_event(c, ev);
}
