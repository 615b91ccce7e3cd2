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

/*
 * A scheduled event's handle: its slot plus one in the low DES_SLOT_BITS, the low
 * DES_GEN_BITS of the slot's generation above. 0 = none. 32 bits, not 64: 8 bytes less in
 * each of a request's, a conn_side's and a wire's two timers (docs/performance.md). The
 * generation wraps after 2^DES_GEN_BITS reuses of a slot, so a handle must not outlive its
 * event: every holder clears its handle when its event runs, and des_cancel clears it too.
 * A cancel of a handle whose event is gone is a holder that did not: it cancels nothing
 * unless the slot was reused a multiple of 2^DES_GEN_BITS times since, and
 * des_stale_cancels counts it (the POOLSIM_DEBUG build and the unit tests require none).
 */
typedef uint32_t des_timer;
#define DES_NO_TIMER  ((des_timer)0)
#define DES_SLOT_BITS 25
#define DES_GEN_BITS  (32 - DES_SLOT_BITS)
/* Slots below this many events pending at once (des aborts past it: a lost event would
 * silently change the run). */
#define DES_MAX_PENDING ((1u << DES_SLOT_BITS) - 1)

typedef void (*des_handler)(void *ctx, uint32_t a, uint32_t b);

struct des;

struct des *des_create(void);
void des_destroy(struct des *d);

/* The handler for events of `type`; ctx is passed back to it. */
void des_on(struct des *d, unsigned type, des_handler fn, void *ctx);

/* Schedule at `at` (clamped to now if in the past). Returns a handle for des_cancel. */
des_timer des_schedule(struct des *d, ps_time at, unsigned type, uint32_t a, uint32_t b);

/* Cancel and clear *timer; false if there was none (DES_NO_TIMER) or it was stale (its event
 * already ran or was cancelled: counted, see des_timer). */
bool des_cancel(struct des *d, des_timer *timer);
/* Cancels of a stale handle so far: 0 when every holder clears its handle as it should. */
uint64_t des_stale_cancels(const struct des *d);
/* Abort with a message if there were any: the debug build's check at the end of a run (not in
 * des_destroy: the unit tests make stale cancels on purpose). NULL: nothing. */
void des_abort_on_stale_cancels(const struct des *d);

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
