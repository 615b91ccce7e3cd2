/*
 * settings.h: the settings a run used, as the --json "settings" object: every
 * key of the scenario after `base`, --set and the defaults, written in the
 * file's own syntax ("90s", "exp:30ms", "800/s") so a value can be pasted back.
 */
#ifndef POOLSIM_SETTINGS_H
#define POOLSIM_SETTINGS_H

#include <stdio.h>

#include "scenario.h"

/* A distribution as the file writes it: "10ms", "exp:10ms", "uniform:5ms..15ms". */
char *settings_dist_text(const struct dist *d, char *buf, size_t size);
/* A rate as the file writes it: "800/s". */
char *settings_rate_text(double per_second, char *buf, size_t size);
/* The "settings" object (no key, no trailing newline); `indent` starts each inner line. */
void settings_print_json(const struct scenario *sc, FILE *out, const char *indent);

#endif
