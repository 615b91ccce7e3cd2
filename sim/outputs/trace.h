/*
 * trace.h: sinks that print the event stream: `--trace` (one line per
 * record, in words) and `--csv FILE` (gauges sampled every `--sample`).
 * Both are deterministic: they print nothing that is not in the records.
 */
#ifndef POOLSIM_TRACE_H
#define POOLSIM_TRACE_H

#include <stdio.h>

#include "event.h"
#include "rules.h"
#include "scenario.h"
#include "stats.h"

struct trace {
	const struct scenario *sc;
	FILE *out;
	/* --teach: after the first record of each teachable rule (and each [event]), its
	 * explanation (core/rules.h), every line starting with TRACE_TEACH_MARK. */
	bool teach;
	struct rule_tracker taught;
};

#define TRACE_TEACH_MARK "  >> "

struct ev_sink trace_sink(struct trace *t);
/* One record as a trace line (no newline) into buf; returns buf. */
char *trace_format(const struct scenario *sc, const struct ps_event *ev, char *buf, size_t size);

/* The CSV sampler reads the gauges of `st`; add it to the stream BEFORE st's own sink. */
struct csv {
	const struct stats *st;
	FILE *out;
	ps_time interval;
	ps_time next;
	double time_scale_back;
};

void csv_init(struct csv *c, const struct stats *st, FILE *out, ps_time interval);
struct ev_sink csv_sink(struct csv *c);

#endif
