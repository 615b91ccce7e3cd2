/*
 * real.c: wires real mode together, as sim.c does for the simulator, and
 * owns the process-level part of it: the descriptor limit.
 */
#include "real.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "client.h"
#include "des.h"
#include "realnet.h"
#include "server.h"

struct real {
	const struct scenario *sc;
	struct server_set *servers;
	struct des *des;
	struct ev_stream stream;
	struct realnet *net;
	struct client *client;
	long fd_limit;
	bool started;
};

/* A scenario may want more conns than the soft limit allows: take what the hard limit gives. */
static long raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

struct real *real_create(const struct scenario *sc, double time_scale, int *err)
{
	*err = 0;
	struct real *r = calloc(1, sizeof(*r));
	if (!r) {
		*err = ENOMEM;
		return NULL;
	}
	r->sc = sc;
	r->fd_limit = raise_fd_limit();
	ev_stream_init(&r->stream);
	r->servers = server_set_start(sc, time_scale, err);
	if (*err < 0)
		*err = -*err; /* the servers report -errno; our callers take errno */
	if (!r->servers)
		goto fail;
	errno = 0;
	r->des = des_create();
	unsigned next_type = 0;
	if (r->des)
		r->net =
		    realnet_create(sc, r->servers, r->des, &r->stream, time_scale, 0, &next_type);
	if (r->net)
		r->client = client_create(sc, r->des, &r->stream, realnet_ops(), r->net, next_type,
		                          &next_type);
	if (!r->client) {
		/* Out of descriptors (an epoll, an eventfd) is not out of memory. */
		*err = errno == EMFILE || errno == ENFILE ? errno : ENOMEM;
		goto fail;
	}
	realnet_attach_client(r->net, r->client);
	return r;
fail:
	if (!*err)
		*err = ENOMEM;
	real_destroy(r);
	return NULL;
}

void real_destroy(struct real *r)
{
	if (!r)
		return;
#ifdef POOLSIM_DEBUG
	des_abort_on_stale_cancels(r->des);
#endif
	client_destroy(r->client);
	realnet_destroy(r->net);
	des_destroy(r->des);
	server_set_stop(r->servers);
	ev_stream_free(&r->stream);
	free(r);
}

int real_add_sink(struct real *r, struct ev_sink sink)
{
	return ev_stream_add_sink(&r->stream, sink);
}

void real_set_check_invariants(struct real *r, bool on)
{
	client_set_check_invariants(r->client, on);
}

int real_start(struct real *r, bool kernel_samples)
{
	if (r->started)
		return 0;
	int rc = realnet_start(r->net, kernel_samples);
	if (rc)
		return rc;
	r->started = true; /* realnet_start started the client */
	return 0;
}

int real_run_until(struct real *r, ps_time limit)
{
	if (client_finished(r->client))
		return 0;
	return realnet_run(r->net, limit);
}

void real_stop(struct real *r, enum run_stop why)
{
	/* The stop happens now on the wall clock, not at the last event's time. */
	ps_time now = realnet_now(r->net);
	des_set_now(r->des, now < r->sc->duration ? now : r->sc->duration);
	client_stop(r->client, why);
}

enum run_stop real_stopped(const struct real *r)
{
	return client_stopped(r->client);
}

ps_time real_now(const struct real *r)
{
	return realnet_now(r->net);
}

void real_pause(struct real *r, bool paused)
{
	realnet_pause(r->net, paused);
	server_set_hold(r->servers, paused);
}

bool real_finished(const struct real *r)
{
	return client_finished(r->client);
}

double real_schedule_lag_ms(const struct real *r, double q)
{
	return (double)realnet_lag_ns(r->net, q) / 1e6;
}

long real_fd_limit(const struct real *r)
{
	return r->fd_limit;
}
