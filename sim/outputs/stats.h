/*
 * stats.h: the summary of a run (the `--json` contract), computed from the
 * event stream alone, so sim and real runs are counted by the same code.
 *
 * Attach stats_sink() to a run's stream; read the numbers after EV_RUN_END (the
 * per-host distributions take their last samples then).
 * The counts are core/counts.h's, the same the dashboard's view keeps; this
 * module adds the time distributions, the kernel's and the schedule lag's
 * figures, and prints. Gauges are live at every record, so the CSV sampler
 * and the SVG read them too.
 */
#ifndef POOLSIM_STATS_H
#define POOLSIM_STATS_H

#include <stdio.h>

#include "counts.h"
#include "dist.h"
#include "event.h"
#include "scenario.h"
#include "timewait.h"

/* Percentiles are exact up to this many samples in the totals, and up to the per-host figure. */
#define STATS_EXACT      65536
#define STATS_HOST_EXACT 1024
/*
 * A host's samples wait in a batch of this many and are added together: 2 x n_hosts
 * distributions are scattered over megabytes, so adding each at its record stalls on a miss or
 * two, while a batch fetches the next ones' lines ahead and the misses overlap. Each
 * distribution still takes its samples in the order they came, so every figure is the same.
 */
#define STATS_HOST_BATCH 256

struct stats_host_sample {
	struct time_dist *dist; /* a host's latency or conn wait */
	ps_time v;
};

/* Real mode: how late its scheduled requests started, in wall milliseconds. */
struct stats_lag {
	bool present;
	double p50_ms, p99_ms, max_ms;
};

struct stats_kernel {
	bool present;
	int64_t peak_established, time_wait_end, peak_fds, established_end, fds_end;
};

struct stats {
	const struct scenario *sc;
	const char *mode; /* "sim", "real", "go" */
	struct counter
	    count; /* every count and gauge (core/counts.h): count.total, count.hosts[] */
	ps_time end;
	bool ended;            /* EV_RUN_END arrived: the counts add up */
	enum run_stop stopped; /* why the run ended (EV_RUN_END's flags): JSON "stopped" */
	/* latency of ok requests, and conn wait (GetConn to GotConn), in total and per host */
	struct time_dist latency, conn_wait;
	struct time_dist *host_latency, *host_conn_wait; /* n_hosts each */
	struct timewait ports; /* the client's TIME_WAIT and ephemeral ports (core/timewait.h) */
	struct stats_kernel kernel;
	struct stats_lag lag;
	/* real mode ran with scaled durations: multiply measured times by this to report scenario
	 * time */
	double time_scale_back;
	ps_time *asked; /* private: per request slot, when it last asked for a conn */
	uint32_t asked_cap;
	uint32_t n_waiting; /* private: of waiting[] */
	struct stats_host_sample
	    waiting[STATS_HOST_BATCH]; /* private: host samples not added yet */
};

int stats_init(struct stats *st, const struct scenario *sc, const char *mode);
void stats_free(struct stats *st);
struct ev_sink stats_sink(struct stats *st);
/* Latency percentile in ms (0 < q <= 1), in scenario time. */
double stats_latency_ms(const struct stats *st, double q);
/* Any distribution's percentile in ms, in scenario time. */
double stats_dist_ms(const struct stats *st, const struct time_dist *d, double q);

void stats_print_json(const struct stats *st, FILE *out);
void stats_print_text(const struct stats *st, FILE *out);
/* A JSON string literal, escaped. */
void stats_json_string(FILE *out, const char *s);

#endif
