/*
 * outputs.h: the sinks a command line asks for (summary stats, --trace,
 * --csv, --plot), attached to any run, simulated or real, through its
 * add-sink function. Shared by `run`, `real` and `compare`.
 */
#ifndef POOLSIM_OUTPUTS_H
#define POOLSIM_OUTPUTS_H

#include <stdio.h>

#include "cli.h"
#include "plot.h"
#include "stats.h"
#include "trace.h"

struct outputs {
	struct stats st;
	struct trace trace;
	struct csv csv;
	FILE *csv_file;
	struct plot *plot;
};

typedef int (*outputs_add_sink)(void *run, struct ev_sink sink);

/* outputs_open: 0, or an exit status after printing what went wrong. */
int outputs_open(struct outputs *out, const struct cli_opts *o, const struct scenario *sc,
                 const char *mode, outputs_add_sink add, void *run);
/* outputs_close: writes the plot, closes files; 0 or an exit status. */
int outputs_close(struct outputs *out, const struct cli_opts *o);
/* The summary as --json or text. */
void outputs_print_summary(const struct outputs *out, const struct cli_opts *o);

#endif
