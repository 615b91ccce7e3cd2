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
 * host's service time. The scenario reader reads the whole file once to check it (every
 * problem as FILE:LINE: message) and count its rows; the client reads it
 * again, row by row, as the run reaches each one.
 */
#ifndef POOLSIM_REPLAY_H
#define POOLSIM_REPLAY_H

#include <stdio.h>

#include "common.h"

#define REPLAY_NONE (-1) /* a row without its own service or body */

struct replay_row {
	ps_time start;   /* from the replay's start, before replay_speed */
	ps_time service; /* REPLAY_NONE: the host's service_time */
	int body;        /* enum body_mode, or REPLAY_NONE: the load's body */
	int line;
};

struct replay_file;

/* replay_open: the file and its header; NULL with "FILE:LINE: message" in err. */
struct replay_file *replay_open(const char *path, char *err, size_t err_size);
/* replay_next: 1 and the next row, 0 at the end, -1 with "FILE:LINE: message" in err. */
int replay_next(struct replay_file *f, struct replay_row *row, char *err, size_t err_size);
void replay_close(struct replay_file *f);
/* replay_scan: read the whole file to check it; its rows and last start, or -1 with err. */
int replay_scan(const char *path, int64_t *rows, ps_time *last, char *err, size_t err_size);

#endif
