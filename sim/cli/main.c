/*
 * main.c: `poolsim COMMAND ...`: picks the subcommand. Everything else lives
 * in the cmd_* files and the modules below them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "interrupt.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	/* It runs a simulation or sockets and polls SIGINT/SIGTERM to end with a summary
	 * (interrupt.h); the others keep the default action, so a signal ends them at once
	 * even inside a blocking call. */
	bool polls_signals;
};

/*
 * reserve_std_fds: a descriptor 0, 1 or 2 that was closed at start-up gets
 * /dev/null opened the wrong way round (read-only for 1 and 2, write-only for
 * 0), so no socket or file we open later takes its number (a CSV must never
 * become stdout), and every use of it still fails with EBADF, as on a closed
 * descriptor, so writes to it are caught.
 */
static void reserve_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number, so this very one: 0, 1 and 2 are taken in order. */
		(void)open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
	}
}

/* stdout_written: everything printed on stdout reached it; else a message, and 1. */
static int stdout_written(void)
{
	int err = 0;
	if (ferror(stdout))
		err = errno ? errno : EIO;
	if (fflush(stdout))
		err = errno;
	if (!err)
		return 0;
	fprintf(stderr, "poolsim: cannot write to standard output: %s\n", strerror(err));
	return PS_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	reserve_std_fds();
	static const struct command commands[] = {
	    {"run", cmd_run, true},          {"check", cmd_check, false},
	    {"lessons", cmd_lessons, false}, {"real", cmd_real, true},
	    {"compare", cmd_compare, true},  {"watch", cmd_watch, true},
	    {"sweep", cmd_sweep, true},      {"summary", cmd_summary, false},
	    {"import", cmd_import, false},
	};
	/* A reader that goes away (poolsim run --trace | head) ends us quietly, not with EPIPE
	 * noise. */
	signal(SIGPIPE, SIG_DFL);
	if (argc < 2) {
		cli_usage(stderr);
		return PS_EXIT_USAGE;
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
			/* Before any thread exists, so every thread inherits it (interrupt.h). */
			if (commands[i].polls_signals)
				interrupt_block();
			int rc = commands[i].run(argc - 2, argv + 2);
			int wrote = stdout_written();
			return rc ? rc : wrote;
		}
	}
	fprintf(stderr, "poolsim: unknown command '%s'\n\n", argv[1]);
	cli_usage(stderr);
	return PS_EXIT_USAGE;
}
