/*
 * view.h: the dashboard's view model: plain data built from the event stream.
 *
 * A struct view is made for one scenario and fed struct ps_event records
 * through view_sink(). It keeps what the screen shows (a cell per connection
 * of each host, counters, the last minute of gauges, an event log in words,
 * the kernel's socket counts in real mode) and nothing the screen does not.
 * It never includes ncurses, never reads a clock and never prints: scenario
 * time comes from the records and from view_tick(). Arrays grow by doubling
 * and the log and the series are rings, so a steady state allocates nothing.
 */
#ifndef POOLSIM_VIEW_H
#define POOLSIM_VIEW_H

#include "counts.h"
#include "event.h"
#include "rules.h"
#include "transport_limits.h"
#include "scenario.h"
#include "timewait.h"

#define VIEW_SERIES_SECONDS 60
#define VIEW_LOG_LINES      200
#define VIEW_LOG_WIDTH      160
/* How long a closed conn stays on screen as `x`, unless view_set_closing_linger says otherwise. */
#define VIEW_CLOSING_LINGER PS_SEC

enum view_cell_state {
	VIEW_CELL_EMPTY,   /* a free position in the host's row */
	VIEW_CELL_DIALING, /* TCP connect under way */
	VIEW_CELL_TLS,     /* TLS handshake under way */
	VIEW_CELL_ACTIVE,  /* held by a request (or just connected) */
	VIEW_CELL_IDLE,    /* in the idle pool */
	VIEW_CELL_CLOSING, /* closed; shown until closing_until, then EMPTY */
};

/* One connection's position in its host's row; it keeps the position for its lifetime. */
struct view_cell {
	uint8_t state;  /* enum view_cell_state */
	uint8_t reason; /* CLOSING: enum ev_reason */
	bool tls;
	bool leaked; /* held by a body nobody will close (B1) */
	bool h2;     /* an HTTP/2 conn: a record of it carried EVF_H2 */
	uint32_t conn_id;
	uint32_t streams;      /* HTTP/2: its active streams, from the records' counts (H5, H6) */
	uint32_t req;          /* ACTIVE: the request it serves, 0 if none yet */
	ps_time opened;        /* DIAL_START */
	ps_time since;         /* entered its current state */
	ps_time idle_deadline; /* IDLE: when IdleConnTimeout fires, PS_TIME_NEVER if never */
	ps_time idle_total;    /* idle time of earlier idle stretches */
	ps_time closing_until;
	int64_t served; /* requests that got this conn */
};

/* Real mode: the kernel's own counts of this host's sockets (or of all of them). */
struct view_kernel {
	bool present;
	int64_t established, time_wait, fds;
};

/* One second of the time chart: the most seen during that second. */
struct view_sample {
	int32_t open, active, idle, waiting;
};

struct view_host {
	const char *name;
	bool tls;
	bool h2; /* its conns speak HTTP/2 (H1: scenario_host_speaks_h2) */
	int64_t
	    max_streams; /* h2: the server's SETTINGS_MAX_CONCURRENT_STREAMS, each conn's limit */
	struct view_cell *cells; /* n_cells positions, EMPTY ones included */
	size_t n_cells;
	uint32_t cap_cells;
	size_t free_hint;    /* no EMPTY position below this */
	uint32_t *slot_cell; /* conn slot -> position, PS_NONE if the slot is not here */
	uint32_t cap_slots;
	struct view_kernel kernel;
	struct view_sample *series; /* VIEW_SERIES_SECONDS, a ring indexed by second % 60 */
	bool own_transports; /* a load builds a Transport per request: each idle conn in its own */
};

struct view_closing {
	uint32_t host, cell;
	ps_time until;
};

struct view {
	const struct scenario *sc;
	struct transport_limits limits; /* as the pool applies them (core/transport_limits.h) */
	struct view_host *hosts;
	uint32_t n_hosts;
	struct counter count; /* the counts and gauges, as the summary keeps them (core/counts.h) */
	struct timewait ports; /* TIME_WAIT and ports in use, as the summary keeps them */
	struct view_kernel kernel;
	struct view_sample *series; /* the total, like view_host.series */
	int64_t series_second;      /* the second the newest sample covers; -1 before any */
	ps_time now;                /* the latest scenario time seen */
	bool ended;                 /* EV_RUN_END seen */
	enum run_stop stopped;      /* why it ended (RUN_COMPLETE: it ran its course) */
	uint64_t changes;           /* bumped by every record and tick that changed something */
	uint64_t events;            /* records consumed */
	ps_time closing_linger;
	struct view_closing *closing; /* FIFO of CLOSING cells, by closing_until */
	size_t closing_cap, closing_head, closing_count;
	char (*log)[VIEW_LOG_WIDTH]; /* VIEW_LOG_LINES ring */
	size_t log_head, log_count;
	uint64_t log_total; /* lines ever written */
	/* Teaching mode: the first firing of each teachable rule (core/rules.h) waits here. */
	bool teach, teach_pending;
	struct rule_tracker taught;
	char teach_text[400];
	ps_time teach_at;
};

/* The scenario must outlive the view. NULL if out of memory. */
struct view *view_create(const struct scenario *sc);
void view_destroy(struct view *v);
struct ev_sink view_sink(struct view *v);
void view_on_event(void *ctx, const struct ps_event *ev);
/* Scenario time moved on without a record: expire `x` cells, fill the chart. */
void view_tick(struct view *v, ps_time now);
void view_set_closing_linger(struct view *v, ps_time linger);
/*
 * Teaching mode: with it on, the first record of each teachable rule (and
 * each scenario [event]) leaves its explanation (ev_rule_teach_text) in
 * teach_text and view_teach_pending() true until view_teach_done(); the
 * driver stops feeding records meanwhile, so the screen holds that moment.
 */
void view_set_teach(struct view *v, bool on);
bool view_teach_pending(const struct view *v);
void view_teach_done(struct view *v);

const struct view_host *view_host(const struct view *v, uint32_t host);
const struct view_cell *view_host_cells(const struct view *v, uint32_t host, size_t *n);
/* Counters of one host, or of the total with host == PS_NONE. */
const struct counts *view_counts(const struct view *v, uint32_t host);
const struct view_kernel *view_kernel(const struct view *v, uint32_t host);
/*
 * The client's sockets in TIME_WAIT at the view's time, and its ephemeral
 * ports in use (open + TIME_WAIT), of one host or of all (PS_NONE): the
 * --json summary's counting (core/timewait.h) over the same records.
 */
int64_t view_time_wait(const struct view *v, uint32_t host);
int64_t view_ports(const struct view *v, uint32_t host);
/* Ports a destination may use (the scenario's ephemeral range); TIME_WAIT's hold. */
int64_t view_port_range(const struct view *v);
ps_time view_time_wait_hold(const struct view *v);

/* The log: i = 0 is the oldest line kept, view_log_count() - 1 the newest. */
size_t view_log_count(const struct view *v);
const char *view_log_line(const struct view *v, size_t i);

/*
 * view_sample_at: the sample of `ago` seconds before the newest one (0 = the
 * current second), for a host or the total (PS_NONE). False where the run
 * had not started yet, or ago >= VIEW_SERIES_SECONDS.
 */
bool view_sample_at(const struct view *v, uint32_t host, int ago, struct view_sample *out);

/*
 * view_cell_glyph: the character of a cell: dialing `.`/`◌`, TLS `~`, active
 * `#`/`●`, leaked `!`, idle the seconds left before IdleConnTimeout (1-9) or `o`,
 * closing `x`, empty ` `. A static string, UTF-8 only when `utf8`.
 */
const char *view_cell_glyph(const struct view_cell *c, ps_time now, bool utf8);

/*
 * view_cell_streams_text: an HTTP/2 conn's streams against its server's limit,
 * "3/250", or "-" for an HTTP/1.1 conn or a closed one. The limit is the
 * host's max_concurrent_streams, as the server announces it in its SETTINGS
 * (docs/model.md, "HTTP/2": a conn applies it from the moment it is ready).
 * Writes buf, returns it.
 */
char *view_cell_streams_text(const struct view *v, uint32_t host, const struct view_cell *c,
                             char *buf, size_t size);

/* An effective limit in words: the number, or "none" for LIMIT_NONE. Writes buf, returns it. */
char *view_limit_text(int64_t limit, char *buf, size_t size);

#endif
