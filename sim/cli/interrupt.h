/*
 * interrupt.h: Ctrl-C and SIGTERM as data a command polls, never as a handler
 * that could strike inside a write or leave a thread half done.
 *
 * main() blocks both before anything else runs, so every thread poolsim
 * starts (the loopback servers) inherits the mask and none of them is ever
 * killed by one; each command polls interrupt_pending between bounded steps
 * and ends with its summary so far, exiting 128 + the signal (130 for
 * Ctrl-C). A program poolsim starts gets its own mask back (subprocess.h).
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
