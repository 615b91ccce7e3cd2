/*
 * watch_attach_sim.h: the simulator beside a live Go program
 * (`poolsim watch --attach SOCKET --compare-sim`). It replays the program's
 * requests as the probe reports them: each req_start becomes a request of a
 * live replay load (client_feed_row) started at the same instant of the
 * simulator's clock, with the request's own service time measured in the
 * capture (capture_fit.h, as `poolsim import` does), on the hosts and the
 * Transport settings the probe reported, each host's dial and TLS times the
 * means measured so far. A request is fed once its end was read (its service
 * time is known then), so the simulator runs behind the program by the
 * longest request in flight; when the stream ends, the rest is fed and run out.
 */
#ifndef POOLSIM_WATCH_ATTACH_SIM_H
#define POOLSIM_WATCH_ATTACH_SIM_H

#include "event.h"
#include "scenario.h"
#include "view.h"

struct attach_sim;

struct attach_sim *attach_sim_create(void);
void attach_sim_destroy(struct attach_sim *s);
/* attach_sim_record: a record of the program's stream (the sim is fed on the next advance). */
void attach_sim_record(struct attach_sim *s, const struct ps_event *ev);
/* attach_sim_changed: the capture declared a host (it now has `n_hosts`) or its Transport:
 * the sim is rebuilt from the arrivals so far on the next advance. 0, or -1 out of memory. */
int attach_sim_changed(struct attach_sim *s, uint32_t n_hosts);
/* attach_sim_advance: feed what is settled and run up to the program's clock `now` (the last
 * record's time); `ended`: the stream ended, so everything is fed and run out. 0, or -1 (out
 * of memory). */
int attach_sim_advance(struct attach_sim *s, const struct scenario *capture_sc, ps_time now,
                       bool ended);
/* attach_sim_view: the sim pane's view (NULL before the first advance). */
struct view *attach_sim_view(const struct attach_sim *s);
ps_time attach_sim_now(const struct attach_sim *s);

#endif
