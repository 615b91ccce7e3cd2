/*
 * capture_fit.c: per-request service times and measured dial/TLS times from
 * a capture's records (capture_fit.h). Requests and conns are tracked by
 * their number mod CAPTURE_FIT_SLOTS, as the summary's reader does.
 */
#include "capture_fit.h"

#include <stdlib.h>
#include <string.h>

#define CAPTURE_FIT_SLOTS 65536

static void mean_add(struct fit_mean *m, double v)
{
	m->sum += v;
	m->sum_sq += v * v;
	m->n++;
}

double fit_mean_of(const struct fit_mean *m)
{
	return m->n ? m->sum / (double)m->n : 0;
}

int capture_fit_init(struct capture_fit *f, uint32_t n_hosts)
{
	memset(f, 0, sizeof *f);
	f->conn_t = calloc(CAPTURE_FIT_SLOTS, sizeof *f->conn_t);
	f->conn_ph = calloc(CAPTURE_FIT_SLOTS, 1);
	f->req_t = malloc(CAPTURE_FIT_SLOTS * sizeof *f->req_t);
	f->req_at = malloc(CAPTURE_FIT_SLOTS * sizeof *f->req_at);
	if (!f->conn_t || !f->conn_ph || !f->req_t || !f->req_at)
		return -1;
	for (uint32_t i = 0; i < CAPTURE_FIT_SLOTS; i++)
		f->req_t[i] = f->req_at[i] = -1;
	return capture_fit_hosts(f, n_hosts);
}

int capture_fit_hosts(struct capture_fit *f, uint32_t n_hosts)
{
	if (n_hosts <= f->n_hosts)
		return 0;
	struct fit_host *h = realloc(f->hosts, n_hosts * sizeof *h);
	if (!h)
		return -1;
	memset(h + f->n_hosts, 0, (n_hosts - f->n_hosts) * sizeof *h);
	f->hosts = h;
	f->n_hosts = n_hosts;
	return 0;
}

static void add_arrival(struct capture_fit *f, struct fit_host *h, const struct ps_event *ev)
{
	if (h->n_arrivals == h->cap) {
		int64_t cap = h->cap ? h->cap * 2 : 256;
		struct fit_arrival *a = realloc(h->arrivals, (size_t)cap * sizeof *a);
		if (!a) {
			f->out_of_memory = true;
			return;
		}
		h->arrivals = a;
		h->cap = cap;
	}
	f->req_at[ev->req % CAPTURE_FIT_SLOTS] = h->n_arrivals;
	h->arrivals[h->n_arrivals++] = (struct fit_arrival){ev->t, -1, false};
	f->arrivals++;
}

static struct fit_arrival *arrival_of(struct capture_fit *f, struct fit_host *h, uint32_t rs)
{
	int64_t at = f->req_at[rs];
	return at >= 0 && at < h->n_arrivals ? &h->arrivals[at] : NULL;
}

static void on_done(struct capture_fit *f, struct fit_host *h, const struct ps_event *ev)
{
	uint32_t rs = ev->req % CAPTURE_FIT_SLOTS;
	struct fit_arrival *a = arrival_of(f, h, rs);
	if (ev->req && f->req_t[rs] >= 0) {
		double v = (double)(ev->t - f->req_t[rs]);
		if (!h->service.n || v < h->service_min)
			h->service_min = v;
		mean_add(&h->service, v);
		if (a)
			a->service = (ps_time)v;
	}
	if (a)
		a->settled = true;
	f->req_t[rs] = -1;
}

void capture_fit_record(struct capture_fit *f, const struct ps_event *ev)
{
	if (ev->host >= f->n_hosts)
		return;
	struct fit_host *h = &f->hosts[ev->host];
	uint32_t cs = ev->conn % CAPTURE_FIT_SLOTS;
	switch (ev->kind) {
	case EV_REQ_START:
		add_arrival(f, h, ev);
		break;
	case EV_DIAL_START:
		f->conn_t[cs] = ev->t;
		f->conn_ph[cs] = 1;
		break;
	case EV_TLS_START:
		if (f->conn_ph[cs] == 1)
			mean_add(&h->dial, (double)(ev->t - f->conn_t[cs]));
		f->conn_t[cs] = ev->t;
		f->conn_ph[cs] = 2;
		h->tls_seen = true;
		break;
	case EV_CONN_READY:
		if (f->conn_ph[cs] == 1)
			mean_add(&h->dial, (double)(ev->t - f->conn_t[cs]));
		else if (f->conn_ph[cs] == 2)
			mean_add(&h->tls, (double)(ev->t - f->conn_t[cs]));
		f->conn_ph[cs] = 0;
		break;
	case EV_REQ_GOT_CONN:
		f->req_t[ev->req % CAPTURE_FIT_SLOTS] = ev->t;
		break;
	case EV_REQ_DONE:
		on_done(f, h, ev);
		break;
	case EV_REQ_FAILED: {
		struct fit_arrival *a = arrival_of(f, h, ev->req % CAPTURE_FIT_SLOTS);
		if (a)
			a->settled = true;
		f->req_t[ev->req % CAPTURE_FIT_SLOTS] = -1;
		break;
	}
	default:
		break;
	}
}

static void on_event(void *ctx, const struct ps_event *ev)
{
	capture_fit_record(ctx, ev);
}

struct ev_sink capture_fit_sink(struct capture_fit *f)
{
	return (struct ev_sink){.on_event = on_event, .ctx = f};
}

void capture_fit_free(struct capture_fit *f)
{
	for (uint32_t i = 0; f->hosts && i < f->n_hosts; i++)
		free(f->hosts[i].arrivals);
	free(f->hosts);
	free(f->conn_t);
	free(f->conn_ph);
	free(f->req_t);
	free(f->req_at);
	memset(f, 0, sizeof *f);
}
