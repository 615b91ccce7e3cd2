/*
 * sim.c: the discrete-event simulator: one virtual clock (des), the
 * simulated network (simnet) and the shared client, wired together.
 * Owns the run loop and nothing else.
 */
#include "sim.h"

#include <stdlib.h>

#include "client.h"
#include "des.h"
#include "simnet.h"

struct sim {
	const struct scenario *sc;
	struct des *des;
	struct ev_stream stream;
	struct simnet *net;
	struct client *client;
	bool started;
};

struct sim *sim_create(const struct scenario *sc)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sc = sc;
	ev_stream_init(&s->stream);
	s->des = des_create();
	unsigned next_type = 0;
	if (s->des)
		s->net = simnet_create(sc, s->des, &s->stream, 0, &next_type);
	if (s->net)
		s->client = client_create(sc, s->des, &s->stream, simnet_ops(), s->net, next_type,
		                          &next_type);
	if (!s->client) {
		sim_destroy(s);
		return NULL;
	}
	simnet_attach_client(s->net, s->client);
	return s;
}

void sim_destroy(struct sim *s)
{
	if (!s)
		return;
#ifdef POOLSIM_DEBUG
	des_abort_on_stale_cancels(s->des);
#endif
	client_destroy(s->client);
	simnet_destroy(s->net);
	des_destroy(s->des);
	ev_stream_free(&s->stream);
	free(s);
}

int sim_add_sink(struct sim *s, struct ev_sink sink)
{
	return ev_stream_add_sink(&s->stream, sink);
}

void sim_set_check_invariants(struct sim *s, bool on)
{
	client_set_check_invariants(s->client, on);
}

void sim_start(struct sim *s)
{
	if (s->started)
		return;
	s->started = true;
	client_start(s->client);
	simnet_start(s->net);
}

bool sim_finished(const struct sim *s)
{
	return client_finished(s->client);
}

bool sim_overflowed(const struct sim *s)
{
	return client_overflowed(s->client);
}

uint64_t sim_stale_cancels(const struct sim *s)
{
	return des_stale_cancels(s->des);
}

/* run_checked: one event, or the no-progress stop (des.h) when the clock is stuck. */
static bool run_checked(struct sim *s, ps_time limit)
{
	if (des_steps_at_now(s->des) >= DES_STALL_STEPS) {
		client_stop(s->client, RUN_NO_PROGRESS);
		return false;
	}
	return des_step(s->des, limit);
}

bool sim_step(struct sim *s)
{
	if (sim_finished(s))
		return false;
	run_checked(s, PS_TIME_NEVER);
	return !sim_finished(s);
}

bool sim_run_until(struct sim *s, ps_time limit)
{
	while (!sim_finished(s) && run_checked(s, limit))
		;
	return !sim_finished(s);
}

bool sim_run_some(struct sim *s, ps_time limit, uint32_t max_events)
{
	for (uint32_t i = 0; i < max_events && !sim_finished(s); i++)
		if (!run_checked(s, limit))
			return !sim_finished(s) && sim_next_time(s) <= limit;
	return !sim_finished(s) && sim_next_time(s) <= limit;
}

int sim_feed_row(struct sim *s, uint32_t load, const struct replay_row *row)
{
	return client_feed_row(s->client, load, row);
}

void sim_stop(struct sim *s, enum run_stop why)
{
	client_stop(s->client, why);
}

enum run_stop sim_stopped(const struct sim *s)
{
	return client_stopped(s->client);
}

void sim_run(struct sim *s)
{
	sim_run_until(s, PS_TIME_NEVER);
}

ps_time sim_now(const struct sim *s)
{
	return des_now(s->des);
}

ps_time sim_next_time(const struct sim *s)
{
	return sim_finished(s) ? PS_TIME_NEVER : des_next_time(s->des);
}
