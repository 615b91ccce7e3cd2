/*
 * timewait.c: TIME_WAIT and ports from the event stream (timewait.h).
 */
#include "timewait.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

enum { CONN_FREE, CONN_BOUND, CONN_CONNECTED };

bool timewait_client_holds(enum ev_reason reason, bool tcp_connected, bool disable_keepalives)
{
	if (!tcp_connected)
		return false;
	switch (reason) {
	case R_IDLE_TIMEOUT:
	case R_MAX_IDLE_PER_HOST:
	case R_MAX_IDLE_TOTAL:
	case R_BODY_NOT_READ:
	case R_CLOSE_IDLE_CONNS:
	case R_TLS_TIMEOUT:
	case R_HEADER_TIMEOUT:
	case R_CLIENT_TIMEOUT:
	case R_DIAL_CANCELED:
		return true;
	case R_KEEPALIVES_DISABLED:
		/* DisableKeepAlives sends Connection: close and the server closes first; with
		 * MaxIdleConnsPerHost < 0 the client refuses the idle conn and closes it. */
		return !disable_keepalives;
	default:
		return false;
	}
}

int timewait_init(struct timewait *tw, uint32_t n_hosts, ps_time hold, int64_t port_range,
                  bool disable_keepalives)
{
	memset(tw, 0, sizeof *tw);
	tw->hold = hold;
	tw->port_range = port_range;
	tw->disable_keepalives = disable_keepalives;
	tw->n_hosts = n_hosts;
	tw->hosts = calloc(n_hosts ? n_hosts : 1, sizeof *tw->hosts);
	return tw->hosts ? 0 : -1;
}

void timewait_free(struct timewait *tw)
{
	free(tw->hosts);
	free(tw->waiting.at);
	free(tw->waiting.host);
	free(tw->conn);
	tw->hosts = NULL;
	tw->waiting.at = NULL;
	tw->waiting.host = NULL;
	tw->conn = NULL;
}

/* The FIFO doubles, its entries moved to the front in order. */
static void fifo_grow(struct tw_fifo *f)
{
	uint32_t cap = f->cap ? f->cap * 2 : 64;
	ps_time *at = malloc((size_t)cap * sizeof *at);
	uint32_t *host = malloc((size_t)cap * sizeof *host);
	if (!at || !host)
		abort();
	for (uint32_t i = 0; i < f->count; i++) {
		at[i] = f->at[(f->head + i) & (f->cap - 1)];
		host[i] = f->host[(f->head + i) & (f->cap - 1)];
	}
	free(f->at);
	free(f->host);
	f->at = at;
	f->host = host;
	f->cap = cap;
	f->head = 0;
}

/* Into the FIFO, which has room (timewait_on_port_record made it). */
static void fifo_push(struct tw_fifo *f, ps_time at, uint32_t host)
{
	uint32_t i = (f->head + f->count) & (f->cap - 1);
	f->at[i] = at;
	f->host[i] = host;
	f->count++;
}

/*
 * expire: the sockets whose TIME_WAIT has ended by `now` leave their host's
 * count and the total. Only the records that change a count or a peak call
 * it, and every reader calls it first (timewait_count): doing it later gives
 * the same figures.
 */
static inline void expire(struct timewait *tw, ps_time now)
{
	struct tw_fifo *f = &tw->waiting;
	while (f->count && f->at[f->head] <= now) {
		tw->hosts[f->host[f->head]].waiting--;
		tw->total.waiting--;
		f->head = (f->head + 1) & (f->cap - 1);
		f->count--;
	}
}

static void note_peaks(struct tw_host *h)
{
	if (h->waiting > h->peak_time_wait)
		h->peak_time_wait = h->waiting;
	if (h->open + h->waiting > h->peak_ports)
		h->peak_ports = h->open + h->waiting;
}

/* A conn slot's state; timewait_on_port_record has made room for it. */
static uint8_t *conn_state(struct timewait *tw, uint32_t conn)
{
	return &tw->conn[conn];
}

static void on_closed(struct timewait *tw, struct tw_host *h, const struct ps_event *ev)
{
	uint8_t *s = conn_state(tw, ev->conn);
	if (ev->reason == R_ADDR_NOT_AVAIL)
		tw->exhausted++;
	if (*s == CONN_FREE)
		return; /* never bound a port */
	/* An HTTP/2 conn sends no Connection: close: under DisableKeepAlives the client closes
	 * its single-use conn after the stream (H9), so the TIME_WAIT is the client's. */
	bool server_first = tw->disable_keepalives && !(ev->flags & EVF_H2);
	bool holds =
	    timewait_client_holds((enum ev_reason)ev->reason, *s == CONN_CONNECTED, server_first);
	*s = CONN_FREE;
	h->open--;
	tw->total.open--;
	if (holds && tw->hold > 0) {
		fifo_push(&tw->waiting, ps_time_add(ev->t, tw->hold), ev->host);
		h->waiting++;
		tw->total.waiting++;
	}
	note_peaks(h);
	note_peaks(&tw->total);
}

__attribute__((noinline)) static void record_after_growing(struct timewait *tw,
                                                           const struct ps_event *ev);

/* Its only calls are tail calls (the growth, out of line, comes back here), so a record costs
 * no register saves. */
void timewait_on_port_record(struct timewait *tw, const struct ps_event *ev)
{
	if (ev->host >= tw->n_hosts || ev->conn == PS_NONE)
		return;
	if (ev->conn >= tw->conn_cap || tw->waiting.count == tw->waiting.cap) {
		record_after_growing(tw, ev);
		return;
	}
	struct tw_host *h = &tw->hosts[ev->host];
	switch (ev->kind) {
	case EV_DIAL_START:
		expire(tw, ev->t);
		/* With every port taken the connect gets none: the driver asked timewait_exhausted
		 * before this record reached here, and fails the dial with R_ADDR_NOT_AVAIL. */
		if (h->open + h->waiting >= tw->port_range)
			break;
		*conn_state(tw, ev->conn) = CONN_BOUND;
		h->open++;
		tw->total.open++;
		note_peaks(h);
		note_peaks(&tw->total);
		break;
	case EV_TLS_START:
	case EV_CONN_READY:
		*conn_state(tw, ev->conn) = CONN_CONNECTED;
		break;
	case EV_CONN_CLOSED:
		expire(tw, ev->t);
		on_closed(tw, h, ev);
		break;
	default:
		break;
	}
}

/* Room for the record's conn slot and one more socket in TIME_WAIT, then the record. */
__attribute__((noinline)) static void record_after_growing(struct timewait *tw,
                                                           const struct ps_event *ev)
{
	if (ev->conn >= tw->conn_cap)
		tw->conn = grow_to_hold(tw->conn, &tw->conn_cap, 1, ev->conn, 64, NULL);
	if (tw->waiting.count == tw->waiting.cap)
		fifo_grow(&tw->waiting);
	timewait_on_port_record(tw, ev);
}

static void on_record(void *ctx, const struct ps_event *ev)
{
	timewait_on_port_record(ctx, ev);
}

struct ev_sink timewait_sink(struct timewait *tw)
{
	return (struct ev_sink){.on_event = on_record, .ctx = tw, .kinds = TIMEWAIT_KINDS};
}

static struct tw_host *host_of(struct timewait *tw, uint32_t host)
{
	return host == PS_NONE ? &tw->total : host < tw->n_hosts ? &tw->hosts[host] : NULL;
}

int64_t timewait_count(struct timewait *tw, uint32_t host, ps_time now)
{
	struct tw_host *h = host_of(tw, host);
	if (!h)
		return 0;
	expire(tw, now);
	return h->waiting;
}

int64_t timewait_ports(struct timewait *tw, uint32_t host, ps_time now)
{
	struct tw_host *h = host_of(tw, host);
	return h ? h->open + timewait_count(tw, host, now) : 0;
}

bool timewait_exhausted(struct timewait *tw, uint32_t host, ps_time now)
{
	return host < tw->n_hosts && timewait_ports(tw, host, now) >= tw->port_range;
}
