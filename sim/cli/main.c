/*
 * main.c: `poolsim COMMAND ...`: picks the subcommand. Everything else lives
 * in the cmd_* files and the modules below them.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "interrupt.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

int main(int argc, char **argv)
{
	static const struct command commands[] = {
	    {"run", cmd_run},   {"check", cmd_check},     {"lessons", cmd_lessons},
	    {"real", cmd_real}, {"compare", cmd_compare}, {"watch", cmd_watch},
	};
	/* A reader that goes away (poolsim run --trace | head) ends us quietly, not with EPIPE
	 * noise. */
	signal(SIGPIPE, SIG_DFL);
	/* Before any thread exists, so every thread inherits it (interrupt.h). */
	interrupt_block();
	if (argc < 2) {
		cli_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		cli_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("poolsim %s (models net/http of Go 1.%d to Go %s; current = Go %s)\n",
		       POOLSIM_VERSION, GO_RELEASE_OLDEST % 100, GO_RELEASE_CURRENT_NAME,
		       GO_RELEASE_CURRENT_NAME);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			for (int j = 2; j < argc; j++)
				if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
					cli_usage(stdout);
					return 0;
				}
			return commands[i].run(argc - 2, argv + 2);
		}
	}
	fprintf(stderr, "poolsim: unknown command '%s'\n\n", argv[1]);
	cli_usage(stderr);
	return 2;
}
