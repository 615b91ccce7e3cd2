/*
 * outputs.h: the sinks a command line asks for (summary stats, --trace,
 * --csv, --plot), attached to any run, simulated or real, through its
 * add-sink function. Shared by `run`, `real` and `compare`.
 */
#ifndef POOLSIM_OUTPUTS_H
#define POOLSIM_OUTPUTS_H

#include <stdio.h>

#include "cli.h"
#include "events.h"
#include "plot.h"
#include "stats.h"
#include "trace.h"

struct outputs {
	struct stats st;
	struct trace trace;
	struct csv csv;
	FILE *csv_file;
	struct plot *plot;
	FILE *plot_file; /* opened before the run, written at close */
	struct events_out events;
	FILE *events_file; /* --events */
};

/* --csv writes at most this many samples per host (about 40 MB for one host). */
#define OUTPUTS_MAX_SAMPLES 1000000

typedef int (*outputs_add_sink)(void *run, struct ev_sink sink);

/* outputs_open: 0, or an exit status after printing what went wrong. */
int outputs_open(struct outputs *out, const struct cli_opts *o, const struct scenario *sc,
                 const char *mode, outputs_add_sink add, void *run);
/* outputs_close: writes the plot, closes files; 0 or an exit status. */
int outputs_close(struct outputs *out, const struct cli_opts *o);
/*
 * outputs_report_stop: when the run ended early, say so on stderr (what was hit,
 * when) and return the exit status it means: 128 + `signal` when interrupted, 1
 * at a limit (live requests, no progress), 0 when it ran its course.
 */
int outputs_report_stop(const struct outputs *out, const char *command, int signal);
/* The summary as --json or text. */
void outputs_print_summary(const struct outputs *out, const struct cli_opts *o);

#endif
