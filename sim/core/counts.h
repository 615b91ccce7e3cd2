/*
 * counts.h: the counts of a run, kept from the event stream alone: the one
 * home of every number the `--json` summary (outputs/stats.c), the CSV, the
 * SVG and the dashboard (dashboard/view.c) show, so no two of them can
 * disagree. Feed every record to counter_on_event.
 *
 * A conn slot's state (dialing, TLS, ready, active, idle) is kept so each
 * record moves exactly one gauge; everything else is a counter. `ready` is no
 * gauge: a conn whose dial just finished is open but neither dialing, active
 * nor idle until the pool hands it to a request or puts it idle.
 * Counts follow the summary's contract (scenario-format.md): `reused` counts
 * GotConn with a reused conn, taken back when that attempt is retried (S3);
 * `dial_failures` are conns closed before their dial (or TLS) finished;
 * `leaked` is the conns held by a leaked body now; `unfinished` is set by
 * EV_RUN_END.
 */
#ifndef POOLSIM_COUNTS_H
#define POOLSIM_COUNTS_H

#include "event.h"

/*
 * The counts of one host, or of the whole run. What every request moves comes
 * first (its start, its conn, its end, the conn going idle: the first cache
 * line; a dial and a close: the second), so a record touches one or two lines
 * of its host; 32 fields, four lines, a host's counts aligned to a line.
 */
struct counts {
	int64_t requests, ok, reused, active, idle, waiting, peak_active, peak_idle;
	int64_t open, dialing, dials, closed, peak_open, peak_waiting, failed, retries;
	int64_t closes[R_CLOSE_CATEGORY_COUNT];
	int64_t unfinished, dial_failures, tls_handshakes, permit_waits, leaked, streams,
	    peak_streams;
	int64_t spare; /* fills the fourth line */
};

struct counter {
	uint32_t n_hosts;
	struct counts total;
	struct counts *hosts;             /* n_hosts, each aligned to a cache line */
	struct counts nowhere;            /* what a record of a host out of range moves besides the
	                                     total; never read */
	int64_t failures[R_REASON_COUNT]; /* failed requests by reason */
	uint8_t *conn_state;              /* by conn slot */
	uint32_t cap_conns;
};

/* counter_init: 0, or -1 when out of memory (then nothing to free). */
int counter_init(struct counter *c, uint32_t n_hosts);
void counter_free(struct counter *c);
void counter_on_event(struct counter *c, const struct ps_event *ev);
/* The counts of `host`, or of the whole run for PS_NONE (or any host out of range). */
const struct counts *counter_counts(const struct counter *c, uint32_t host);

#endif
