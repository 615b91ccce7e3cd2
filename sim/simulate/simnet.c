/*
 * simnet.c: servers and wires as a model on the virtual clock.
 *
 * A connect takes dial_latency and is refused when it would complete while
 * the host is down (the moment a real connect is refused), then tls_latency
 * for https; a restart fails a TLS handshake in progress. A request reaches
 * the server half the host's rtt after it is sent, and its response is
 * written service_time later (sampled from the host's own random stream) and
 * reaches the client half an rtt after that. What the server does
 * (server_max_requests, its idle clock, close_idle and restart) is
 * server_rules.h's, as for the loopback servers; this file carries it out on
 * the virtual clock. A server's close reaches the client as a FIN half an rtt
 * later (Go's readLoop is parked in Peek on every idle conn, so it learns of
 * the close exactly then); a request sent meanwhile is lost at the closed
 * server and the FIN finds it written: the stale-connection race
 * (docs/model.md, "Transit time"). One sent in the very instant the FIN
 * arrives is the tie, which Go's goroutines settle differently from run to
 * run: drawn per tie from the host's own stream (tie_draw). With rtt = 0
 * every step is carried out at once, in the same handler, as before there
 * was transit time.
 * A connect finds no local port when the client's open sockets and TIME_WAIT
 * to that host fill the ephemeral range (timewait.h): it fails at once.
 * Must not: decide anything about the pool or the server; it only reports to the client.
 */
#include "simnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "rng.h"
#include "server_actions.h"
#include "server_rules.h"
#include "stale_tie.h"
#include "timewait.h"

enum simnet_event_type {
	N_CONNECTED,    /* a = conn, b = conn generation: TCP connect done (or refused) */
	N_TLS_DONE,     /* a = conn, b = generation */
	N_RESPONSE,     /* a = conn, b = generation */
	N_SERVER_IDLE,  /* a = conn, b = generation: server_idle_timeout */
	N_REQ_ARRIVE,   /* a = conn, b = generation: the request reaches the server (rtt > 0) */
	N_RESP_ARRIVE,  /* a = conn, b = generation: the response reaches the client (rtt > 0) */
	N_FIN_ARRIVE,   /* a = conn, b = generation: the server's close reaches the client (rtt > 0)
	                 */
	N_STREAM_DONE,  /* a = request slot, b = request id: an HTTP/2 stream's response */
	N_GOAWAY_CLOSE, /* a = conn, b = generation: the http2 server closes after its GOAWAY */
	N_TYPES
};

enum wire_state { WIRE_NONE, WIRE_CONNECTING, WIRE_TLS, WIRE_OPEN };

/* A FIN on its way to the client (rtt > 0). */
struct fin_entry {
	uint32_t conn, gen;
	ps_time at;
};

/* A host's FINs on their way, e[head..tail): one rtt per host, so their times never decrease. */
struct fin_queue {
	struct fin_entry *e;
	uint32_t head, tail, cap;
};

/* What a request reads of its host here, in one cache line per host (the service time's
 * stream, the FINs on their way, half the rtt), not in three arrays and the scenario's
 * host_spec. A run's rtt does not change (watch's attach mode moves only the dial and TLS
 * latencies, read at each dial). */
struct simhost {
	struct rng rng;        /* service times */
	struct fin_queue fins; /* its FINs on their way */
	ps_time half_rtt;      /* how long a request, a response or a close takes to cross */
};
_Static_assert(sizeof(struct simhost) == 64, "one cache line per host");

struct wire {
	des_timer step;        /* connect, TLS or response in progress */
	des_timer server_idle; /* the server's idle timer */
	uint32_t host;
	uint32_t gen;
	uint32_t served;
	unsigned fin_reason : 8; /* enum ev_reason: why the server closed, for the FIN on its way */
	unsigned state : 2;      /* enum wire_state */
	unsigned tie : 2; /* enum stale_tie: how the tie at its FIN's arrival goes, once drawn */
	unsigned fin_arrived : 1;   /* the server's FIN has reached the client */
	unsigned busy : 1;          /* the server is working on a request */
	unsigned no_port : 1;       /* no ephemeral port was free: the connect fails at once */
	unsigned server_closed : 1; /* the server closed its end (Connection: close) */
	unsigned outstanding : 1; /* the client sent a request whose response has not reached it */
	unsigned resp_close : 1;  /* the response on its way says Connection: close */
	unsigned
	    asked_close : 1; /* the request in progress said Connection: close (Request.Close) */
};
/* One per conn slot: the small fields in one word, 32-bit timer handles, and beside it an
 * HTTP/2 conn's stream count (simnet.h2_streams) and the time its request was sent, which only
 * a host with rtt > 0 needs (simnet.sent_at), keep it at 24 bytes (was 64). */
_Static_assert(sizeof(struct wire) == 24, "struct wire is 24 bytes");
_Static_assert(R_REASON_COUNT <= 256 && WIRE_OPEN < 4 && TIE_FIN_FIRST < 4,
               "they fit their bitfields");

/* Where an HTTP/2 stream runs, by request slot: its wire and that wire's generation. */
struct stream_at {
	uint32_t conn, gen, req_id;
};

struct simnet {
	const struct scenario *sc;
	struct des *des;
	struct ev_stream *stream;
	struct client *client;
	unsigned type_base;
	struct wire *wires;
	uint32_t cap_wires;
	struct simhost *hosts; /* per host, line-aligned */
	bool *request_close;   /* per load: its Request.Close, one byte each (the fifth line of a
	                          load_spec) */
	struct rng *tie_rng;   /* per host: the stale-connection tie's draws (tie_draw) */
	struct server_actions *actions;
	struct stream_at *streams; /* by request slot */
	uint32_t cap_streams;
	uint32_t *h2_streams; /* by conn slot: the HTTP/2 streams its server is working on */
	uint32_t cap_h2_streams;
	/* By conn slot: when the client sent the request it awaits, for the tie as the server's
	 * FIN arrives (on_fin_arrive). Grown only by sends where half the rtt is > 0, the only
	 * wires a FIN takes time to cross; an entry is read only while its wire has a request
	 * outstanding. */
	ps_time *sent_at;
	uint32_t cap_sent_at;
	/* The client's ports and TIME_WAIT, kept from the stream like any view's, so a dial can
	 * find none free (EADDRNOTAVAIL). */
	struct timewait ports;
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

/* ---------------------------------------------------------------- the tie */

/* tie_draw: the tie's outcome (stale_tie.h), from the host's own tie stream. */
static enum stale_tie tie_draw(struct simnet *n, uint32_t host)
{
	return stale_tie_draw(&n->tie_rng[host]);
}

static bool fin_on_its_way(struct simnet *n, const struct fin_entry *f)
{
	return current(n, f->conn, f->gen) && !n->wires[f->conn].fin_arrived;
}

/* fins_forget: drop the host's FINs that arrived, went stale or are past. */
static void fins_forget(struct simnet *n, struct fin_queue *q)
{
	ps_time now = des_now(n->des);
	while (q->head < q->tail && (q->e[q->head].at < now || !fin_on_its_way(n, &q->e[q->head])))
		q->head++;
	if (q->head == q->tail)
		q->head = q->tail = 0;
}

static void fins_add(struct simnet *n, uint32_t host, uint32_t conn, ps_time at)
{
	struct fin_queue *q = &n->hosts[host].fins;
	fins_forget(n, q);
	/* Full: slide down when half of it is spent (amortised O(1)), else grow. */
	if (q->tail == q->cap && q->head > 0 && q->head >= q->cap / 2) {
		memmove(q->e, q->e + q->head, (size_t)(q->tail - q->head) * sizeof(*q->e));
		q->tail -= q->head;
		q->head = 0;
	}
	q->e = grow_to_hold(q->e, &q->cap, sizeof(*q->e), q->tail, 8, NULL);
	q->e[q->tail++] = (struct fin_entry){.conn = conn, .gen = n->wires[conn].gen, .at = at};
}

static void fin_reaches_client(struct simnet *n, uint32_t conn, bool nothing_written)
{
	struct wire *w = &n->wires[conn];
	w->fin_arrived = true;
	client_on_conn_broken(n->client, conn, (enum ev_reason)w->fin_reason, nothing_written);
}

/*
 * sim_before_get_conn: a request of `host` asks the pool now; each idle conn
 * of the host whose FIN arrives now is a tie, drawn here (once per FIN): when
 * the EOF comes first, the FIN is carried out before getConn looks.
 */
static void sim_before_get_conn(void *ctx, uint32_t host)
{
	struct simnet *n = ctx;
	struct fin_queue *q = &n->hosts[host].fins;
	fins_forget(n, q);
	ps_time now = des_now(n->des);
	for (uint32_t i = q->head; i < q->tail && q->e[i].at == now; i++) {
		struct fin_entry f = q->e[i];
		if (!fin_on_its_way(n, &f))
			continue;
		struct wire *w = &n->wires[f.conn];
		if (w->outstanding || w->tie != TIE_UNDRAWN)
			continue;
		w->tie = (uint8_t)tie_draw(n, host);
		if (w->tie == TIE_FIN_FIRST)
			fin_reaches_client(n, f.conn, true);
	}
}

/* ---------------------------------------------------------------- net_ops */

static void sim_dial(void *ctx, uint32_t conn, uint32_t host)
{
	struct simnet *n = ctx;
	struct wire *w = wire_at(n, conn);
	uint32_t gen = w->gen + 1;
	*w = (struct wire){.host = host, .gen = gen, .state = WIRE_CONNECTING};
	if (conn < n->cap_h2_streams)
		n->h2_streams[conn] = 0;
	/* connect(2) fails at once with EADDRNOTAVAIL when no local port is left. */
	w->no_port = timewait_exhausted(&n->ports, host, des_now(n->des));
	w->step = after(n, w->no_port ? 0 : n->sc->hosts[host].dial_latency, N_CONNECTED, conn);
}

/* half_rtt: how long a request, a response or a close takes to cross the wire of `host`. */
static ps_time half_rtt(const struct simnet *n, uint32_t host)
{
	return n->hosts[host].half_rtt;
}

/* serve: the request is at the server; it answers service_time later. */
static void serve(struct simnet *n, uint32_t conn)
{
	struct wire *w = &n->wires[conn];
	const struct host_spec *h = &n->sc->hosts[w->host];
	des_cancel(n->des, &w->server_idle);
	w->busy = true;
	w->served++;
	ps_time own = client_service_of(n->client, conn); /* a replay row's, if it has one */
	w->step = after(n, own >= 0 ? own : rng_dist(&n->hosts[w->host].rng, &h->service_time),
	                N_RESPONSE, conn);
}

static void sim_send(void *ctx, uint32_t conn, uint32_t host, uint32_t load)
{
	struct simnet *n = ctx;
	struct wire *w = wire_at(n, conn);
	w->outstanding = true;
	w->asked_close = n->request_close[load];
	if (half_rtt(n, host) == 0) {
		if (!w->server_closed) /* else lost, as it would be in transit
		                          (close_after_response) */
			serve(n, conn);
		return;
	}
	if (conn >= n->cap_sent_at)
		n->sent_at =
		    grow_to_hold(n->sent_at, &n->cap_sent_at, sizeof(*n->sent_at), conn, 64, NULL);
	n->sent_at[conn] = des_now(n->des);
	after(n, half_rtt(n, host), N_REQ_ARRIVE, conn);
}

/*
 * sim_send_stream: an HTTP/2 stream reaches the server at once (h2 needs
 * rtt = 0 for now) and is answered service_time later, concurrently with the
 * conn's other streams. Go's http2 server stops its idle timer while a
 * stream is open (IdleTimeout, H7's server side).
 */
static void sim_send_stream(void *ctx, uint32_t conn, uint32_t host, uint32_t load,
                            uint32_t req_slot, uint32_t req_id)
{
	struct simnet *n = ctx;
	struct wire *w = wire_at(n, conn);
	if (req_slot >= n->cap_streams)
		n->streams = grow_to_hold(n->streams, &n->cap_streams, sizeof(*n->streams),
		                          req_slot, 64, NULL);
	n->streams[req_slot] = (struct stream_at){.conn = conn, .gen = w->gen, .req_id = req_id};
	if (w->server_closed)
		return; /* lost at a closed server; the FIN tells the client */
	des_cancel(n->des, &w->server_idle);
	if (conn >= n->cap_h2_streams) /* zeroed: no stream */
		n->h2_streams = grow_to_hold(n->h2_streams, &n->cap_h2_streams,
		                             sizeof(*n->h2_streams), conn, 64, NULL);
	n->h2_streams[conn]++;
	w->served++;
	w->busy = true;
	ps_time own = client_service_of_request(n->client, req_slot); /* a replay row's, if any */
	ps_time service =
	    own >= 0 ? own : rng_dist(&n->hosts[host].rng, &n->sc->hosts[host].service_time);
	des_schedule(n->des, ps_time_add(des_now(n->des), service), n->type_base + N_STREAM_DONE,
	             req_slot, req_id);
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
    .send_stream = sim_send_stream,
    .close = sim_close,
    .before_get_conn = sim_before_get_conn,
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
	if (w->no_port) {
		client_on_dial_done(n->client, conn, R_ADDR_NOT_AVAIL);
		return;
	}
	/* down: decided as the connect completes */
	if (server_actions_host_down(n->actions, w->host, des_now(n->des))) {
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
	struct wire *w = &n->wires[conn];
	w->step = DES_NO_TIMER;
	w->state = WIRE_OPEN;
	const struct host_spec *h = &n->sc->hosts[w->host];
	if (h->h2 &&
	    h->server_idle_timeout > 0) /* the http2 server's idle timer runs from accept */
		w->server_idle = after(n, h->server_idle_timeout, N_SERVER_IDLE, conn);
	client_on_dial_done(n->client, conn, R_NONE);
}

/* on_stream_done: the server answers one stream; with none left its idle timer restarts. */
static void on_stream_done(void *ctx, uint32_t req_slot, uint32_t req_id)
{
	struct simnet *n = ctx;
	if (req_slot >= n->cap_streams || n->streams[req_slot].req_id != req_id)
		return;
	struct stream_at at = n->streams[req_slot];
	if (!current(n, at.conn, at.gen))
		return;
	struct wire *w = &n->wires[at.conn];
	const struct host_spec *h = &n->sc->hosts[w->host];
	uint32_t streams = --n->h2_streams[at.conn]; /* its send_stream grew the array */
	w->busy = streams > 0;
	if (streams == 0 && h->server_idle_timeout > 0)
		w->server_idle = after(n, h->server_idle_timeout, N_SERVER_IDLE, at.conn);
	client_on_stream_response(n->client, at.conn, req_slot, req_id);
}

/* deliver_response: the response reaches the client. */
static void deliver_response(struct simnet *n, uint32_t conn, bool server_close)
{
	n->wires[conn].outstanding = false;
	client_on_response(n->client, conn, server_close);
}

/*
 * server_fin: the server closed `conn` for `why`; the client learns of it
 * when the FIN arrives, with the request it sent meanwhile (if any) written.
 */
static void server_fin(struct simnet *n, uint32_t conn, enum ev_reason why)
{
	struct wire *w = &n->wires[conn];
	des_cancel(n->des, &w->server_idle);
	w->server_closed = true;
	if (half_rtt(n, w->host) == 0) {
		client_on_conn_broken(n->client, conn, why, !w->outstanding);
		return;
	}
	w->fin_reason = (uint16_t)why;
	after(n, half_rtt(n, w->host), N_FIN_ARRIVE, conn);
	fins_add(n, w->host, conn, ps_time_add(des_now(n->des), half_rtt(n, w->host)));
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
	bool server_close = server_response_closes(h, w->served - 1, w->asked_close);
	bool hangup = !server_close && h->close_after_response; /* keep-alive promised */
	w->server_closed = server_close || hangup;
	if (!w->server_closed && server_idle_clock_starts(h, w->served))
		w->server_idle = after(n, h->server_idle_timeout, N_SERVER_IDLE, conn);
	if (half_rtt(n, w->host) == 0) {
		deliver_response(n, conn, server_close);
	} else {
		w->resp_close = server_close;
		after(n, half_rtt(n, w->host), N_RESP_ARRIVE, conn);
	}
	if (hangup && current(n, conn, gen))
		server_fin(n, conn, R_SERVER_HANGUP); /* the FIN right behind the response */
}

/*
 * on_server_idle: server_idle_timeout fired. An HTTP/1.1 server closes the
 * conn; Go's http2 server sends GOAWAY (NO_ERROR, idleTimerMsg -> goAway,
 * h2_bundle.go:5007) -- the timer runs only while no stream is open, so none
 * is in flight -- and closes SERVER_H2_GOAWAY_TIMEOUT later. The client retires the
 * conn at the GOAWAY (H8) but it stays open until then.
 */
static void on_server_idle(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (!current(n, conn, gen))
		return;
	struct wire *w = &n->wires[conn];
	w->server_idle = DES_NO_TIMER;
	if (!scenario_host_speaks_h2(n->sc, w->host)) {
		server_fin(n, conn, R_SERVER_IDLE_TIMEOUT);
		return;
	}
	w->step = after(n, SERVER_H2_GOAWAY_TIMEOUT, N_GOAWAY_CLOSE, conn);
	client_on_goaway(n->client, conn, R_SERVER_IDLE_TIMEOUT);
}

static void on_goaway_close(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (!current(n, conn, gen))
		return;
	n->wires[conn].step = DES_NO_TIMER;
	server_fin(n, conn, R_SERVER_IDLE_TIMEOUT);
}

/* on_req_arrive: a request reaches the server; one that finds it closed is lost there. */
static void on_req_arrive(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (current(n, conn, gen) && !n->wires[conn].server_closed)
		serve(n, conn);
}

static void on_resp_arrive(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (current(n, conn, gen))
		deliver_response(n, conn, n->wires[conn].resp_close);
}

static void on_fin_arrive(void *ctx, uint32_t conn, uint32_t gen)
{
	struct simnet *n = ctx;
	if (!current(n, conn, gen))
		return;
	struct wire *w = &n->wires[conn];
	bool written = w->outstanding;
	if (written && conn < n->cap_sent_at && n->sent_at[conn] == des_now(n->des)) { /* the tie */
		enum stale_tie t =
		    w->tie != TIE_UNDRAWN ? (enum stale_tie)w->tie : tie_draw(n, w->host);
		written = t == TIE_WRITTEN;
	}
	fin_reaches_client(n, conn, !written);
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

/* The server-side phase of an established or handshaking wire (server_rules.h). */
static enum server_conn_phase wire_phase(const struct wire *w)
{
	if (w->state == WIRE_TLS)
		return SERVER_CONN_HANDSHAKE;
	return w->busy ? SERVER_CONN_BUSY : SERVER_CONN_WAITING;
}

/* sim_act: close_idle or restart `host`'s server, one conn at a time by server_rules.h. */
static void sim_act(void *ctx, uint32_t host, enum ev_server_action action)
{
	struct simnet *n = ctx;
	enum ev_reason why = action == SRV_RESTART    ? R_SERVER_RESTART
	                     : action == SRV_SEND_408 ? R_SERVER_408
	                                              : R_SERVER_CLOSE_IDLE;
	uint32_t cap = n->cap_wires;
	for (uint32_t conn = 0; conn < cap; conn++) {
		struct wire *w = &n->wires[conn];
		if (w->host != host || w->server_closed ||
		    (w->state != WIRE_TLS && w->state != WIRE_OPEN))
			continue;
		switch (server_action_verdict(action, wire_phase(w), w->served)) {
		case SERVER_FAIL_HANDSHAKE:
			fail_handshake(n, conn);
			break;
		case SERVER_CLOSE:
			server_fin(n, conn, why);
			break;
		case SERVER_SPARE:
			break;
		}
	}
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
	size_t n_hosts = sc->n_hosts ? sc->n_hosts : 1;
	n->hosts = aligned_alloc(sizeof(struct simhost), n_hosts * sizeof(struct simhost));
	if (n->hosts)
		memset(n->hosts, 0, n_hosts * sizeof(struct simhost));
	n->tie_rng = calloc(n_hosts, sizeof(*n->tie_rng));
	n->request_close = calloc(sc->n_loads ? sc->n_loads : 1, sizeof(*n->request_close));
	for (uint32_t l = 0; n->request_close && l < sc->n_loads; l++)
		n->request_close[l] = sc->loads[l].request_close;
	n->actions =
	    server_actions_create(sc, des, stream, sim_act, n, first_type + N_TYPES, next_type);
	if (!n->hosts || !n->tie_rng || !n->request_close || !n->actions ||
	    timewait_init(&n->ports, sc->n_hosts, sc->time_wait,
	                  sc->ephemeral_hi - sc->ephemeral_lo + 1,
	                  sc->transport.DisableKeepAlives) ||
	    ev_stream_add_sink(stream, timewait_sink(&n->ports))) {
		simnet_destroy(n);
		return NULL;
	}
	for (uint32_t h = 0; h < sc->n_hosts; h++) {
		rng_seed(&n->hosts[h].rng, sc->seed, rng_stream_of_host(h));
		n->hosts[h].half_rtt = sc->hosts[h].rtt / 2;
		rng_seed(&n->tie_rng[h], sc->seed, rng_stream_of_tie(h));
	}
	des_on(des, first_type + N_CONNECTED, on_connected, n);
	des_on(des, first_type + N_TLS_DONE, on_tls_done, n);
	des_on(des, first_type + N_RESPONSE, on_response, n);
	des_on(des, first_type + N_SERVER_IDLE, on_server_idle, n);
	des_on(des, first_type + N_REQ_ARRIVE, on_req_arrive, n);
	des_on(des, first_type + N_RESP_ARRIVE, on_resp_arrive, n);
	des_on(des, first_type + N_FIN_ARRIVE, on_fin_arrive, n);
	des_on(des, first_type + N_STREAM_DONE, on_stream_done, n);
	des_on(des, first_type + N_GOAWAY_CLOSE, on_goaway_close, n);
	return n;
}

void simnet_attach_client(struct simnet *n, struct client *c)
{
	n->client = c;
	server_actions_attach_client(n->actions, c);
}

void simnet_start(struct simnet *n)
{
	server_actions_start(n->actions);
}

void simnet_destroy(struct simnet *n)
{
	if (!n)
		return;
	free(n->wires);
	free(n->h2_streams);
	free(n->sent_at);
	free(n->streams);
	free(n->tie_rng);
	free(n->request_close);
	if (n->hosts)
		for (uint32_t h = 0; h < n->sc->n_hosts; h++)
			free(n->hosts[h].fins.e);
	free(n->hosts);
	server_actions_destroy(n->actions);
	timewait_free(&n->ports);
	free(n);
}
