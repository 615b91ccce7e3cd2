/*
 * interrupt.h: Ctrl-C and SIGTERM as data a command polls, never as a handler
 * that could strike inside a write or leave a thread half done.
 *
 * For the commands that run something (run, real, compare, watch, sweep),
 * main() blocks both before the command starts a thread, so every thread
 * poolsim starts (the loopback servers) inherits the mask and none of them is
 * ever killed by one; the command polls interrupt_pending between bounded
 * steps and ends with its summary so far, exiting 128 + the signal (130 for
 * Ctrl-C). The other commands (check, lessons, ...) keep the default action:
 * they have no summary to print, and a signal ends them even inside a
 * blocking call. A program poolsim starts gets its own mask back
 * (subprocess.h).
 */
#ifndef POOLSIM_INTERRUPT_H
#define POOLSIM_INTERRUPT_H

#include <signal.h>

/* The signals that stop a command: SIGINT and SIGTERM. */
void interrupt_signals(sigset_t *set);

/* interrupt_block: block them in the calling thread (main, first thing); 0 or -1. */
int interrupt_block(void);

/* interrupt_pending: the stop signal waiting (taken), or 0. Cheap: one system call. */
int interrupt_pending(void);

#endif
