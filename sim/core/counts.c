/*
 * counts.c: the counts of a run from the event stream (counts.h).
 */
#include "counts.h"

#include "grow.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum conn_gauge { CG_NONE, CG_DIALING, CG_TLS, CG_READY, CG_ACTIVE, CG_IDLE };

int counter_init(struct counter *c, uint32_t n_hosts)
{
	memset(c, 0, sizeof(*c));
	c->n_hosts = n_hosts;
	c->hosts = calloc(n_hosts ? n_hosts : 1, sizeof(*c->hosts));
	return c->hosts ? 0 : -1;
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

static uint8_t *conn_state(struct counter *c, uint32_t conn)
{
	if (conn >= c->cap_conns)
		c->conn_state = grow_to_hold(c->conn_state, &c->cap_conns, 1, conn, 64, NULL);
	return &c->conn_state[conn];
}

#define NO_PEAK SIZE_MAX

/* Apply a gauge change to one set; only a rise of the gauge itself can raise its peak. */
static void gauge_one(struct counts *s, size_t field, size_t peak, int delta)
{
	int64_t *g = (int64_t *)((char *)s + field);
	*g += delta;
	if (peak != NO_PEAK && delta > 0) {
		int64_t *p = (int64_t *)((char *)s + peak);
		if (*g > *p)
			*p = *g;
	}
}

/* Apply a gauge change to the total and the host, tracking peaks. */
static void gauge(struct counter *c, uint32_t host, size_t field, size_t peak, int delta)
{
	gauge_one(&c->total, field, peak, delta);
	if (host < c->n_hosts)
		gauge_one(&c->hosts[host], field, peak, delta);
}

#define PEAK_OF_open    offsetof(struct counts, peak_open)
#define PEAK_OF_idle    offsetof(struct counts, peak_idle)
#define PEAK_OF_waiting offsetof(struct counts, peak_waiting)
#define PEAK_OF_active  offsetof(struct counts, peak_active)
#define PEAK_OF_streams offsetof(struct counts, peak_streams)
#define PEAK_OF_dialing NO_PEAK
#define PEAK_OF_leaked  NO_PEAK
#define GAUGE(c, host, name, delta)                                                                \
	gauge(c, host, offsetof(struct counts, name), PEAK_OF_##name, delta)

/* add: a counter of the total and the host moves by `delta`. */
static void add(struct counter *c, uint32_t host, size_t field, int delta)
{
	*(int64_t *)((char *)&c->total + field) += delta;
	if (host < c->n_hosts)
		*(int64_t *)((char *)&c->hosts[host] + field) += delta;
}

#define COUNT(c, host, name) add(c, host, offsetof(struct counts, name), 1)

/* leave_state: the conn leaves its current gauge. */
static void leave_state(struct counter *c, uint32_t host, uint8_t state)
{
	switch (state) {
	case CG_DIALING:
	case CG_TLS:
		GAUGE(c, host, dialing, -1);
		break;
	case CG_ACTIVE:
		GAUGE(c, host, active, -1);
		break;
	case CG_IDLE:
		GAUGE(c, host, idle, -1);
		break;
	default:
		break;
	}
}

/* enter_state: the conn leaves its gauge for `to` (whose gauge, if any, the caller moves). */
static uint8_t *enter_state(struct counter *c, const struct ps_event *ev, uint8_t to)
{
	uint8_t *s = conn_state(c, ev->conn);
	leave_state(c, ev->host, *s);
	*s = to;
	return s;
}

static void on_conn_closed(struct counter *c, const struct ps_event *ev)
{
	uint8_t *s = conn_state(c, ev->conn);
	enum ev_reason why = ev->reason < R_REASON_COUNT ? (enum ev_reason)ev->reason : R_ERROR;
	enum ev_reason category = ev_reason_category(why);
	if (*s == CG_DIALING || *s == CG_TLS)
		COUNT(c, ev->host, dial_failures); /* T2: a failed handshake is a failed dial */
	enter_state(c, ev, CG_NONE);
	GAUGE(c, ev->host, open, -1);
	COUNT(c, ev->host, closed);
	add(c, ev->host, offsetof(struct counts, closes) + (size_t)category * sizeof(int64_t), 1);
	if (ev->flags & EVF_LEAKED)
		GAUGE(c, ev->host, leaked, -1);
	if (ev->flags & EVF_H2) /* the streams that die with an HTTP/2 conn */
		GAUGE(c, ev->host, streams, -(int)ev->value);
}

static void on_got_conn(struct counter *c, const struct ps_event *ev)
{
	uint8_t *s = conn_state(c, ev->conn);
	if (ev->flags & EVF_WAITED)
		GAUGE(c, ev->host, waiting, -1);
	if (ev->flags & EVF_REUSED)
		COUNT(c, ev->host, reused);
	if (ev->flags & EVF_H2)
		GAUGE(c, ev->host, streams, 1);
	if (*s != CG_ACTIVE) {
		enter_state(c, ev, CG_ACTIVE);
		GAUGE(c, ev->host, active, 1);
	}
}

static void on_request_failed(struct counter *c, const struct ps_event *ev)
{
	COUNT(c, ev->host, failed);
	c->failures[ev->reason < R_REASON_COUNT ? ev->reason : R_ERROR]++;
	if (ev->flags & EVF_WAITED)
		GAUGE(c, ev->host, waiting, -1);
}

static void on_run_end(struct counter *c)
{
	c->total.unfinished = c->total.requests - c->total.ok - c->total.failed;
	for (uint32_t h = 0; h < c->n_hosts; h++)
		c->hosts[h].unfinished = c->hosts[h].requests - c->hosts[h].ok - c->hosts[h].failed;
}

static void on_conn_event(struct counter *c, const struct ps_event *ev)
{
	switch (ev->kind) {
	case EV_DIAL_START:
		*conn_state(c, ev->conn) = CG_DIALING;
		COUNT(c, ev->host, dials);
		GAUGE(c, ev->host, open, 1);
		GAUGE(c, ev->host, dialing, 1);
		break;
	case EV_TLS_START:
		*conn_state(c, ev->conn) = CG_TLS;
		COUNT(c, ev->host, tls_handshakes);
		break;
	case EV_CONN_READY:
		enter_state(c, ev, CG_READY);
		break;
	case EV_CONN_IDLE:
		enter_state(c, ev, CG_IDLE);
		GAUGE(c, ev->host, idle, 1);
		break;
	case EV_CONN_CLOSED:
		on_conn_closed(c, ev);
		break;
	default:
		break;
	}
}

void counter_on_event(struct counter *c, const struct ps_event *ev)
{
	switch (ev->kind) {
	case EV_REQ_START:
		COUNT(c, ev->host, requests);
		break;
	case EV_REQ_WAIT:
		GAUGE(c, ev->host, waiting, 1);
		break;
	case EV_PERMIT_WAIT:
		COUNT(c, ev->host, permit_waits);
		break;
	case EV_REQ_GOT_CONN:
		on_got_conn(c, ev);
		break;
	case EV_REQ_RETRY:
		COUNT(c, ev->host, retries);
		if (ev->flags & EVF_REUSED) /* the abandoned attempt's reuse is taken back (S3) */
			add(c, ev->host, offsetof(struct counts, reused), -1);
		break;
	case EV_REQ_DONE:
		COUNT(c, ev->host, ok);
		break;
	case EV_REQ_FAILED:
		on_request_failed(c, ev);
		break;
	case EV_BODY_LEAKED:
		GAUGE(c, ev->host, leaked, 1);
		break;
	case EV_STREAM_END:
		GAUGE(c, ev->host, streams, -1);
		break;
	case EV_RUN_END:
		on_run_end(c);
		break;
	default:
		on_conn_event(c, ev);
		break;
	}
}
