/*
 * real.h: real mode as one object: the loopback servers (server.c), the real
 * network (realnet.c) and the shared client (client.c) on a des clock driven
 * by the monotonic clock. The same step API as sim.h, so the CLI and the
 * dashboard drive either one alike. Records are in scenario time.
 */
#ifndef POOLSIM_REAL_H
#define POOLSIM_REAL_H

#include "event.h"
#include "scenario.h"

struct real;

/*
 * real_create: starts the servers. `time_scale` multiplies every duration of
 * the scenario as the run happens (0.01 = a hundred times faster); records
 * and reports stay in scenario time. Raises the soft descriptor limit to the
 * hard one first. NULL with *err = errno-style code on failure.
 */
struct real *real_create(const struct scenario *sc, double time_scale, int *err);
void real_destroy(struct real *r);
int real_add_sink(struct real *r, struct ev_sink sink);
void real_set_check_invariants(struct real *r, bool on);
/* Scenario time 0 is now; with kernel_samples, the kernel's counts too (realnet.h). 0 or -errno. */
int real_start(struct real *r, bool kernel_samples);
/* Run until scenario time `limit` (1), the end of the run (0), or an error (-errno). */
int real_run_until(struct real *r, ps_time limit);
/* real_stop: end the run now, at the wall clock's scenario time (EV_RUN_END with `why`);
 * real_stopped: why it ended early (RUN_COMPLETE if it did not). */
void real_stop(struct real *r, enum run_stop why);
enum run_stop real_stopped(const struct real *r);
ps_time real_now(const struct real *r);
/* Hold scenario time: no new request starts, in-flight ones finish (realnet_pause). */
void real_pause(struct real *r, bool paused);
bool real_finished(const struct real *r);
/* Schedule lag in wall milliseconds: how late scheduled requests started (q-quantile; 1 = max). */
double real_schedule_lag_ms(const struct real *r, double q);
/* The descriptor limit in force (after raising it). */
long real_fd_limit(const struct real *r);

#endif
