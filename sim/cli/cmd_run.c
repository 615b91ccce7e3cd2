/*
 * cmd_run.c: `poolsim run`, `poolsim check` and `poolsim lessons`: the
 * simulator from the command line, its sinks (outputs.h) chosen by flags.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "client.h"
#include "outputs.h"
#include "sim.h"

/* Events between two looks for a signal: about a millisecond of simulation. */
#define RUN_SLICE_EVENTS 16384u

static int add_sim_sink(void *run, struct ev_sink sink)
{
	return sim_add_sink(run, sink);
}

int drive_sim(struct sim *s)
{
	while (sim_run_some(s, PS_TIME_NEVER, RUN_SLICE_EVENTS)) {
		int sig = interrupt_pending();
		if (sig) {
			sim_stop(s, RUN_INTERRUPTED);
			return sig;
		}
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct cli_opts o = {.command = "run"};
	int rc = cli_parse(argc, argv,
	                   CLI_JSON | CLI_TRACE | CLI_CSV | CLI_PLOT | CLI_EVENTS | CLI_SET |
	                       CLI_DEBUG | CLI_TEACH,
	                   &o);
	if (rc)
		return rc;
	if (o.teach)
		o.trace = true; /* the explanations go inline with the trace */
	struct scenario sc;
	if ((rc = cli_load(&o, &sc)))
		return rc;
	struct sim *s = sim_create(&sc);
	struct outputs out;
	if (!s) {
		fprintf(stderr, "poolsim: out of memory\n");
		scenario_free(&sc);
		return PS_EXIT_FAIL;
	}
	rc = outputs_open(&out, &o, &sc, "sim", add_sim_sink, s);
	if (rc == 0) {
		if (o.check_invariants) /* else the build's default: on in debug builds */
			sim_set_check_invariants(s, true);
		sim_start(s);
		rc = outputs_report_stop(&out, "run", drive_sim(s));
		if (o.check_invariants && out.st.count.total.ok + out.st.count.total.failed +
		                                  out.st.count.total.unfinished !=
		                              out.st.count.total.requests) {
			fprintf(stderr, "poolsim: invariant broken: requests are not conserved\n");
			rc = PS_EXIT_FAIL;
		}
		outputs_print_summary(&out, &o);
	}
	int rc2 = outputs_close(&out, &o);
	sim_destroy(s);
	scenario_free(&sc);
	return rc ? rc : rc2;
}

#define CHECK_MAX_PROBLEMS 50

/* Blank line `line` (1-based) of text, keeping its newline so later lines keep their numbers. */
static bool blank_line(char *text, int line)
{
	char *p = text;
	for (int l = 1; l < line && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return false;
	bool header = *p == '[';
	for (; *p && *p != '\n'; p++)
		*p = ' ';
	return !header; /* keys after a bad [section] line would only repeat it: stop there */
}

/*
 * report_more: after the first problem of a file (cli_load printed it), the
 * ones after it: the line at fault is blanked and the file read again, up to
 * CHECK_MAX_PROBLEMS, until it reads, a problem has no line (a whole-file
 * check) or is not below the last one (a section's check the blanking may
 * have caused), or a bad section header would make every key after it look
 * wrong.
 */
static void report_more(const char *path)
{
	struct scenario_error read_err = {0};
	size_t len;
	char *text = scenario_read_text(path, &len, &read_err);
	char shown[CLI_VISIBLE_MAX];
	int last = 0;
	cli_visible(path, shown, sizeof shown);
	for (int k = 0; text && k < CHECK_MAX_PROBLEMS; k++) {
		struct scenario sc;
		struct scenario_error e = {0};
		if (scenario_load_string(text, path, &sc, &e) == 0) {
			scenario_free(&sc);
			break;
		}
		/* A problem at or above the last one is a section's whole-check that the blanked
		 * line may have caused: not a problem of its own. */
		if (e.line <= 0 || e.line <= last)
			break;
		if (k > 0) /* the first is the one cli_load printed */
			fprintf(stderr, "%s:%d: %s\n", shown, e.line, e.message);
		last = e.line;
		if (!blank_line(text, e.line))
			break;
	}
	free(text);
}

/* One file of `check`: 0, or PS_EXIT_USAGE after its FILE:LINE messages, every one. */
static int check_one(const struct cli_opts *o)
{
	struct scenario sc;
	int rc = cli_load(o, &sc);
	if (rc) {
		char buf[PATH_MAX];
		const char *path = cli_scenario_path(o->file, buf, sizeof buf);
		if (path)
			report_more(path);
		return rc;
	}
	if (sc.warnings[0])
		fputs(sc.warnings, stderr);
	char go[64];
	char shown[CLI_VISIBLE_MAX];
	printf("%s: ok: %u host%s, %u load%s, %u event%s; %s\n",
	       cli_visible(sc.path, shown, sizeof shown), sc.n_hosts, sc.n_hosts == 1 ? "" : "s",
	       sc.n_loads, sc.n_loads == 1 ? "" : "s", sc.n_actions, sc.n_actions == 1 ? "" : "s",
	       scenario_go_name(&sc, go, sizeof go));
	scenario_free(&sc);
	return 0;
}

/* `check FILE...`: every file is checked, whatever the earlier ones gave; 2 if any is bad. */
int cmd_check(int argc, char **argv)
{
	char **opts = calloc((size_t)argc + 1, sizeof(*opts));
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	int n_opts = 0, n_files = 0, rc = 0;
	if (!opts || !files) {
		free(opts);
		free(files);
		fprintf(stderr, "poolsim: out of memory\n");
		return PS_EXIT_FAIL;
	}
	for (int i = 0; i < argc; i++) {
		bool takes_value = !strcmp(argv[i], "--set") || !strcmp(argv[i], "--seed") ||
		                   !strcmp(argv[i], "--go");
		if (argv[i][0] == '-' && strcmp(argv[i], "-")) {
			opts[n_opts++] = argv[i];
			if (takes_value && i + 1 < argc)
				opts[n_opts++] = argv[++i];
		} else {
			files[n_files++] = argv[i];
		}
	}
	struct cli_opts o = {.command = "check"};
	rc = cli_parse(n_opts, opts, CLI_SET, &o);
	if (rc == 0 && n_files == 0)
		rc = cli_load(&o, NULL); /* prints "which scenario?" */
	for (int i = 0; rc != PS_EXIT_FAIL && i < n_files; i++) {
		o.file = files[i];
		if (check_one(&o))
			rc = PS_EXIT_USAGE;
	}
	free(opts);
	free(files);
	return rc;
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
	if (o.file) {
		fprintf(stderr,
		        "poolsim lessons: takes no argument (got '%s'); open one with poolsim run "
		        "N or poolsim watch N\n",
		        o.file);
		return PS_EXIT_USAGE;
	}
	char dir[PATH_MAX];
	if (!cli_lessons_dir(dir, sizeof(dir))) {
		fprintf(stderr,
		        "poolsim lessons: no scenarios folder found (set POOLSIM_SCENARIOS)\n");
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
			printf("%2d  %-34s (does not load: line %d: %s)\n", atoi(names[i]),
			       names[i], err.line, err.message);
		}
		free(names[i]);
	}
	printf("\nOpen one with: poolsim watch N   or   poolsim run N\n");
	return 0;
}
