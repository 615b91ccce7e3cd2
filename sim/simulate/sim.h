/*
 * sim.h: the discrete-event simulator: a scenario, the virtual clock, the
 * simulated network (simnet.c) and the shared client (client.c), run to the
 * scenario's duration or stepped by a caller such as the dashboard.
 *
 * Every record of the run goes to the sinks added before sim_start.
 */
#ifndef POOLSIM_SIM_H
#define POOLSIM_SIM_H

#include "event.h"
#include "scenario.h"

struct sim;

/* The scenario must outlive the sim. NULL if out of memory. */
struct sim *sim_create(const struct scenario *sc);
void sim_destroy(struct sim *s);
int sim_add_sink(struct sim *s, struct ev_sink sink);
/* Check the pool's invariants after every record (aborts with a message on a break). */
void sim_set_check_invariants(struct sim *s, bool on);
void sim_start(struct sim *s);
/* Run every event due at or before `limit` (scenario time). False once the run has ended. */
bool sim_run_until(struct sim *s, ps_time limit);
/* sim_run_some: at most `max_events` of the events due by `limit`, so a caller can look at
 * the keyboard or signals between calls. True while events due by `limit` remain. */
bool sim_run_some(struct sim *s, ps_time limit, uint32_t max_events);
/* sim_stop: end the run now (EV_RUN_END with `why`); sim_stopped: why it ended early
 * (RUN_COMPLETE if it did not). */
void sim_stop(struct sim *s, enum run_stop why);
enum run_stop sim_stopped(const struct sim *s);
/* sim_feed_row: a row for a live replay load (client_feed_row, client.h): a request of `load`
 * starting at row->start. 0, or -1. */
struct replay_row;
int sim_feed_row(struct sim *s, uint32_t load, const struct replay_row *row);
/* Run exactly one event. False once the run has ended. */
bool sim_step(struct sim *s);
/* Run to the end. */
void sim_run(struct sim *s);
ps_time sim_now(const struct sim *s);
/* The time of the next event (PS_TIME_NEVER when finished). */
ps_time sim_next_time(const struct sim *s);
bool sim_finished(const struct sim *s);
/* The run ended early: it would have held more than CLIENT_MAX_LIVE requests and conns at once. */
bool sim_overflowed(const struct sim *s);
/* Cancels of a timer handle whose event had already run or been cancelled (des_stale_cancels):
 * 0 unless a holder kept its handle past its event. The POOLSIM_DEBUG build aborts at the end
 * of a run that had any. */
uint64_t sim_stale_cancels(const struct sim *s);

#endif
