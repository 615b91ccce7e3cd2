/*
 * capture_fit.h: what a capture's records tell of its traffic, per host: each
 * request's start and its own service time (got_conn to req_done), and the
 * dial, TLS and service times measured. `poolsim import CAPTURE` writes them
 * as a scenario; `poolsim watch --attach --compare-sim` replays them live.
 * Records are fed one at a time, in the capture's order; hosts may be added
 * as the capture declares them.
 */
#ifndef POOLSIM_CAPTURE_FIT_H
#define POOLSIM_CAPTURE_FIT_H

#include "event.h"

struct fit_mean {
	double sum, sum_sq;
	int64_t n;
};

struct fit_arrival {
	ps_time start;
	ps_time service; /* -1: not measured (the request failed, or has not ended yet) */
	bool settled;    /* its req_done or req_failed was read */
};

struct fit_host {
	struct fit_mean dial, tls, service;
	double service_min;
	bool tls_seen;
	struct fit_arrival *arrivals;
	int64_t n_arrivals, cap;
};

struct capture_fit {
	struct fit_host *hosts;
	uint32_t n_hosts;
	ps_time *conn_t;  /* per conn slot: dial_start, then tls_start */
	uint8_t *conn_ph; /* 0 none, 1 dialing, 2 in TLS */
	ps_time *req_t;   /* per request slot: got_conn */
	int64_t *req_at;  /* per request slot: its arrival's index in its host's list */
	int64_t arrivals;
	bool out_of_memory;
};

/* capture_fit_init: room for `n_hosts` hosts. 0, or -1 out of memory. */
int capture_fit_init(struct capture_fit *f, uint32_t n_hosts);
/* capture_fit_hosts: room for `n_hosts` (more) hosts. 0, or -1 out of memory. */
int capture_fit_hosts(struct capture_fit *f, uint32_t n_hosts);
/* capture_fit_record: one record; a record of an unknown host is ignored. */
void capture_fit_record(struct capture_fit *f, const struct ps_event *ev);
/* capture_fit_sink: capture_fit_record as an ev_sink. */
struct ev_sink capture_fit_sink(struct capture_fit *f);
double fit_mean_of(const struct fit_mean *m);
void capture_fit_free(struct capture_fit *f);

#endif
