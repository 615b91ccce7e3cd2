/*
 * cmd_real.c: `poolsim real` and `poolsim compare` (placeholder until the
 * real engine lands).
 */
#include <stdio.h>

#include "commands.h"

int cmd_real(int argc, char **argv)
{
	fprintf(stderr, "poolsim real: not built yet\n");
	return 2;
}

int cmd_compare(int argc, char **argv)
{
	fprintf(stderr, "poolsim compare: not built yet\n");
	return 2;
}
