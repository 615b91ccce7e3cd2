/*
 * sweep.h: `poolsim sweep`: one scenario run at every combination of the
 * values of one or more --vary keys (and each seed), one row per point.
 *
 * The plan (sweep_plan.c) turns `--vary KEY=V1,V2`, `2..256x2` and
 * `10..100+10` into value lists and numbers the points; the runner
 * (cmd_sweep.c) simulates them on all cores; the report (sweep_report.c)
 * prints the table, CSV or JSON, reads a --goal and picks the cheapest point
 * meeting it, prints its Go code, and merges the JSON of --print-jobs runs;
 * sweep_plot.c draws the trade-off as SVG. A point's numbers depend only on
 * the file, its --set values and the seed, so every output is the same
 * whatever --jobs is.
 */
#ifndef POOLSIM_SWEEP_H
#define POOLSIM_SWEEP_H

#include <stdio.h>

#include "scenario.h"

#define SWEEP_MAX_VARY   8
#define SWEEP_MAX_VALUES 1024
#define SWEEP_MAX_POINTS 100000
#define SWEEP_VALUE_MAX  64

struct sweep_vary {
	char key[200];
	int n;
	char (*values)[SWEEP_VALUE_MAX];
};

struct sweep_plan {
	struct sweep_vary vary[SWEEP_MAX_VARY];
	int n_vary;
	long n_points;
};

/* sweep_add_vary: "KEY=V1,V2,...", "KEY=2..256x2" or "KEY=10..100+10" (mixable: "1,5..20+5").
 * 0, or -1 with a message in err. */
int sweep_add_vary(struct sweep_plan *p, const char *arg, char *err, size_t err_size);
void sweep_plan_free(struct sweep_plan *p);
/* The value of vary key k at point i (0-based; the last --vary changes fastest). */
const char *sweep_value(const struct sweep_plan *p, long i, int k);
/* "KEY=VALUE" of vary key k at point i, into buf. */
char *sweep_assignment(const struct sweep_plan *p, long i, int k, char *buf, size_t size);

/* What one point gave; with several seeds the mean of dials/s and reused, the worst of the rest. */
struct sweep_point {
	bool done;
	int error; /* 0, or the exit status of a point that could not run (its scenario is bad) */
	char message[800]; /* why, when error */
	int64_t requests, failed, dials;
	double duration_s, dials_per_s, reused_share;
	int64_t peak_open, peak_idle, peak_time_wait, peak_ports;
	double wait_p50, wait_p99, lat_p50, lat_p99; /* ms */
	struct transport_config transport;           /* the point's effective Transport */
	ps_time client_timeout;
	int64_t host_peak_open[]; /* n_hosts */
};

/* The results of every point, one stride apart (the flexible member makes the size per scenario).
 */
struct sweep_results {
	char *base;
	size_t stride;
	long n;
	uint32_t n_hosts;
	char (*host_names)[SCENARIO_NAME_MAX];
};

static inline struct sweep_point *sweep_at(const struct sweep_results *r, long i)
{
	return (struct sweep_point *)(r->base + (size_t)i * r->stride);
}

/* A goal: terms such as p99<=50ms, failed=0, all of which a point must meet. */
#define SWEEP_MAX_TERMS 16
struct sweep_goal {
	const char *text;
	int n;
	struct {
		int metric, op;
		double value;
	} terms[SWEEP_MAX_TERMS];
};

/* sweep_parse_goal: 0, or -1 with a message in err. */
int sweep_parse_goal(const char *text, struct sweep_goal *g, char *err, size_t err_size);
bool sweep_meets(const struct sweep_goal *g, const struct sweep_point *pt);
/* The cheapest point meeting g: fewest peak open, then fewest dials; -1 if none. */
long sweep_cheapest(const struct sweep_goal *g, const struct sweep_results *r);

struct sweep_report {
	const char *title, *file;
	const struct sweep_plan *plan;
	const struct sweep_results *res;
	int seeds;
	long first, count; /* the points shown: all, or one with --only */
	const struct sweep_goal *goal;
	long chosen; /* -1 = none */
};

void sweep_print_table(const struct sweep_report *rep, FILE *out);
void sweep_print_csv(const struct sweep_report *rep, FILE *out);
void sweep_print_json(const struct sweep_report *rep, FILE *out);
/* The Go code of a point's Transport (and Client, if it has a Timeout). */
void sweep_print_go(const struct sweep_point *pt, FILE *out);
/* sweep_plot_write: the trade-off chart; 0 or -1 (errno set). */
int sweep_plot_write(const struct sweep_report *rep, const char *path);

/* sweep_merge_dir: the points of every *.json in dir (written by --print-jobs commands).
 * Fills plan, results, title and seeds; 0, or -1 with a message in err. */
int sweep_merge_dir(const char *dir, struct sweep_plan *plan, struct sweep_results *res,
                    char *title, size_t title_size, int *seeds, char *err, size_t err_size);

#endif
