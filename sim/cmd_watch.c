/* cmd_watch.c: placeholder until the dashboard lands. */
#include <stdio.h>

#include "commands.h"

int cmd_watch(int argc, char **argv)
{
	fprintf(stderr, "poolsim watch: not built yet\n");
	return 2;
}
