/*
 * cli.c: flags, usage and scenario loading for every subcommand.
 * Prints to stderr and returns PS_EXIT_USAGE for bad input; never exits.
 */
#include "cli.h"

#include "visible.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: poolsim COMMAND [FILE|LESSON] [options]\n"
	    "\n"
	    "Simulate Go's net/http connection pool, replay it on real loopback sockets, and watch "
	    "it.\n"
	    "\n"
	    "commands:\n"
	    "  run FILE       simulate and print a summary (--json, --trace, --csv F, --plot F)\n"
	    "  real FILE      the same scenario on real TCP/TLS sockets to loopback servers\n"
	    "  compare FILE   simulated beside real (and --go: Go itself), with a verdict per row\n"
	    "  watch FILE|N   the live dashboard (--speed X|max, --real, --compare, --teach)\n"
	    "  watch --attach SOCKET  a live Go program's pool, from its probe's socket\n"
	    "                 (--compare-sim: its requests replayed in the simulator beside it)\n"
	    "  sweep FILE     run every combination of --vary KEY=V1,V2,... (or 2..256x2,\n"
	    "                 10..100+10) on all cores, one row per point (--seeds N, --jobs N,\n"
	    "                 --json, --csv, --plot F, --goal 'p99<=50ms,failed=0', --print-jobs,\n"
	    "                 --only N, --out FILE, sweep --merge DIR)\n"
	    "  summary CAPTURE  the summary of a file of event records (a Go program's capture by\n"
	    "                 the probe, or --events): --json, --trace, --csv F, --plot F\n"
	    "  import CAPTURE --out FILE.ini  a scenario replaying a capture\n"
	    "  import LOG --format nginx|csv --out FILE.ini   a scenario replaying a request log\n"
	    "                 (--log-format 'FORMAT', or --msec-field N --time-field N\n"
	    "                 [--host-field N])\n"
	    "  check FILE...  validate scenario files only: every problem of each, FILE:LINE\n"
	    "  lessons        list the lessons (FILE may be a lesson number: poolsim watch 3)\n"
	    "\n"
	    "options:\n"
	    "  --json               the machine-readable summary (docs/format.md)\n"
	    "  --trace              one line per event: time, host, conn, what, why\n"
	    "  --csv FILE           a time series of open/active/idle/dialing/waiting\n"
	    "  --sample DURATION    the CSV sampling interval (default 100ms)\n"
	    "  --plot FILE.svg      an SVG time chart of the run\n"
	    "  --events FILE        every event record as JSON lines (docs/format.md)\n"
	    "  --set KEY=VALUE      override any key: MaxIdleConnsPerHost=10, "
	    "host.api.service_time=\n"
	    "                       exp:30ms, load.web.rate=800/s (repeatable; docs/format.md)\n"
	    "  --seed N             override the scenario's seed\n"
	    "  --go R               which Go to follow where releases differ: 1.19 "
	    ".. " GO_RELEASE_CURRENT_NAME ", or\n"
	    "                       current (the default: Go " GO_RELEASE_CURRENT_NAME ")\n"
	    "  --time-scale X       real mode: scale every duration by X (0.01 = 100x faster)\n"
	    "  --speed X|max        watch: scenario seconds per wall second (default 1)\n"
	    "  --teach              watch, run: stop at each rule the first time it fires, and "
	    "say\n"
	    "                       why (run: inline with the trace)\n"
	    "  -h, --help           this text;  --version  the version\n"
	    "\n"
	    "Exit status: 0 ok, 1 the run failed (or compare disagreed), 2 bad input.\n"
	    "More: man poolsim, README.md, docs/guide.md.\n");
}

static int bad(const struct cli_opts *o, const char *fmt, const char *arg)
{
	fprintf(stderr, "poolsim %s: ", o->command ? o->command : "");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'poolsim --help'.\n");
	return PS_EXIT_USAGE;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

struct flag_spec {
	const char *name;
	unsigned group;
	bool takes_value;
};

static const struct flag_spec flags[] = {
    {"--json", CLI_JSON, false},       {"--trace", CLI_TRACE, false},
    {"--csv", CLI_CSV, true},          {"--sample", CLI_CSV, true},
    {"--plot", CLI_PLOT, true},        {"--set", CLI_SET, true},
    {"--seed", CLI_SET, true},         {"--go", CLI_SET | CLI_GO, false},
    {"--time-scale", CLI_SCALE, true}, {"--speed", CLI_WATCH, true},
    {"--real", CLI_WATCH, false},      {"--compare", CLI_WATCH, false},
    {"--frames", CLI_WATCH, true},     {"--check-invariants", CLI_DEBUG, false},
    {"--teach", CLI_TEACH, false},     {"--events", CLI_EVENTS, true},
};

static const struct flag_spec *find_flag(const char *arg, unsigned allowed)
{
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(arg, flags[i].name) == 0 && (flags[i].group & allowed))
			return &flags[i];
	return NULL;
}

static int apply_flag(struct cli_opts *o, const char *name, const char *value, unsigned allowed)
{
	if (!strcmp(name, "--json"))
		o->json = true;
	else if (!strcmp(name, "--trace"))
		o->trace = true;
	else if (!strcmp(name, "--check-invariants"))
		o->check_invariants = true;
	else if (!strcmp(name, "--teach"))
		o->teach = true;
	else if (!strcmp(name, "--real"))
		o->real = true;
	else if (!strcmp(name, "--compare"))
		o->compare = true;
	else if (!strcmp(name, "--csv"))
		o->csv_path = value;
	else if (!strcmp(name, "--plot"))
		o->plot_path = value;
	else if (!strcmp(name, "--events"))
		o->events_path = value;
	else if (!strcmp(name, "--sample")) {
		if (parse_duration(value, &o->sample) || o->sample <= 0)
			return bad(o, "--sample wants a positive duration like 100ms, not '%s'",
			           value);
	} else if (!strcmp(name, "--set")) {
		if (o->n_sets == CLI_MAX_SETS)
			return bad(o, "too many --set options (at most %s)", "32");
		if (!strchr(value, '='))
			return bad(o, "--set wants Key=value, not '%s'", value);
		o->sets[o->n_sets++] = value;
	} else if (!strcmp(name, "--seed")) {
		/* Digits only (strtoull would take " -5" as 2^64-5), and the file's range. */
		char *end;
		errno = 0;
		unsigned long long v =
		    isdigit((unsigned char)value[0]) ? strtoull(value, &end, 10) : 0;
		if (!isdigit((unsigned char)value[0]) || errno || *end || v > INT64_MAX)
			return bad(o, "--seed wants a whole number from 0 to 2^63-1, not '%s'",
			           value);
		o->seed = v;
		o->seed_set = true;
	} else if (!strcmp(name, "--go")) {
		if (value) {
			int release;
			enum go_key key;
			if (!scenario_parse_go(value, &release, &key))
				return bad(o,
				           "--go wants " GO_RELEASE_OLDEST_NAME
				           " .. " GO_RELEASE_CURRENT_NAME
				           " or current (= Go " GO_RELEASE_CURRENT_NAME
				           "), not '%s'",
				           value);
			o->go = value;
		} else {
			o->go_column = true;
		}
	} else if (!strcmp(name, "--time-scale")) {
		/* Below 1e-6 a wall-time step in scenario time would not fit in 64 bits. */
		if (parse_double(value, &o->time_scale) || o->time_scale < 1e-6)
			return bad(
			    o,
			    "--time-scale wants a number from 0.000001 to 1e9 like 0.01, not "
			    "'%s'",
			    value);
	} else if (!strcmp(name, "--speed")) {
		if (!strcmp(value, "max"))
			o->speed = 0;
		else if (parse_double(value, &o->speed))
			return bad(o, "--speed wants a positive number or max, not '%s'", value);
	} else if (!strcmp(name, "--frames")) {
		char *end;
		long v = strtol(value, &end, 10);
		if (end == value || *end || v <= 0)
			return bad(o, "--frames wants a positive whole number, not '%s'", value);
		o->frames = v;
	}
	(void)allowed;
	return 0;
}

int cli_parse(int argc, char **argv, unsigned allowed, struct cli_opts *o)
{
	const char *command = o->command;
	memset(o, 0, sizeof(*o));
	o->command = command;
	o->sample = 100 * PS_MS;
	o->time_scale = 1.0;
	o->speed = 1.0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		bool after_dashes = i > 0 && !strcmp(argv[i - 1], "--");
		if (!strcmp(arg, "--") && !after_dashes)
			continue; /* the next argument is the file, even if it starts with '-' */
		if (arg[0] != '-' || !strcmp(arg, "-") || after_dashes) {
			if (o->file)
				return bad(o, "one scenario at a time: unexpected '%s'", arg);
			o->file = arg;
			continue;
		}
		const char *eq = strchr(arg, '=');
		char name[64];
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (len >= sizeof(name))
			return bad(o, "unknown option '%s'", arg);
		memcpy(name, arg, len);
		name[len] = '\0';
		const struct flag_spec *f = find_flag(name, allowed);
		if (!f)
			return bad(o, "unknown option '%s'", arg);
		const char *value = eq ? eq + 1 : NULL;
		bool wants_value = f->takes_value || (!strcmp(name, "--go") && !(allowed & CLI_GO));
		if (wants_value && !value) {
			if (i + 1 >= argc)
				return bad(o, "option '%s' needs a value", name);
			value = argv[++i];
		}
		if (!wants_value && value && strcmp(name, "--go"))
			return bad(o, "option '%s' takes no value", name);
		int rc = apply_flag(o, name, value, allowed);
		if (rc)
			return rc;
	}
	return 0;
}

char *cli_sets_text(const struct cli_opts *o, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < o->n_sets && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", o->sets[i]);
	if (o->seed_set && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%sseed=%llu", len ? " " : "",
		                        (unsigned long long)o->seed);
	if (o->go && len < size)
		snprintf(buf + len, size - len, "%sgo=%s", len ? " " : "", o->go);
	return buf;
}

void cli_print_sets(const struct cli_opts *o, FILE *out)
{
	char buf[1024];
	if (cli_sets_text(o, buf, sizeof(buf))[0])
		fprintf(
		    out,
		    "changed on the command line: %s (the title describes the file as written)\n",
		    buf);
}

/* A header line "# Word:  text": the word, or NULL for a continuation or other line. */
static const char *header_label(const char *line, size_t *skip)
{
	static const char *const labels[] = {
	    "Shows:", "Watch:", "Next:", "Go:", "Expect:", "Rules:"};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strncmp(line, labels[i], strlen(labels[i])) == 0) {
			*skip = strlen(labels[i]);
			return labels[i];
		}
	return NULL;
}

const char *cli_lesson_text(const char *path, char *buf, size_t size)
{
	FILE *f = scenario_open_regular(path);
	char line[512];
	bool keep = false;
	size_t len = 0;
	if (!f)
		return NULL;
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f) && line[0] == '#') {
		char *text = line + 1;
		size_t skip = 0;
		text[strcspn(text, "\n")] = '\0';
		while (*text == ' ')
			text++;
		const char *label = header_label(text, &skip);
		if (label) {
			keep = !strcmp(label, "Shows:") || !strcmp(label, "Watch:") ||
			       !strcmp(label, "Next:");
			if (keep && len < size)
				len += (size_t)snprintf(buf + len, size - len, "%s%s",
				                        len ? "\n" : "", label);
			text += skip;
			while (*text == ' ')
				text++;
		}
		if (keep && *text && len < size)
			len += (size_t)snprintf(buf + len, size - len, " %s", text);
	}
	fclose(f);
	return buf[0] ? buf : NULL;
}

const char *cli_lessons_dir(char *buf, size_t size)
{
	const char *env = getenv("POOLSIM_SCENARIOS");
	char exe[PATH_MAX];
	const char *candidates[4] = {env, "scenarios", NULL, NULL};
	char beside[PATH_MAX + 32], shared[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(beside, sizeof(beside), "%s/../scenarios", exe);
		snprintf(shared, sizeof(shared), "%s/../share/poolsim/scenarios", exe);
		candidates[2] = beside;
		candidates[3] = shared;
	}
	for (int i = 0; i < 4; i++) {
		if (!candidates[i])
			continue;
		DIR *d = opendir(candidates[i]);
		if (d) {
			closedir(d);
			snprintf(buf, size, "%s", candidates[i]);
			return buf;
		}
	}
	return NULL;
}

/* "3", "17": one to three digits name a lesson. */
static bool is_lesson_number(const char *arg)
{
	size_t len = strlen(arg);
	if (len == 0 || len > 3)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)arg[i]))
			return false;
	return true;
}

/* Resolve "3" to scenarios/03-*.ini (or return the argument as it is). */
static const char *cli_resolve_lesson(const char *arg, char *buf, size_t size)
{
	if (!is_lesson_number(arg))
		return arg;
	char dir[PATH_MAX];
	if (!cli_lessons_dir(dir, sizeof(dir)))
		return arg;
	char prefix[8];
	snprintf(prefix, sizeof(prefix), "%02d-", atoi(arg));
	DIR *d = opendir(dir);
	if (!d)
		return arg;
	const char *found = arg;
	struct dirent *de;
	char best[256] = "";
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    strstr(de->d_name, ".ini") && (!best[0] || strcmp(de->d_name, best) < 0))
			snprintf(best, sizeof(best), "%s", de->d_name);
	}
	closedir(d);
	if (best[0]) {
		int n = snprintf(buf, size, "%s/%s", dir, best);
		if (n > 0 && (size_t)n < size)
			found = buf;
	}
	return found;
}

const char *cli_visible(const char *text, char *buf, size_t size)
{
	return visible_text(buf, size, text);
}

const char *cli_scenario_path(const char *arg, char *buf, size_t size)
{
	char resolved[PATH_MAX];
	const char *path = cli_resolve_lesson(arg, resolved, sizeof(resolved));
	int n = snprintf(buf, size, "%s", path);
	return n >= 0 && (size_t)n < size ? buf : NULL;
}

static void print_scenario_error(const char *path, const struct scenario_error *err)
{
	char shown[CLI_VISIBLE_MAX];
	cli_visible(path, shown, sizeof shown);
	if (err->line > 0)
		fprintf(stderr, "%s:%d: %s\n", shown, err->line, err->message);
	else
		fprintf(stderr, "%s: %s\n", shown, err->message);
}

int cli_load(const struct cli_opts *o, struct scenario *sc)
{
	if (!o->file) {
		fprintf(stderr,
		        "poolsim %s: which scenario? Give a file or a lesson number.\n"
		        "Try 'poolsim --help'.\n",
		        o->command);
		return PS_EXIT_USAGE;
	}
	if (strlen(o->file) >= PATH_MAX) {
		fprintf(stderr,
		        "poolsim %s: the path is %zu bytes long; the system takes at most %d\n",
		        o->command, strlen(o->file), PATH_MAX - 1);
		return PS_EXIT_USAGE;
	}
	char resolved[PATH_MAX];
	const char *path = cli_resolve_lesson(o->file, resolved, sizeof(resolved));
	if (path == o->file && is_lesson_number(o->file) && access(o->file, F_OK) != 0) {
		fprintf(stderr, "poolsim %s: no lesson %s (poolsim lessons lists them)\n",
		        o->command, o->file);
		return PS_EXIT_USAGE;
	}
	struct scenario_error err = {0};
	if (scenario_load_with_sets(path, o->sets, o->n_sets, sc, &err)) {
		if (err.set)
			fprintf(stderr, "poolsim %s: --set %s: %s\n", o->command,
			        o->sets[err.set - 1], err.message);
		else
			print_scenario_error(path, &err);
		return PS_EXIT_USAGE;
	}
	if (o->seed_set)
		sc->seed = o->seed;
	if (o->go)
		scenario_parse_go(o->go, &sc->go, &sc->go_key); /* checked by the option parser */
	const char *conflict = scenario_release_conflict(sc);
	if (conflict) {
		fprintf(stderr, "poolsim %s: --go %s: %s\n", o->command, o->go ? o->go : "current",
		        conflict);
		return PS_EXIT_USAGE;
	}
	return 0;
}
