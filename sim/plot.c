/* plot.c: placeholder */
#include "plot.h"
#include <stdlib.h>
struct plot { int unused; };
struct plot *plot_create(const struct scenario *sc, const struct stats *st) { return calloc(1, sizeof(struct plot)); }
void plot_destroy(struct plot *p) { free(p); }
static void on_event(void *ctx, const struct ps_event *ev) {}
struct ev_sink plot_sink(struct plot *p) { return (struct ev_sink){.on_event = on_event, .ctx = p}; }
int plot_write(const struct plot *p, FILE *out) { return 0; }
int plot_write_file(const struct plot *p, const char *path) { return 0; }
