/*
 * outputs.c: see outputs.h. The order of sinks matters: the CSV sampler and
 * the plot read the gauges of stats as they stood before each record, so
 * they go before stats' own sink; the trace goes last.
 */
#include "outputs.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "client.h"
#include "des.h"

/* open_output: FILE for writing, before the run starts; NULL after a message naming the
 * flag (an empty path, a folder, no permission: the path is bad, exit status 2). */
static FILE *open_output(const char *flag, const char *path)
{
	FILE *f = path[0] ? fopen(path, "w") : NULL;
	if (!f)
		fprintf(stderr, "poolsim: %s '%s': cannot open for writing: %s\n", flag, path,
		        path[0] ? strerror(errno) : "the path is empty");
	return f;
}

/* close_output: flushed and closed; a failed or short write anywhere is a message. */
static int close_output(FILE *f, const char *flag, const char *path)
{
	bool failed = ferror(f) != 0;
	int err = errno;
	if (fclose(f)) {
		failed = true;
		err = errno;
	}
	if (failed)
		fprintf(stderr, "poolsim: %s '%s': the write failed: %s\n", flag, path,
		        strerror(err));
	return failed ? PS_EXIT_FAIL : 0;
}

int outputs_open(struct outputs *out, const struct cli_opts *o, const struct scenario *sc,
                 const char *mode, outputs_add_sink add, void *run)
{
	memset(out, 0, sizeof(*out));
	if (stats_init(&out->st, sc, mode)) {
		fprintf(stderr, "poolsim: out of memory\n");
		return PS_EXIT_FAIL;
	}
	if (o->csv_path && sc->duration / o->sample > OUTPUTS_MAX_SAMPLES) {
		char a[40], b[40], c[40];
		fprintf(
		    stderr,
		    "poolsim: --sample %s would write %lld rows per host over %s; at most %d "
		    "(a --sample of %s or more)\n",
		    format_duration(o->sample, a, sizeof a), (long long)(sc->duration / o->sample),
		    format_duration(sc->duration, b, sizeof b), OUTPUTS_MAX_SAMPLES,
		    format_duration((sc->duration + OUTPUTS_MAX_SAMPLES - 1) / OUTPUTS_MAX_SAMPLES,
		                    c, sizeof c));
		return PS_EXIT_USAGE;
	}
	if (o->csv_path) {
		/* "-" is standard output, as for every Unix tool; closing it is left to exit. */
		out->csv_file =
		    strcmp(o->csv_path, "-") == 0 ? stdout : open_output("--csv", o->csv_path);
		if (!out->csv_file)
			return PS_EXIT_USAGE;
		csv_init(&out->csv, &out->st, out->csv_file, o->sample);
		add(run, csv_sink(&out->csv));
	}
	if (o->plot_path) {
		if (!(out->plot_file = open_output("--plot", o->plot_path)))
			return PS_EXIT_USAGE;
		out->plot = plot_create(sc, &out->st);
		if (!out->plot) {
			fprintf(stderr, "poolsim: out of memory\n");
			return PS_EXIT_FAIL;
		}
		add(run, plot_sink(out->plot));
	}
	add(run, stats_sink(&out->st));
	if (o->events_path) {
		if (!(out->events_file = open_output("--events", o->events_path)))
			return PS_EXIT_USAGE;
		events_begin(&out->events, sc, out->events_file, mode);
		add(run, events_sink(&out->events));
	}
	if (o->trace) {
		out->trace = (struct trace){.sc = sc, .out = stdout, .teach = o->teach};
		add(run, trace_sink(&out->trace));
	}
	return 0;
}

int outputs_close(struct outputs *out, const struct cli_opts *o)
{
	int rc = 0;
	/* "--csv -" is stdout, checked with everything else written there (main.c). */
	if (out->csv_file && out->csv_file != stdout)
		rc |= close_output(out->csv_file, "--csv", o->csv_path);
	out->csv_file = NULL;
	if (out->plot_file) {
		if (out->plot)
			plot_write(out->plot,
			           out->plot_file); /* a failure shows in ferror, below */
		rc |= close_output(out->plot_file, "--plot", o->plot_path);
		out->plot_file = NULL;
	}
	plot_destroy(out->plot);
	out->plot = NULL;
	if (out->events_file) {
		rc |= close_output(out->events_file, "--events", o->events_path);
		out->events_file = NULL;
	}
	stats_free(&out->st);
	return rc ? PS_EXIT_FAIL : 0;
}

void outputs_print_summary(const struct outputs *out, const struct cli_opts *o)
{
	/* With --csv - standard output carries the CSV alone. */
	FILE *f = o->csv_path && strcmp(o->csv_path, "-") == 0 ? stderr : stdout;
	if (o->json) {
		stats_print_json(&out->st, f);
		return;
	}
	cli_print_sets(o, f);
	stats_print_text(&out->st, f);
}

int outputs_report_stop(const struct outputs *out, const char *command, int signal)
{
	double at = (double)out->st.end / PS_SEC;
	double of = (double)out->st.sc->duration / PS_SEC;
	switch (out->st.stopped) {
	case RUN_COMPLETE:
		return 0;
	case RUN_INTERRUPTED:
		fprintf(stderr, "poolsim %s: interrupted at %.3fs of %.3fs; summary so far:\n",
		        command, at, of);
		return PS_EXIT_SIGNAL + (signal ? signal : SIGINT);
	case RUN_LIVE_LIMIT:
		fprintf(stderr,
		        "poolsim %s: stopped at %.3fs of %.3fs: the scenario holds more than %d "
		        "requests and conns at once (a rate far above what its servers serve, or "
		        "conns that never expire); poolsim stops rather than exhaust memory. "
		        "Summary so far:\n",
		        command, at, of, CLIENT_MAX_LIVE);
		return PS_EXIT_FAIL;
	case RUN_NO_PROGRESS:
	default:
		fprintf(stderr,
		        "poolsim %s: stopped at %.3fs of %.3fs: simulated time stopped advancing "
		        "(%u events at one instant; see \"Progress\" in docs/format.md). Summary "
		        "so far:\n",
		        command, at, of, DES_STALL_STEPS);
		return PS_EXIT_FAIL;
	}
}
