/*
 * cli.h: the command line shared by every subcommand: flag parsing, loading
 * the scenario named on it (a file or a lesson number) with --set, --seed and
 * --go applied, and the usage text. This is the edge: it prints messages and
 * chooses exit statuses (2 for bad input); nothing below it does.
 */
#ifndef POOLSIM_CLI_H
#define POOLSIM_CLI_H

#include <limits.h>
#include <stdio.h>

#include "common.h"
#include "scenario.h"

#define CLI_MAX_SETS 32

enum cli_flag {
	CLI_JSON = 1u << 0,
	CLI_TRACE = 1u << 1,
	CLI_CSV = 1u << 2,     /* --csv FILE, --sample D */
	CLI_PLOT = 1u << 3,    /* --plot FILE */
	CLI_SET = 1u << 4,     /* --set K=V, --seed N, --go V */
	CLI_SCALE = 1u << 5,   /* --time-scale X */
	CLI_WATCH = 1u << 6,   /* --speed, --real, --compare, --frames */
	CLI_GO = 1u << 7,      /* compare --go */
	CLI_DEBUG = 1u << 8,   /* --check-invariants */
	CLI_TEACH = 1u << 9,   /* --teach */
	CLI_EVENTS = 1u << 10, /* --events FILE */
};

struct cli_opts {
	const char *command;
	const char *file;
	bool json, trace, check_invariants, go_column, teach;
	const char *csv_path;
	ps_time sample;
	const char *plot_path;
	const char *events_path; /* --events FILE: the records as JSON lines */
	const char *sets[CLI_MAX_SETS];
	int n_sets;
	bool seed_set;
	uint64_t seed;
	const char *go;
	double time_scale;
	double speed; /* 0 = max */
	bool real, compare;
	long frames; /* 0 = until quit */
};

/* cli_parse: 0, or prints what is wrong and the usage line and returns PS_EXIT_USAGE. */
int cli_parse(int argc, char **argv, unsigned allowed, struct cli_opts *o);

/* cli_load: the scenario of o->file with the overrides applied; 0 or PS_EXIT_USAGE (printed). */
int cli_load(const struct cli_opts *o, struct scenario *sc);

/*
 * cli_print_sets: one line naming the --set/--seed/--go overrides in force,
 * so a lesson's title (which describes the file as written) is never read as
 * describing the changed run. Nothing without overrides.
 */
void cli_print_sets(const struct cli_opts *o, FILE *out);
/* The same as text for a screen ("MaxIdleConnsPerHost=20 seed=7"); "" without overrides. */
char *cli_sets_text(const struct cli_opts *o, char *buf, size_t size);

/* cli_scenario_path: a file, or a lesson number resolved to its file, into buf; NULL if too long.
 */
const char *cli_scenario_path(const char *arg, char *buf, size_t size);
/*
 * cli_lesson_text: the paragraphs of a lesson file's comment header that
 * teaching mode shows (Shows:, Watch:, Next:), each joined into one line,
 * '\n' between them. NULL when the file has none.
 */
const char *cli_lesson_text(const char *path, char *buf, size_t size);

/* The folder of the lessons, or NULL. */
const char *cli_lessons_dir(char *buf, size_t size);

void cli_usage(FILE *out);

/* cli_visible: a path or name as it may be shown on a terminal (visible.h: control bytes as
 * \xNN, invalid UTF-8 replaced); buf of CLI_VISIBLE_MAX holds any path. */
#define CLI_VISIBLE_MAX (4 * PATH_MAX + 1)
const char *cli_visible(const char *text, char *buf, size_t size);

#endif
