/*
 * nginx_log.h: the lines of an nginx access log, shared by `poolsim import LOG
 * --format nginx` and a `replay_format = nginx` load: where $msec, the request
 * time and the upstream sit (given as field numbers, or found in the
 * log_format line), and one line's values.
 *
 * Fields are separated by blanks; a "quoted" or [bracketed] field counts as
 * one. $msec is when nginx wrote the line, i.e. the request's end; the request
 * time is $upstream_response_time when the format has it (a proxy's log: the
 * backend's own time), else $request_time; the host is $upstream_addr or
 * $host. A request started its request time before its $msec.
 */
#ifndef POOLSIM_NGINX_LOG_H
#define POOLSIM_NGINX_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define NGINX_FIELDS_MAX 256

/* 1-based field numbers; 0 = none (host is optional, msec and time are not). */
struct nginx_positions {
	int msec, time, host;
};

struct nginx_request {
	double end, time; /* seconds: $msec, the request time */
	const char *host; /* the host field, inside the line; "" without one */
};

/* nginx_split: cut LINE in place into at most MAX fields; how many. */
int nginx_split(char *line, char **fields, int max);
/*
 * nginx_positions_from_format: the positions in a log_format: either its
 * format string ('$remote_addr - ... $msec $request_time') or the whole
 * directive (log_format NAME [escape=...] '...' '...';). 0, or -1 when it has
 * no $msec or no request time.
 */
int nginx_positions_from_format(const char *log_format, struct nginx_positions *pos);
/* nginx_parse: one line (cut in place) into REQ; 0, or -1 with a message (no FILE:LINE). */
int nginx_parse(char *line, const struct nginx_positions *pos, struct nginx_request *req, char *err,
                size_t size);
/* nginx_number: a finite decimal >= 0, the whole string. */
bool nginx_number(const char *s, double *out);

#endif
