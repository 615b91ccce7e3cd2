/*
 * oracle.h: the Go column of `poolsim compare --go`. The scenario's Go release
 * picks the toolchain that can check it (1.19: Debian's Go 1.19; current: the
 * `go` on PATH, if it is that release); the oracle (tests/oracle) is built with
 * it beside this binary when it is missing or older than its sources, then run
 * on the file. Every program is started through subprocess_run (posix_spawn
 * with an argument vector). $POOLSIM_ORACLE names an oracle to run as is.
 */
#ifndef POOLSIM_ORACLE_H
#define POOLSIM_ORACLE_H

#include <signal.h>

#include "cli.h"
#include "scenario.h"

/*
 * oracle_prepare: the oracle that checks `sc`'s Go release (malloc'd path),
 * built first if missing or stale; NULL after a message with *rc set:
 * PS_EXIT_USAGE when none can be had (no toolchain for the release: "not
 * checkable"), PS_EXIT_FAIL when the build failed, 128 + signal when a `stop`
 * signal ended it. Called before the runs, so a missing Go costs nothing.
 */
char *oracle_prepare(const struct scenario *sc, const sigset_t *stop, int *rc);

/* oracle_run: that oracle's JSON summary of `sc` (malloc'd), or NULL after a message with *rc
 * set as above. */
char *oracle_run(const struct cli_opts *o, const struct scenario *sc, const char *oracle,
                 const sigset_t *stop, int *rc);

#endif
