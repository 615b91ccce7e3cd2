/*
 * stats.h: the summary of a run (the `--json` contract), computed from the
 * event stream alone, so sim and real runs are counted by the same code.
 *
 * Attach stats_sink() to a run's stream; read the numbers after EV_RUN_END.
 * Gauges (open, idle, active, waiting per host) are live at every record, so
 * the CSV sampler and the dashboard read them too.
 */
#ifndef POOLSIM_STATS_H
#define POOLSIM_STATS_H

#include <stdio.h>

#include "event.h"
#include "scenario.h"

#define STATS_LAT_BUCKETS (256 + 56 * 128)
#define STATS_LAT_EXACT   65536

struct stats_counts {
	int64_t requests, ok, failed, unfinished;
	int64_t dials, dial_failures, tls_handshakes, reused;
	int64_t closed, retries;
	int64_t leaked; /* conns held by a leaked body now (at the end: the JSON "leaked") */
	/* gauges and their peaks */
	int64_t open, idle, active, waiting, dialing;
	int64_t peak_open, peak_idle, peak_waiting, peak_active;
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
	struct stats_counts total;
	struct stats_counts *hosts; /* n_hosts */
	int64_t closes[R_CLOSE_CATEGORY_COUNT];
	int64_t failures[R_REASON_COUNT];
	ps_time end;
	/* latency histogram of ok requests: log2 major buckets x 256 linear sub-buckets */
	uint32_t *lat_hist;
	ps_time *lat_exact; /* the first STATS_LAT_EXACT latencies, for exact percentiles of small
	                       runs */
	int64_t lat_count;
	ps_time lat_min, lat_max;
	struct stats_kernel kernel;
	struct stats_lag lag;
	/* real mode ran with scaled durations: multiply measured times by this to report scenario
	 * time */
	double time_scale_back;
	struct stats_conns *conns; /* private: per-conn gauge state */
};

int stats_init(struct stats *st, const struct scenario *sc, const char *mode);
void stats_free(struct stats *st);
struct ev_sink stats_sink(struct stats *st);
/* Latency percentile in ms (0 < q <= 1). */
double stats_latency_ms(const struct stats *st, double q);

void stats_print_json(const struct stats *st, FILE *out);
void stats_print_text(const struct stats *st, FILE *out);
/* A JSON string literal, escaped. */
void stats_json_string(FILE *out, const char *s);

#endif
