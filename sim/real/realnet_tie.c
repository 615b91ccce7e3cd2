/*
 * realnet_tie.c: the stale-connection tie on real sockets, decided in
 * scenario time as simnet.c decides it (stale_tie.h; docs/model.md, "The tie").
 *
 * The loopback server closes an idle conn at its idle timeout, timed so that
 * its FIN reaches us at the scenario instant the simulator's would: the time
 * we read the response + server_idle_timeout (fin_due; server_conn.c holds
 * its sends back half an rtt). A worker whose think equals that timeout asks
 * for a conn at exactly fin_due: the tie. Left to the loop, real timing
 * settles it (the EOF is read a hair early, or the request goes first), not
 * as Go's goroutines do; so at fin_due the tie is drawn from the host's own
 * stream, seeded as simnet.c seeds it, and carried out: the FIN first (the
 * conn is reported closed before the pool looks), not written (the send
 * reports a nothingWrittenError instead of writing), written (the request
 * goes out, marked lost (HTTP_LOST_HEADER), and the server drops it and
 * closes at its idle timeout: its own clock can part from ours by more than
 * the rtt when a loop lags, so its request_lost alone would not always).
 * An idle-timeout EOF read before fin_due is held until then (RN_FIN), so the
 * loop's latency never decides the tie. Only HTTP/1 conns of hosts with rtt >
 * 0 and a server idle timeout take part; each host keeps its idle conns in a
 * list by fin_due (appended in order: one timeout per host, and the clock
 * never goes back), so finding the conns due now is amortised O(1).
 */
#include "realnet_impl.h"

#include <stdlib.h>

#include "server_rules.h"
#include "stale_tie.h"

int rtie_create(struct realnet *n)
{
	const struct scenario *sc = n->sc;
	uint32_t nh = sc->n_hosts ? sc->n_hosts : 1;
	n->tie_rng = calloc(nh, sizeof *n->tie_rng);
	n->fins_due = calloc(nh, sizeof *n->fins_due);
	if (!n->tie_rng || !n->fins_due)
		return -1;
	for (uint32_t h = 0; h < nh; h++) {
		rng_seed(&n->tie_rng[h], sc->seed, rng_stream_of_tie(h));
		n->fins_due[h] = (struct fin_due_list){.head = PS_NONE, .tail = PS_NONE};
	}
	return 0;
}

void rtie_free(struct realnet *n)
{
	free(n->tie_rng);
	free(n->fins_due);
}

void rtie_forget(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	if (!c->due_listed)
		return;
	struct fin_due_list *l = &n->fins_due[c->host];
	if (c->due_prev == PS_NONE)
		l->head = c->due_next;
	else
		n->conns[c->due_prev].due_next = c->due_next;
	if (c->due_next == PS_NONE)
		l->tail = c->due_prev;
	else
		n->conns[c->due_next].due_prev = c->due_prev;
	c->due_listed = false;
	if (c->fin_held) {
		des_cancel(n->des, &c->timer);
		c->fin_held = false;
	}
}

void rtie_idle(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	const struct host_spec *h = &n->sc->hosts[c->host];
	rtie_forget(n, conn);
	c->tie = TIE_UNDRAWN;
	c->fin_due = PS_TIME_NEVER;
	if (h->rtt <= 0 || !server_idle_clock_starts(h, c->served))
		return;
	c->fin_due = ps_time_add(des_now(n->des), h->server_idle_timeout);
	struct fin_due_list *l = &n->fins_due[c->host];
	c->due_prev = l->tail;
	c->due_next = PS_NONE;
	if (l->tail == PS_NONE)
		l->head = conn;
	else
		n->conns[l->tail].due_next = conn;
	l->tail = conn;
	c->due_listed = true;
}

/* fin_reaches_client: the idle-timeout FIN arrives at fin_due: S1, the server closed idle. */
static void fin_reaches_client(struct realnet *n, uint32_t conn)
{
	rtie_forget(n, conn);
	rconn_report_broken(n, conn, R_SERVER_IDLE_TIMEOUT, true);
}

/*
 * rtie_before_get_conn: a request of `host` asks the pool now; each idle conn
 * whose FIN is due now is a tie, drawn here: when the EOF comes first, the
 * FIN is reported before getConn looks (simnet.c's sim_before_get_conn).
 */
void rtie_before_get_conn(void *net, uint32_t host)
{
	struct realnet *n = net;
	struct fin_due_list *l = &n->fins_due[host];
	ps_time now = des_now(n->des);
	while (l->head != PS_NONE && n->conns[l->head].fin_due < now && !n->conns[l->head].fin_held)
		rtie_forget(n, l->head); /* past: its EOF is on its way, no tie is left */
	uint32_t next;
	for (uint32_t conn = l->head; conn != PS_NONE && n->conns[conn].fin_due <= now;
	     conn = next) {
		struct rconn *c = &n->conns[conn];
		next = c->due_next;
		if (c->fin_due != now || c->tie != TIE_UNDRAWN)
			continue;
		c->tie = (uint8_t)stale_tie_draw(&n->tie_rng[host]);
		if (c->tie == TIE_FIN_FIRST)
			fin_reaches_client(n, conn);
	}
}

/* rtie_hold_fin: an EOF on an idle conn; an idle-timeout FIN read before fin_due waits for it. */
bool rtie_hold_fin(struct realnet *n, uint32_t conn, enum ev_reason why)
{
	struct rconn *c = &n->conns[conn];
	if (!c->due_listed || why != R_SERVER_IDLE_TIMEOUT || des_now(n->des) > c->fin_due)
		return false;
	rconn_set_want(n, conn, 0);
	c->fin_held = true;
	c->timer = des_schedule(n->des, c->fin_due, n->type_base + RN_FIN, conn, c->gen);
	return true;
}

void rtie_on_fin(void *ctx, uint32_t conn, uint32_t gen)
{
	struct realnet *n = ctx;
	if (!rconn_current(n, conn, gen))
		return;
	struct rconn *c = &n->conns[conn];
	c->timer = DES_NO_TIMER;
	c->fin_held = false;
	if (c->state == RC_IDLE)
		fin_reaches_client(n, conn);
}

/* rtie_refuses_send: the request leaving now was drawn "not written" at its tie. */
bool rtie_refuses_send(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	bool refused = c->tie == TIE_NOT_WRITTEN && c->fin_due == des_now(n->des);
	rtie_forget(n, conn);
	c->sent_at = des_now(n->des);
	if (refused)
		rconn_defer_broken(n, conn, R_SERVER_IDLE_TIMEOUT, true);
	return refused;
}

/* rtie_written: the request leaving now was drawn "written" at its tie: lost at the server. */
bool rtie_written(const struct realnet *n, uint32_t conn)
{
	const struct rconn *c = &n->conns[conn];
	return c->tie == TIE_WRITTEN && c->fin_due == c->sent_at;
}

/*
 * rtie_nothing_written: the conn broke while its request was out; one sent at
 * its FIN's very instant whose tie was not drawn yet (it did not come through
 * getConn's look) is drawn now, as simnet.c's on_fin_arrive does.
 */
bool rtie_nothing_written(struct realnet *n, uint32_t conn, bool nothing_written)
{
	struct rconn *c = &n->conns[conn];
	if (nothing_written || c->fin_due == PS_TIME_NEVER || c->sent_at != c->fin_due)
		return nothing_written;
	if (c->tie == TIE_UNDRAWN)
		c->tie = (uint8_t)stale_tie_draw(&n->tie_rng[c->host]);
	return c->tie != TIE_WRITTEN;
}
