/*
 * server_actions.c: see server_actions.h.
 */
#include "server_actions.h"

#include <stdlib.h>

enum player_type {
	PLAY_ACTION,  /* a = index into sc->actions */
	PLAY_HOST_UP, /* a = host: a down may be over */
	PLAY_TYPES
};

struct server_actions {
	const struct scenario *sc;
	struct des *des;
	struct ev_stream *stream;
	struct client *client;
	server_action_fn act;
	void *net;
	unsigned type_base;
	ps_time *down_until; /* per host */
};

static void emit_action(struct server_actions *p, uint32_t host, enum ev_server_action action)
{
	struct ps_event ev = ev_make(EV_SERVER_ACTION, des_now(p->des));
	ev.host = host;
	ev.value = action;
	ev_stream_push(p->stream, &ev);
	client_flush(p->client);
}

static void on_action(void *ctx, uint32_t index, uint32_t unused)
{
	struct server_actions *p = ctx;
	const struct server_action_spec *a = &p->sc->actions[index];
	if (ev_action_is_client(a->action)) {
		emit_action(p, PS_NONE, a->action);
		client_on_action(p->client, a);
		return;
	}
	if (a->action != SRV_DOWN) {
		emit_action(p, a->host, a->action);
		p->act(p->net, a->host, a->action);
		return;
	}
	ps_time until = ps_time_add(a->at, a->down_for);
	if (until > p->down_until[a->host])
		p->down_until[a->host] = until;
	emit_action(p, a->host, SRV_DOWN);
	des_schedule(p->des, until, p->type_base + PLAY_HOST_UP, a->host, 0);
}

/* A later down may have moved the end: only the last one's end brings the host up. */
static void on_host_up(void *ctx, uint32_t host, uint32_t unused)
{
	struct server_actions *p = ctx;
	if (des_now(p->des) >= p->down_until[host])
		emit_action(p, host, SRV_UP);
}

struct server_actions *server_actions_create(const struct scenario *sc, struct des *des,
                                             struct ev_stream *stream, server_action_fn act,
                                             void *net, unsigned first_type, unsigned *next_type)
{
	struct server_actions *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->down_until = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof *p->down_until);
	if (!p->down_until) {
		free(p);
		return NULL;
	}
	p->sc = sc;
	p->des = des;
	p->stream = stream;
	p->act = act;
	p->net = net;
	p->type_base = first_type;
	des_on(des, first_type + PLAY_ACTION, on_action, p);
	des_on(des, first_type + PLAY_HOST_UP, on_host_up, p);
	if (next_type)
		*next_type = first_type + PLAY_TYPES;
	return p;
}

void server_actions_attach_client(struct server_actions *p, struct client *c)
{
	p->client = c;
}

void server_actions_start(struct server_actions *p)
{
	for (uint32_t i = 0; i < p->sc->n_actions; i++)
		if (p->sc->actions[i].at < p->sc->duration)
			des_schedule(p->des, p->sc->actions[i].at, p->type_base + PLAY_ACTION, i,
			             0);
}

bool server_actions_host_down(const struct server_actions *p, uint32_t host, ps_time now)
{
	return host < p->sc->n_hosts && now < p->down_until[host];
}

void server_actions_destroy(struct server_actions *p)
{
	if (!p)
		return;
	free(p->down_until);
	free(p);
}
