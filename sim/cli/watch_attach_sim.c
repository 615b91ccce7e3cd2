/*
 * watch_attach_sim.c: the simulator replaying a live Go program's requests
 * (watch_attach_sim.h).
 */
#include "watch_attach_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_fit.h"
#include "replay.h"
#include "sim.h"

/* After the stream ends, the sim runs this far past its last record, so the requests in flight
 * finish (a response slower than this is cut off and counts as unfinished). */
#define ATTACH_SIM_RUN_OUT (10 * PS_SEC)

struct attach_sim {
	struct capture_fit fit;
	bool fit_ready;
	struct scenario
	    sc; /* the capture's hosts (own copies) and Transport, a live load per host */
	struct sim *sim;
	struct view *view;
	int64_t *fed;    /* per host: arrivals fed so far */
	ps_time *fed_at; /* per host: the start of the last one fed */
	bool changed, ran_out;
};

struct attach_sim *attach_sim_create(void)
{
	struct attach_sim *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (capture_fit_init(&s->fit, 0)) {
		capture_fit_free(&s->fit);
		free(s);
		return NULL;
	}
	s->changed = true;
	return s;
}

static void drop_sim(struct attach_sim *s)
{
	sim_destroy(s->sim);
	view_destroy(s->view);
	s->sim = NULL;
	s->view = NULL;
	free(s->sc.hosts);
	free(s->sc.loads);
	free(s->fed);
	free(s->fed_at);
	s->sc.hosts = NULL;
	s->sc.loads = NULL;
	s->fed = NULL;
	s->fed_at = NULL;
}

void attach_sim_destroy(struct attach_sim *s)
{
	if (!s)
		return;
	drop_sim(s);
	capture_fit_free(&s->fit);
	free(s);
}

void attach_sim_record(struct attach_sim *s, const struct ps_event *ev)
{
	capture_fit_record(&s->fit, ev);
}

int attach_sim_changed(struct attach_sim *s, uint32_t n_hosts)
{
	s->changed = true;
	return capture_fit_hosts(&s->fit, n_hosts);
}

/* build: a fresh sim on the capture's scenario, a live replay load per host. */
static int build(struct attach_sim *s, const struct scenario *csc)
{
	drop_sim(s);
	uint32_t n = csc->n_hosts;
	if (capture_fit_hosts(&s->fit, n))
		return -1;
	s->sc = *csc;
	s->sc.hosts = calloc(n ? n : 1, sizeof *s->sc.hosts);
	s->sc.loads = calloc(n ? n : 1, sizeof *s->sc.loads);
	s->fed = calloc(n ? n : 1, sizeof *s->fed);
	s->fed_at = calloc(n ? n : 1, sizeof *s->fed_at);
	s->sc.n_loads = n;
	s->sc.actions = NULL;
	s->sc.n_actions = 0;
	if (!s->sc.hosts || !s->sc.loads || !s->fed || !s->fed_at)
		return -1;
	memcpy(s->sc.hosts, csc->hosts, n * sizeof *s->sc.hosts);
	for (uint32_t i = 0; i < n; i++) {
		struct load_spec *l = &s->sc.loads[i];
		snprintf(l->name, sizeof l->name, "h%u", i);
		l->host = i;
		l->kind = LOAD_REPLAY;
		l->replay = NULL; /* live: fed by attach_sim_advance */
		l->replay_speed = 1;
		l->stop = s->sc.duration;
	}
	s->view = view_create(&s->sc);
	s->sim = s->view ? sim_create(&s->sc) : NULL;
	if (!s->sim || sim_add_sink(s->sim, view_sink(s->view)) < 0)
		return -1;
	view_set_closing_linger(s->view, PS_SEC);
	sim_start(s->sim);
	s->changed = false;
	s->ran_out = false;
	return 0;
}

/* measured: each host's dial and TLS times, the means of the capture so far (simnet reads
 * them at each dial). */
static void measured(struct attach_sim *s)
{
	for (uint32_t i = 0; i < s->sc.n_hosts; i++) {
		const struct fit_host *h = &s->fit.hosts[i];
		if (h->dial.n)
			s->sc.hosts[i].dial_latency = (ps_time)(fit_mean_of(&h->dial) + 0.5);
		if (h->tls.n)
			s->sc.hosts[i].tls_latency = (ps_time)(fit_mean_of(&h->tls) + 0.5);
	}
}

/* feed: every host's arrivals in order while their end is known (all, once `ended`); returns
 * the start of the earliest one still waiting for its end, or PS_TIME_NEVER. */
static ps_time feed(struct attach_sim *s, bool ended)
{
	ps_time waiting = PS_TIME_NEVER;
	for (uint32_t i = 0; i < s->sc.n_hosts; i++) {
		const struct fit_host *h = &s->fit.hosts[i];
		while (s->fed[i] < h->n_arrivals) {
			const struct fit_arrival *a = &h->arrivals[s->fed[i]];
			if (!a->settled && !ended) {
				if (a->start < waiting)
					waiting = a->start;
				break;
			}
			ps_time service = a->service >= 0 ? a->service
			                  : h->service.n ? (ps_time)(fit_mean_of(&h->service) + 0.5)
			                                 : REPLAY_NONE;
			/* A record a little out of order (the probe's goroutines race to write)
			 * starts when the sim can still start it: now, or after the last one. */
			ps_time at = a->start;
			if (at < sim_now(s->sim))
				at = sim_now(s->sim);
			if (at < s->fed_at[i])
				at = s->fed_at[i];
			s->fed_at[i] = at;
			struct replay_row row = {at, service, REPLAY_NONE, 0};
			sim_feed_row(s->sim, i,
			             &row); /* -1 only past the duration or out of memory */
			s->fed[i]++;
		}
	}
	return waiting;
}

int attach_sim_advance(struct attach_sim *s, const struct scenario *csc, ps_time now, bool ended)
{
	if (s->fit.out_of_memory)
		return -1;
	if ((s->changed || !s->sim) && build(s, csc) < 0)
		return -1;
	if (s->ran_out)
		return 0;
	measured(s);
	ps_time waiting = feed(s, ended);
	ps_time limit = waiting != PS_TIME_NEVER && waiting - 1 < now ? waiting - 1 : now;
	if (ended) {
		sim_run_until(s->sim, ps_time_add(now, ATTACH_SIM_RUN_OUT));
		if (!sim_finished(s->sim))
			sim_stop(s->sim, RUN_COMPLETE);
		s->ran_out = true;
	} else if (limit >= 0) {
		sim_run_until(s->sim, limit);
	}
	return 0;
}

struct view *attach_sim_view(const struct attach_sim *s)
{
	return s->view;
}

ps_time attach_sim_now(const struct attach_sim *s)
{
	return s->sim ? sim_now(s->sim) : 0;
}
