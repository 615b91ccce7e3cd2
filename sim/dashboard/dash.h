/*
 * dash.h: the live dashboard (`poolsim watch`): the screen and its input loop.
 *
 * dash.c is the only file that includes ncurses. It draws one pane per struct
 * view (two side by side with --compare) and paces the engines through the
 * struct dash_driver callbacks, so it knows nothing of how a simulator or the
 * real engine is stepped; cmd_watch.c owns the engines and the command line.
 */
#ifndef POOLSIM_DASH_H
#define POOLSIM_DASH_H

#include "view.h"

#define DASH_MAX_PANES 2
#define DASH_FPS       30

/* One side of the screen: a view and the label of what feeds it. */
struct dash_pane {
	struct view *view;
	const char *mode; /* "sim", "real" */
	const char
	    *note; /* shown beside the mode (e.g. what stands in for a missing engine); or NULL */
};

/*
 * What the loop asks of the engines. Every callback gets `ctx`. The engines
 * push their records into the panes' views themselves (view_sink).
 */
struct dash_driver {
	void *ctx;
	/* Run every engine to scenario time `t` (non-blocking beyond that); false once all ended.
	 */
	bool (*run_until)(void *ctx, ps_time t);
	/* One event forward while paused; false once all ended. */
	bool (*step)(void *ctx);
	/* The scenario time every engine has reached (the least of them). */
	ps_time (*now)(void *ctx);
	bool (*finished)(void *ctx);
	/* Re-create the engines and the views, refilling the panes in place. 0, or -1 on failure.
	 */
	int (*restart)(void *ctx);
	/*
	 * Pause or resume (NULL: nothing to do). Real sockets hold their clock: no new
	 * request starts, in-flight ones finish; run_until then only serves them.
	 */
	void (*pause)(void *ctx, bool paused);
	/* The scenario time pane `i`'s engine has reached (NULL: its view's latest record). */
	ps_time (*pane_now)(void *ctx, int i);
};

struct dash_config {
	const char *title;
	double speed; /* scenario seconds per wall second; 0 = as fast as possible */
	long frames;  /* quit after this many frames (headless tests); 0 = until q */
	struct dash_pane *panes;
	int n_panes;         /* 1 or 2 */
	bool wall_clock;     /* real sockets: the wall clock sets the pace; + and - are refused */
	const char *changed; /* what --set changed ("MaxIdleConnsPerHost=20"), shown by the title */
	bool teach;          /* teaching mode: pause at each view's teach_pending, explain, go on */
	const char *lesson_text; /* the lesson's Shows/Watch/Next paragraphs, '\n' apart, or NULL */
};

/* dash_run's failures; success is the process exit status (0 on q, 128+signal on SIGINT/SIGTERM).
 */
enum dash_error {
	DASH_ERR_TERMINAL = -1, /* the terminal could not be set up (TERM unknown ...) */
	DASH_ERR_ENGINE = -2,   /* restart failed */
	DASH_ERR_SYSTEM = -3,   /* signalfd or poll failed */
};

/*
 * dash_run: take over the terminal until q, a signal, cfg->frames frames or
 * an error, and always give it back as it was. Never prints outside curses;
 * the caller prints any error after it returns.
 */
int dash_run(const struct dash_config *cfg, const struct dash_driver *drv);

#endif
