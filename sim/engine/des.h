/*
 * des.h: the event queue and virtual clock shared by the simulator and the
 * real engine's timers.
 *
 * Events are ordered by (time, seq): seq is drawn from a counter when the
 * event is scheduled, so events due at the same instant run in the order they
 * were scheduled (libuv's start_id). That total order is what makes a trace
 * byte-identical from run to run. The queue is a calendar queue of slots
 * (core/calendar.h: O(1) on average per schedule, step or cancel, whatever
 * the number pending); cancel unlinks and never leaves a tombstone; slots
 * come from a free list, so a steady state allocates nothing. des knows nothing of HTTP: an event
 * is a type and two integers, dispatched to the handler registered for that type.
 */
#ifndef POOLSIM_DES_H
#define POOLSIM_DES_H

#include "common.h"

#define DES_MAX_TYPES 32

/* A scheduled event's handle: slot in the low 32 bits, generation above. 0 = none. */
typedef uint64_t des_timer;
#define DES_NO_TIMER ((des_timer)0)

typedef void (*des_handler)(void *ctx, uint32_t a, uint32_t b);

struct des;

struct des *des_create(void);
void des_destroy(struct des *d);

/* The handler for events of `type`; ctx is passed back to it. */
void des_on(struct des *d, unsigned type, des_handler fn, void *ctx);

/* Schedule at `at` (clamped to now if in the past). Returns a handle for des_cancel. */
des_timer des_schedule(struct des *d, ps_time at, unsigned type, uint32_t a, uint32_t b);

/* Cancel; false if it already ran or was cancelled (a stale handle is harmless). */
bool des_cancel(struct des *d, des_timer *timer);

ps_time des_now(const struct des *d);
/* The real engine sets the clock from its own reading before dispatching. */
void des_set_now(struct des *d, ps_time now);
/* The time of the earliest pending event, PS_TIME_NEVER if none. */
ps_time des_next_time(const struct des *d);
size_t des_pending(const struct des *d);
/* The type of the earliest pending event (DES_MAX_TYPES if none). */
unsigned des_next_type(const struct des *d);

/*
 * des_step: if the earliest event is due at or before `limit`, advance the
 * clock to its time (never backwards), remove it and run its handler; true.
 * Otherwise false and nothing changes.
 */
bool des_step(struct des *d, ps_time limit);

/*
 * Events run since the clock last moved forward. A run whose clock does not
 * move for DES_STALL_STEPS events has stopped making progress (a loop at one
 * instant the scenario reader did not foresee): the drivers end it as
 * RUN_NO_PROGRESS. No valid run comes close: at most CLIENT_MAX_LIVE requests
 * can start at one instant, each a handful of events.
 */
#define DES_STALL_STEPS (64u << 20)
uint64_t des_steps_at_now(const struct des *d);

#endif
