/*
 * simnet.c: servers and wires as a model on the virtual clock.
 *
 * A connect takes dial_latency and is refused when it would complete while
 * the host is down (the moment a real connect is refused), then tls_latency
 * for https; a restart fails a TLS handshake in progress. A request reaches the server at once
 * and its response is complete service_time later (sampled from the host's
 * own random stream). The server closes a keep-alive conn that has been idle
 * server_idle_timeout since its last response (never one that has not served
 * yet), and answers the Nth request of a conn with Connection: close when
 * server_max_requests = N. The client notices a server's close at once
 * (Go's readLoop is parked in Peek on every idle conn): docs/model.md.
 * Must not: decide anything about the pool; it only reports to the client.
 */
#include "simnet.h"

#include <stdio.h>
#include <stdlib.h>

#include "grow.h"
#include "rng.h"

enum simnet_event_type {
	N_CONNECTED,      /* a = conn, b = conn generation: TCP connect done (or refused) */
	N_TLS_DONE,       /* a = conn, b = generation */
	N_RESPONSE,       /* a = conn, b = generation */
	N_SERVER_IDLE,    /* a = conn, b = generation: server_idle_timeout */
	N_SCENARIO_EVENT, /* a = [event] index */
	N_HOST_UP,        /* a = host */
	N_TYPES
};

enum wire_state { WIRE_NONE, WIRE_CONNECTING, WIRE_TLS, WIRE_OPEN };

struct wire {
	uint32_t host;
	uint32_t gen;
	uint32_t served;
	des_timer step;        /* connect, TLS or response in progress */
	des_timer server_idle; /* the server's idle timer */
	uint8_t state;
	bool busy;          /* the server is working on a request */
	bool server_closed; /* the server closed its end (Connection: close) */
};

struct simnet {
	const struct scenario *sc;
	struct des *des;
	struct ev_stream *stream;
	struct client *client;
	unsigned type_base;
	struct wire *wires;
	uint32_t cap_wires;
	struct rng *host_rng;
	ps_time *down_until;
};

static struct wire *wire_at(struct simnet *n, uint32_t conn)
{
	if (conn >= n->cap_wires) /* WIRE_NONE is 0: zeroed entries are unused wires */
		n->wires = grow_to_hold(n->wires, &n->cap_wires, sizeof(*n->wires), conn, 64, NULL);
	return &n->wires[conn];
}

static des_timer after(struct simnet *n, ps_time delay, enum simnet_event_type type, uint32_t conn)
{
	return des_schedule(n->des, ps_time_add(des_now(n->des), delay), n->type_base + type, conn,
	                    n->wires[conn].gen);
}

static bool current(struct simnet *n, uint32_t conn, uint32_t gen)
{
	return conn < n->cap_wires && n->wires[conn].state != WIRE_NONE &&
	       n->wires[conn].gen == gen;
}

/* ---------------------------------------------------------------- net_ops */

static void sim_dial(void *ctx, uint32_t conn, uint32_t host)
{
	struct simnet *n = ctx;
	struct wire *w = wire_at(n, conn);
	uint32_t gen = w->gen + 1;
	*w = (struct wire){.host = host, .gen = gen, .state = WIRE_CONNECTING};
	w->step = after(n, n->sc->hosts[host].dial_latency, N_CONNECTED, conn);
}

static void sim_send(void *ctx, uint32_t conn, uint32_t host)
{
	struct simnet *n = ctx;
	struct wire *w = wire_at(n, conn);
	const struct host_spec *h = &n->sc->hosts[host];
	des_cancel(n->des, &w->server_idle);
	w->busy = true;
	w->served++;
	w->step = after(n, rng_dist(&n->host_rng[host], &h->service_time), N_RESPONSE, conn);
}

static void sim_close(void *ctx, uint32_t conn)
{
	struct simnet *n = ctx;
	if (conn >= n->cap_wires)
		return;
	struct wire *w = &n->wires[conn];
	des_cancel(n->des, &w->step);
	des_cancel(n->des, &w->server_idle);
	w->state = WIRE_NONE;
	w->gen++;
}

static const struct net_ops simnet_net_ops = {
    .dial = sim_dial,
    .send = sim_send,
    .close = sim_close,
};

const struct net_ops *simnet_ops(void)
{
	return &simnet_net_ops;
}

/* ---------------------------------------------------------------- handlers */

static void on_connected(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (!current(n, conn, gen))
		return;
	struct wire *w = &n->wires[conn];
	w->step = DES_NO_TIMER;
	if (des_now(n->des) < n->down_until[w->host]) { /* down: decided as the connect completes */
		client_on_dial_done(n->client, conn, R_DIAL_REFUSED);
		return;
	}
	if (n->sc->hosts[w->host].tls) {
		w->state = WIRE_TLS;
		w->step = after(n, n->sc->hosts[w->host].tls_latency, N_TLS_DONE, conn);
		client_on_tls_start(n->client, conn);
		return;
	}
	w->state = WIRE_OPEN;
	client_on_dial_done(n->client, conn, R_NONE);
}

static void on_tls_done(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (!current(n, conn, gen))
		return;
	n->wires[conn].step = DES_NO_TIMER;
	n->wires[conn].state = WIRE_OPEN;
	client_on_dial_done(n->client, conn, R_NONE);
}

static void on_response(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (!current(n, conn, gen))
		return;
	struct wire *w = &n->wires[conn];
	const struct host_spec *h = &n->sc->hosts[w->host];
	w->step = DES_NO_TIMER;
	w->busy = false;
	bool server_close =
	    h->server_max_requests > 0 && w->served >= (uint32_t)h->server_max_requests;
	w->server_closed = server_close;
	/* S1: the server's idle clock starts when it finishes a response. */
	if (!server_close && h->server_idle_timeout > 0)
		w->server_idle = after(n, h->server_idle_timeout, N_SERVER_IDLE, conn);
	client_on_response(n->client, conn, server_close);
}

static void on_server_idle(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (!current(n, conn, gen))
		return;
	n->wires[conn].server_idle = DES_NO_TIMER;
	n->wires[conn].server_closed = true;
	client_on_conn_broken(n->client, conn, R_SERVER_IDLE_TIMEOUT, true);
}

static void emit_action(struct simnet *n, uint32_t host, enum ev_server_action action)
{
	struct ps_event ev = ev_make(EV_SERVER_ACTION, des_now(n->des));
	ev.host = host;
	ev.value = action;
	ev_stream_push(n->stream, &ev);
	client_flush(n->client);
}

/*
 * fail_handshake: the server closed a conn whose TLS handshake was under way;
 * the client's handshake read fails, so its dial does (real sockets: realnet.c
 * tls_step; Go: the dial's tls.Conn.Handshake error).
 */
static void fail_handshake(struct simnet *n, uint32_t conn)
{
	struct wire *w = &n->wires[conn];
	des_cancel(n->des, &w->step);
	w->server_closed = true;
	client_on_dial_done(n->client, conn, R_IO_ERROR);
}

/*
 * server_close_conns: close every open conn of `host` (all, or only those idle
 * server-side); closing all also fails the TLS handshakes under way.
 */
static void server_close_conns(struct simnet *n, uint32_t host, bool idle_only, enum ev_reason why)
{
	uint32_t cap = n->cap_wires;
	for (uint32_t conn = 0; conn < cap; conn++) {
		struct wire *w = &n->wires[conn];
		if (w->host != host || w->server_closed)
			continue;
		if (w->state == WIRE_TLS && !idle_only) {
			fail_handshake(n, conn);
			continue;
		}
		if (w->state != WIRE_OPEN)
			continue;
		/* close_idle acts on conns idle between requests: one that never served is left
		 * (format rules). */
		if (idle_only && (w->busy || w->served == 0))
			continue;
		bool nothing_written = !w->busy;
		des_cancel(n->des, &w->server_idle);
		w->server_closed = true;
		client_on_conn_broken(n->client, conn, why, nothing_written);
	}
}

static void on_scenario_event(void *ctx, uint32_t index, uint32_t unused)
{
	struct simnet *n = ctx;
	const struct event_spec *e = &n->sc->events[index];
	switch (e->action) {
	case ACTION_CLOSE_IDLE:
		emit_action(n, e->host, SRV_CLOSE_IDLE);
		server_close_conns(n, e->host, true, R_SERVER_CLOSE_IDLE);
		break;
	case ACTION_RESTART:
		emit_action(n, e->host, SRV_RESTART);
		server_close_conns(n, e->host, false, R_SERVER_RESTART);
		break;
	case ACTION_DOWN: {
		ps_time until = ps_time_add(e->at, e->down_for);
		if (until > n->down_until[e->host])
			n->down_until[e->host] = until;
		emit_action(n, e->host, SRV_DOWN);
		des_schedule(n->des, until, n->type_base + N_HOST_UP, e->host, 0);
		break;
	}
	}
}

static void on_host_up(void *ctx, uint32_t host, uint32_t unused)
{
	struct simnet *n = ctx;
	if (des_now(n->des) >= n->down_until[host])
		emit_action(n, host, SRV_UP);
}

/* ---------------------------------------------------------------- lifecycle */

struct simnet *simnet_create(const struct scenario *sc, struct des *des, struct ev_stream *stream,
                             unsigned first_type, unsigned *next_type)
{
	struct simnet *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->sc = sc;
	n->des = des;
	n->stream = stream;
	n->type_base = first_type;
	n->host_rng = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof(*n->host_rng));
	n->down_until = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof(*n->down_until));
	if (!n->host_rng || !n->down_until) {
		simnet_destroy(n);
		return NULL;
	}
	for (uint32_t h = 0; h < sc->n_hosts; h++)
		rng_seed(&n->host_rng[h], sc->seed, rng_stream_of_host(h));
	des_on(des, first_type + N_CONNECTED, on_connected, n);
	des_on(des, first_type + N_TLS_DONE, on_tls_done, n);
	des_on(des, first_type + N_RESPONSE, on_response, n);
	des_on(des, first_type + N_SERVER_IDLE, on_server_idle, n);
	des_on(des, first_type + N_SCENARIO_EVENT, on_scenario_event, n);
	des_on(des, first_type + N_HOST_UP, on_host_up, n);
	if (next_type)
		*next_type = first_type + N_TYPES;
	return n;
}

void simnet_attach_client(struct simnet *n, struct client *c)
{
	n->client = c;
}

void simnet_start(struct simnet *n)
{
	for (uint32_t i = 0; i < n->sc->n_events; i++)
		des_schedule(n->des, n->sc->events[i].at, n->type_base + N_SCENARIO_EVENT, i, 0);
}

void simnet_destroy(struct simnet *n)
{
	if (!n)
		return;
	free(n->wires);
	free(n->host_rng);
	free(n->down_until);
	free(n);
}
