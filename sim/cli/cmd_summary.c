/*
 * cmd_summary.c: `poolsim summary CAPTURE`: the summary (text or --json),
 * --trace, --csv or --plot of a file of event records (a Go program's
 * capture by the probe, or poolsim's own --events), counted by the same
 * stats code as a run: the records go through the same sinks.
 */
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "commands.h"
#include "outputs.h"

static int add_stream_sink(void *stream, struct ev_sink sink)
{
	return ev_stream_add_sink(stream, sink);
}

static void deliver(void *stream, const struct ps_event *ev)
{
	ev_stream_deliver(stream, ev);
}

int cmd_summary(int argc, char **argv)
{
	struct cli_opts o = {.command = "summary"};
	int rc = cli_parse(argc, argv, CLI_JSON | CLI_TRACE | CLI_CSV | CLI_PLOT, &o);
	if (rc)
		return rc;
	struct capture c;
	struct scenario sc;
	if (capture_scan(o.file, &c, &sc)) {
		fprintf(stderr, "poolsim: %s\n", c.error);
		return PS_EXIT_USAGE;
	}
	/* A probe watched Go itself: the contract's "go" mode. */
	const char *mode = strcmp(c.source, "probe") ? c.source : "go";
	struct ev_stream stream;
	ev_stream_init(&stream);
	struct outputs out;
	rc = outputs_open(&out, &o, &sc, mode, add_stream_sink, &stream);
	if (!rc) {
		if (capture_replay(&c, &sc,
		                   (struct ev_sink){.on_event = deliver, .ctx = &stream})) {
			fprintf(stderr, "poolsim: %s\n", c.error);
			rc = PS_EXIT_USAGE;
		} else {
			if (c.dropped)
				fprintf(
				    stderr,
				    "poolsim: %s: the writer dropped %lld records: every count is "
				    "short\n",
				    o.file, (long long)c.dropped);
			outputs_print_summary(&out, &o);
		}
	}
	int rc2 = outputs_close(&out, &o);
	ev_stream_free(&stream);
	scenario_free(&sc);
	return rc ? rc : rc2;
}
