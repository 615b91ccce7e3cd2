/*
 * capture.h: reading event records back (docs/format.md, "Event records"):
 * a capture of a real Go program by the probe, or poolsim's own --events.
 * The first pass learns the hosts and the Transport's settings (a probe
 * meets hosts as the program does, so they may be declared anywhere) and
 * builds a scenario that names them; the second hands every record, as a
 * struct ps_event, to a sink: the same stats, trace and dashboard code as a
 * run. Errors are "FILE:LINE: what is wrong".
 */
#ifndef POOLSIM_CAPTURE_H
#define POOLSIM_CAPTURE_H

#include <stdio.h>

#include "event.h"
#include "scenario.h"

#define CAPTURE_MSG_MAX 512

struct capture {
	const char *path;
	char source[16];    /* the header's "source": probe, sim, real */
	int go_release;     /* the header's "go" (go1.26.8: 126) if poolsim models it, else 0 */
	int64_t dropped;    /* records the writer dropped ("dropped" records) */
	int64_t n_records;  /* event records (not declarations) */
	bool has_transport; /* a transport record was read (else the defaults) */
	ps_time last_t;     /* the last record's time */
	bool ended;         /* a run_end record was read */
	char error[CAPTURE_MSG_MAX];
};

/* capture_scan: pass one; fills *c and *sc (free it with scenario_free). 0, or -1 with
 * c->error set. */
int capture_scan(const char *path, struct capture *c, struct scenario *sc);
/* capture_replay: pass two; every event record to `sink`, then a run_end at the last record's
 * time if the capture has none (a capture cut short). 0, or -1 with c->error set. */
int capture_replay(struct capture *c, const struct scenario *sc, struct ev_sink sink);

/*
 * Read as it comes (a socket, `poolsim watch --attach`): capture_begin gives *sc the defaults
 * and no hosts; capture_line takes one line: declarations go into *sc (*host_added when a
 * host record added one), an event record into *ev (returns 1); 0 for anything else; -1
 * with c->error set.
 */
int capture_begin(struct capture *c, const char *name, struct scenario *sc);
int capture_line(struct capture *c, long line, const char *text, struct scenario *sc,
                 struct ps_event *ev, bool *host_added);

#endif
