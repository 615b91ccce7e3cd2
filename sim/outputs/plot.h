/*
 * plot.h: `--plot FILE.svg`: an SVG time chart of a run (open / active /
 * idle / waiting per host, the limits as lines, events marked), drawn from
 * the event stream through the gauges of struct stats.
 */
#ifndef POOLSIM_PLOT_H
#define POOLSIM_PLOT_H

#include <stdio.h>

#include "event.h"
#include "scenario.h"
#include "stats.h"

struct plot;

/* Add plot_sink before stats' own sink: it samples the gauges as they stood. */
struct plot *plot_create(const struct scenario *sc, const struct stats *st);
void plot_destroy(struct plot *p);
struct ev_sink plot_sink(struct plot *p);
int plot_write(const struct plot *p, FILE *out);
int plot_write_file(const struct plot *p, const char *path);
/* Text as XML character data; control bytes and invalid UTF-8 become '?'. */
void plot_xml_text(FILE *out, const char *text);

#endif
