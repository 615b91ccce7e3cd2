/*
 * events.h: `--events FILE`, the event stream as JSON lines (docs/format.md,
 * "Event records"): a header, the [transport] settings and one record per
 * [host], then one line per struct ps_event, in the form the Go probe writes,
 * so a capture of a real Go program and a poolsim run read alike.
 */
#ifndef POOLSIM_EVENTS_H
#define POOLSIM_EVENTS_H

#include <stdio.h>

#include "event.h"
#include "scenario.h"

struct events_out {
	const struct scenario *sc;
	FILE *out;
};

/* events_begin: the header, transport and host records; `source` is "sim" or "real". */
void events_begin(struct events_out *e, const struct scenario *sc, FILE *out, const char *source);
struct ev_sink events_sink(struct events_out *e);
/* The JSON words of a record's parts, shared with the reader (outputs/capture.c). */
const char *events_flag_name(uint32_t bit);
#define EVENTS_FLAG_BITS 10 /* EVF_REUSED .. EVF_H2_SLOT */

#endif
