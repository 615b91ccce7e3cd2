/*
 * replay.h: the rows of a replay load (`[load NAME] replay = FILE`), read one
 * at a time, so a file of any size streams in fixed memory.
 *
 * The file is CSV with a header line naming its columns: `start` (seconds
 * from the start as a decimal, or an RFC 3339 timestamp, then taken from the
 * first row's), and optionally `service` (a duration: the row's own service
 * time) and `body` (close, early_close or leak); other columns are ignored.
 * Fields are separated by commas, without quoting. Rows must not go back in
 * time. A file whose first line is the header of poolsim's JSON-lines event
 * records (docs/format.md: `poolsim run --events`, a probe's capture) is read
 * as such instead: each `req_start` record is a row at its `t`, with the
 * host's service time. An nginx access log (replay_format = nginx, with the
 * positions of its fields: nginx_log.h) is a row per line, at $msec minus
 * the request time, served in the request time; its lines are in end order,
 * so they pass through a reorder window (a min-heap by start) that releases
 * a row once the log's latest $msec is past its start plus the window: the
 * largest request time seen, at least replay_window (60 s unless set);
 * memory holds the requests of one such window. The
 * scenario reader reads the whole file once to check it (every problem as
 * FILE:LINE: message) and count its rows; the client reads it again, row by
 * row, as the run reaches each one.
 */
#ifndef POOLSIM_REPLAY_H
#define POOLSIM_REPLAY_H

#include <stdio.h>

#include "common.h"
#include "nginx_log.h"

#define REPLAY_NONE           (-1)          /* a row without its own service or body */
#define REPLAY_WINDOW_DEFAULT (60 * PS_SEC) /* replay_window */

struct replay_row {
	ps_time start;   /* from the replay's start, before replay_speed */
	ps_time service; /* REPLAY_NONE: the host's service_time */
	int body;        /* enum body_mode, or REPLAY_NONE: the load's body */
	int line;
};

enum replay_format { REPLAY_DETECT, REPLAY_CSV, REPLAY_NGINX, REPLAY_EVENTS };

/* How to read the file: `replay_format`, and for nginx `replay_fields` or
 * `replay_log_format` and `replay_upstream`. */
struct replay_options {
	enum replay_format format; /* REPLAY_DETECT: events by their header, else CSV */
	struct nginx_positions fields;
	char upstream[128]; /* nginx with a host field: only this host's lines; "" = all */
	ps_time window;     /* nginx: the reorder window's least span (replay_window) */
};

extern const char *const replay_format_names[4]; /* "detect", "csv", "nginx", "events" */

struct replay_file;

/* replay_open: the file and its header; NULL with "FILE:LINE: message" in err. */
struct replay_file *replay_open(const char *path, const struct replay_options *opt, char *err,
                                size_t err_size);
/* replay_next: 1 and the next row, 0 at the end, -1 with "FILE:LINE: message" in err. */
int replay_next(struct replay_file *f, struct replay_row *row, char *err, size_t err_size);
void replay_close(struct replay_file *f);
/* replay_scan: read the whole file to check it; its rows and last start, or -1 with err. */
int replay_scan(const char *path, const struct replay_options *opt, int64_t *rows, ps_time *last,
                char *err, size_t err_size);

#endif
