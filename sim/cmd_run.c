/*
 * cmd_run.c: `poolsim run`, `poolsim check` and `poolsim lessons`: the
 * simulator from the command line, its sinks (summary, trace, CSV, plot)
 * chosen by flags.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "plot.h"
#include "sim.h"
#include "stats.h"
#include "trace.h"

struct run_outputs {
	struct stats st;
	struct trace trace;
	struct csv csv;
	FILE *csv_file;
	struct plot *plot;
};

static int open_outputs(const struct cli_opts *o, const struct scenario *sc, struct sim *s,
			struct run_outputs *out)
{
	memset(out, 0, sizeof(*out));
	if (stats_init(&out->st, sc, "sim")) {
		fprintf(stderr, "poolsim: out of memory\n");
		return PS_EXIT_FAIL;
	}
	if (o->csv_path) {
		out->csv_file = fopen(o->csv_path, "w");
		if (!out->csv_file) {
			perror(o->csv_path);
			return PS_EXIT_USAGE;
		}
		csv_init(&out->csv, &out->st, out->csv_file, o->sample);
		sim_add_sink(s, csv_sink(&out->csv)); /* before stats: it samples the gauges as they were */
	}
	if (o->plot_path) {
		out->plot = plot_create(sc, &out->st);
		if (!out->plot) {
			fprintf(stderr, "poolsim: out of memory\n");
			return PS_EXIT_FAIL;
		}
		sim_add_sink(s, plot_sink(out->plot));
	}
	sim_add_sink(s, stats_sink(&out->st));
	if (o->trace) {
		out->trace = (struct trace){.sc = sc, .out = stdout};
		sim_add_sink(s, trace_sink(&out->trace));
	}
	return 0;
}

static int close_outputs(const struct cli_opts *o, struct run_outputs *out)
{
	int rc = 0;
	if (out->csv_file && fclose(out->csv_file)) {
		perror(o->csv_path);
		rc = PS_EXIT_FAIL;
	}
	if (out->plot) {
		if (plot_write_file(out->plot, o->plot_path)) {
			perror(o->plot_path);
			rc = PS_EXIT_FAIL;
		}
		plot_destroy(out->plot);
	}
	stats_free(&out->st);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct cli_opts o = {.command = "run"};
	int rc = cli_parse(argc, argv, CLI_JSON | CLI_TRACE | CLI_CSV | CLI_PLOT | CLI_SET | CLI_DEBUG, &o);
	if (rc)
		return rc;
	struct scenario sc;
	if ((rc = cli_load(&o, &sc)))
		return rc;
	struct sim *s = sim_create(&sc);
	struct run_outputs out;
	if (!s) {
		fprintf(stderr, "poolsim: out of memory\n");
		scenario_free(&sc);
		return PS_EXIT_FAIL;
	}
	rc = open_outputs(&o, &sc, s, &out);
	if (rc == 0) {
		sim_set_check_invariants(s, o.check_invariants);
		sim_start(s);
		sim_run(s);
		if (o.check_invariants && out.st.total.ok + out.st.total.failed + out.st.total.unfinished !=
						  out.st.total.requests) {
			fprintf(stderr, "poolsim: invariant broken: requests are not conserved\n");
			rc = PS_EXIT_FAIL;
		}
		if (o.json)
			stats_print_json(&out.st, stdout);
		else
			stats_print_text(&out.st, stdout);
	}
	int rc2 = close_outputs(&o, &out);
	sim_destroy(s);
	scenario_free(&sc);
	return rc ? rc : rc2;
}

int cmd_check(int argc, char **argv)
{
	struct cli_opts o = {.command = "check"};
	int rc = cli_parse(argc, argv, CLI_SET, &o);
	if (rc)
		return rc;
	struct scenario sc;
	if ((rc = cli_load(&o, &sc)))
		return rc;
	if (sc.warnings[0])
		fputs(sc.warnings, stderr);
	printf("%s: ok: %u host%s, %u load%s, %u event%s\n", sc.path, sc.n_hosts,
	       sc.n_hosts == 1 ? "" : "s", sc.n_loads, sc.n_loads == 1 ? "" : "s", sc.n_events,
	       sc.n_events == 1 ? "" : "s");
	scenario_free(&sc);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_lessons(int argc, char **argv)
{
	struct cli_opts o = {.command = "lessons"};
	int rc = cli_parse(argc, argv, 0, &o);
	if (rc)
		return rc;
	char dir[PATH_MAX];
	if (!cli_lessons_dir(dir, sizeof(dir))) {
		fprintf(stderr, "poolsim lessons: no scenarios folder found (set POOLSIM_SCENARIOS)\n");
		return PS_EXIT_USAGE;
	}
	DIR *d = opendir(dir);
	char *names[256];
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) && n < 256)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && strstr(de->d_name, ".ini"))
			names[n++] = strdup(de->d_name);
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), by_name);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 300];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		struct scenario sc;
		struct scenario_error err;
		if (scenario_load(path, &sc, &err) == 0) {
			printf("%2d  %-34s %s\n", atoi(names[i]), names[i], sc.title);
			scenario_free(&sc);
		} else {
			printf("%2d  %-34s (does not load: line %d: %s)\n", atoi(names[i]), names[i],
			       err.line, err.message);
		}
		free(names[i]);
	}
	printf("\nOpen one with: poolsim watch N   or   poolsim run N\n");
	return 0;
}
