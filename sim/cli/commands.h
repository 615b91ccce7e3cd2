/*
 * commands.h: the subcommands main() dispatches to. Each takes the
 * arguments after its own name and returns the process exit status.
 */
#ifndef POOLSIM_COMMANDS_H
#define POOLSIM_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_lessons(int argc, char **argv);
int cmd_real(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_import_log(int argc, char **argv);
/* watch --attach SOCKET: the dashboard fed by a live Go program's probe (watch_attach.c). */
int watch_attach(int argc, char **argv);

struct sim;
/* drive_sim: a started simulation to its end, looking for SIGINT/SIGTERM every slice of
 * events (interrupt.h); the signal that stopped it (the run ended as RUN_INTERRUPTED), or 0. */
int drive_sim(struct sim *s);

#endif
