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

static void fifo_free(struct tw_fifo *f)
{
	free(f->at);
	f->at = NULL;
}

void timewait_free(struct timewait *tw)
{
	for (uint32_t h = 0; tw->hosts && h < tw->n_hosts; h++)
		fifo_free(&tw->hosts[h].waiting);
	fifo_free(&tw->total.waiting);
	free(tw->hosts);
	free(tw->conn);
	tw->hosts = NULL;
	tw->conn = NULL;
}

static void fifo_push(struct tw_fifo *f, ps_time at)
{
	if (f->count == f->cap) {
		uint32_t cap = f->cap ? f->cap * 2 : 64;
		ps_time *a = malloc((size_t)cap * sizeof *a);
		if (!a)
			abort();
		for (uint32_t i = 0; i < f->count; i++)
			a[i] = f->at[(f->head + i) % f->cap];
		free(f->at);
		f->at = a;
		f->cap = cap;
		f->head = 0;
	}
	f->at[(f->head + f->count) % f->cap] = at;
	f->count++;
}

/* expire: drop the sockets whose TIME_WAIT has ended by `now`. */
static void expire(struct tw_fifo *f, ps_time now)
{
	while (f->count && f->at[f->head] <= now) {
		f->head = (f->head + 1) % f->cap;
		f->count--;
	}
}

static void note_peaks(struct tw_host *h)
{
	if ((int64_t)h->waiting.count > h->peak_time_wait)
		h->peak_time_wait = h->waiting.count;
	if (h->open + (int64_t)h->waiting.count > h->peak_ports)
		h->peak_ports = h->open + (int64_t)h->waiting.count;
}

static uint8_t *conn_state(struct timewait *tw, uint32_t conn)
{
	if (conn >= tw->conn_cap)
		tw->conn = grow_to_hold(tw->conn, &tw->conn_cap, 1, conn, 64, NULL);
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
		fifo_push(&h->waiting, ps_time_add(ev->t, tw->hold));
		fifo_push(&tw->total.waiting, ps_time_add(ev->t, tw->hold));
	}
	note_peaks(h);
	note_peaks(&tw->total);
}

/* The sockets whose TIME_WAIT ended by `now` leave host h's count and the total. Only the records
 * that change a count or a peak need it: every reader expires first (timewait_count), so doing
 * it later gives the same figures and saves two cache misses on every other record. */
static void expire_both(struct timewait *tw, struct tw_host *h, ps_time now)
{
	expire(&h->waiting, now);
	expire(&tw->total.waiting, now);
}

void timewait_on_event(struct timewait *tw, const struct ps_event *ev)
{
	if (ev->host >= tw->n_hosts || ev->conn == PS_NONE)
		return;
	struct tw_host *h = &tw->hosts[ev->host];
	switch (ev->kind) {
	case EV_DIAL_START:
		expire_both(tw, h, ev->t);
		/* With every port taken the connect gets none: the driver asked timewait_exhausted
		 * before this record reached here, and fails the dial with R_ADDR_NOT_AVAIL. */
		if (h->open + (int64_t)h->waiting.count >= tw->port_range)
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
		expire_both(tw, h, ev->t);
		on_closed(tw, h, ev);
		break;
	default:
		break;
	}
}

static void on_record(void *ctx, const struct ps_event *ev)
{
	timewait_on_event(ctx, ev);
}

struct ev_sink timewait_sink(struct timewait *tw)
{
	return (struct ev_sink){.on_event = on_record, .ctx = tw};
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
	expire(&h->waiting, now);
	return h->waiting.count;
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
