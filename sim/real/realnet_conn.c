/*
 * realnet_conn.c: one client connection of the real network (realnet_impl.h):
 * its slot (struct rconn, the pool's conn number, with a generation in every
 * des event and poller tag), the dial after dial_latency, the TLS handshake,
 * writing the request and reading the response (http.h) through sockio.h
 * (an HTTP/2 conn's streams are realnet_h2.c's),
 * and how a failure is named and reported to the client (never from inside
 * a net_ops call). Connects only to 127.0.0.1.
 */
#include "realnet_impl.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "grow.h"
#include "sockio.h"

/* ---------------------------------------------------------------- slots */

static struct rconn *rc_at(struct realnet *n, uint32_t conn)
{
	if (conn >= n->cap_conns) {
		uint32_t old;
		n->conns = grow_to_hold(n->conns, &n->cap_conns, sizeof(*n->conns), conn, 64, &old);
		for (uint32_t i = old; i < n->cap_conns; i++) {
			n->conns[i].fd = -1;
			n->conns[i].state = RC_NONE;
		}
	}
	return &n->conns[conn];
}

bool rconn_current(const struct realnet *n, uint32_t conn, uint32_t gen)
{
	return conn < n->cap_conns && n->conns[conn].state != RC_NONE && n->conns[conn].gen == gen;
}

#define TAG(gen, conn) ((((uint64_t)(gen)) << 32) | (conn))

void rconn_set_want(struct realnet *n, uint32_t conn, unsigned want)
{
	struct rconn *c = &n->conns[conn];
	if (c->fd < 0)
		return;
	if (want == 0) {
		if (c->registered)
			poller_del(n->poller, c->fd);
		c->registered = false;
	} else if (!c->registered) {
		c->registered = poller_add(n->poller, c->fd, TAG(c->gen, conn), want) == 0;
	} else if (c->want != want) {
		poller_mod(n->poller, c->fd, TAG(c->gen, conn), want);
	}
	c->want = want;
}

static void release(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	rtie_forget(n, conn);
	des_cancel(n->des, &c->timer);
	rconn_set_want(n, conn, 0);
	rconn_h2_free(c);
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0) {
		realnet_note_fds(n); /* before the close: the most descriptors are open now */
		close(c->fd);
	}
	c->fd = -1;
	c->state = RC_NONE;
	c->gen++;
}

/* The conn is over as far as reports go; only the client's close frees it. */
static void go_dead(struct realnet *n, uint32_t conn)
{
	rtie_forget(n, conn);
	rconn_set_want(n, conn, 0);
	n->conns[conn].state = RC_DEAD;
}

/* ---------------------------------------------------------------- failures */

/*
 * rconn_why_closed: the server publishes why it closed before it closes
 * (server_close_reason), so an EOF or reset can be named exactly; an error
 * the server did not cause is R_IO_ERROR.
 */
enum ev_reason rconn_why_closed(struct realnet *n, uint32_t conn, bool eof)
{
	struct rconn *c = &n->conns[conn];
	enum ev_reason r = server_close_reason(n->servers, c->host, c->local_port);
	if (r == R_SERVER && !eof)
		return R_IO_ERROR;
	return r;
}

/* An exchange (or an idle conn) ended badly: report it, and stop watching. */
void rconn_report_broken(struct realnet *n, uint32_t conn, enum ev_reason why, bool nothing_written)
{
	go_dead(n, conn);
	client_on_conn_broken(n->client, conn, why, nothing_written);
}

static void report_dial_failed(struct realnet *n, uint32_t conn, enum ev_reason why)
{
	go_dead(n, conn);
	client_on_dial_done(n->client, conn, why);
}

/* Inside a net_ops call: report from a des event due now instead. */
void rconn_defer_broken(struct realnet *n, uint32_t conn, enum ev_reason why, bool nothing_written)
{
	struct rconn *c = &n->conns[conn];
	rconn_set_want(n, conn, 0);
	c->state = RC_DEAD;
	c->broken_why = (uint16_t)why;
	c->broken_nothing_written = nothing_written;
	c->timer = des_schedule(n->des, des_now(n->des), n->type_base + RN_BROKEN, conn, c->gen);
}

/* ---------------------------------------------------------------- I/O */

/*
 * After a sockio call: SOCKIO_AGAIN makes *want the conn's poller interest.
 * A pointer, so that it is read after the call that sets it.
 */
static ssize_t io_done(struct realnet *n, uint32_t conn, ssize_t r, const unsigned *want)
{
	if (r == SOCKIO_AGAIN)
		rconn_set_want(n, conn, *want);
	return r;
}

static ssize_t io_read(struct realnet *n, uint32_t conn, char *buf, size_t len, bool *peer_gone)
{
	struct rconn *c = &n->conns[conn];
	unsigned want = 0;
	return io_done(n, conn, sockio_read(c->fd, c->ssl, buf, len, &want, peer_gone), &want);
}

static ssize_t io_write(struct realnet *n, uint32_t conn, const char *buf, size_t len,
                        bool *peer_gone)
{
	struct rconn *c = &n->conns[conn];
	unsigned want = 0;
	return io_done(n, conn, sockio_write(c->fd, c->ssl, buf, len, &want, peer_gone), &want);
}

/* ---------------------------------------------------------------- exchange */

static void response_done(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	bool server_close = c->resp.close;
	c->served++;
	if (server_close) {
		go_dead(n, conn); /* simnet.c too reports nothing more on such a conn */
	} else {
		c->state = RC_IDLE;
		rconn_set_want(n, conn,
		               POLLER_READ); /* an idle conn's EOF is S1's "server closed idle" */
		rtie_idle(n, conn);
	}
	client_on_response(n->client, conn, server_close);
}

/* rconn_read: READING or IDLE and readable: drain the socket into the parser. */
void rconn_read(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	for (;;) {
		bool peer_gone = false;
		ssize_t r = io_read(n, conn, n->scratch, sizeof n->scratch, &peer_gone);
		if (r == SOCKIO_AGAIN)
			return;
		if (r <= 0) {
			if (c->state == RC_READING && http_response_ends_at_eof(&c->resp) &&
			    r == SOCKIO_EOF) {
				response_done(n, conn);
				return;
			}
			/* S1/S2: EOF on an idle conn, or while a response was due. */
			enum ev_reason why =
			    peer_gone ? rconn_why_closed(n, conn, r == SOCKIO_EOF) : R_IO_ERROR;
			if (c->state == RC_IDLE && r == SOCKIO_EOF && rtie_hold_fin(n, conn, why))
				return;
			bool nothing_written =
			    rtie_nothing_written(n, conn, c->state == RC_IDLE || c->out_off == 0);
			rconn_report_broken(n, conn, why, nothing_written);
			return;
		}
		if (c->state == RC_IDLE) { /* unsolicited bytes: Go closes such a conn too */
			/* A 408 is the server's idle close, not an error (readLoopPeekFailLocked's
			 * is408Message: errServerClosedIdle, nothing logged). */
			bool is408 = r >= 12 && memcmp(n->scratch, "HTTP/1.1 408", 12) == 0;
			rconn_report_broken(
			    n, conn, is408 ? rconn_why_closed(n, conn, true) : R_IO_ERROR, true);
			return;
		}
		int done = http_response_feed(&c->resp, n->scratch, (size_t)r);
		if (done < 0) {
			rconn_report_broken(n, conn, R_IO_ERROR, false);
			return;
		}
		if (done) {
			response_done(n, conn);
			return;
		}
	}
}

/*
 * note_own_service: the header lines telling the server a replay row's own
 * service time, and that the request is lost at the tie (`lost`).
 */
static void note_own_service(struct rconn *c, ps_time own, bool lost)
{
	int len = own < 0 ? 0
	                  : snprintf(c->own_service, sizeof c->own_service, "%s: %lld\r\n",
	                             HTTP_SERVICE_HEADER, (long long)own);
	if (len < 0 || (size_t)len >= sizeof c->own_service)
		len = 0;
	if (lost)
		len += snprintf(c->own_service + len, sizeof c->own_service - (size_t)len,
		                "%s: 1\r\n", HTTP_LOST_HEADER);
	c->own_service_len = len > 0 && (size_t)len < sizeof c->own_service ? (uint8_t)len : 0;
}

/*
 * request_piece: the bytes of conn's request from `off` on, up to the next
 * seam: the load's head, the conn's own service line, the rest (CRLF, body).
 */
static const char *request_piece(const struct realnet *n, const struct rconn *c, size_t off,
                                 size_t *avail)
{
	const char *req = n->requests[c->load];
	size_t head_end = n->request_head_end[c->load], own = c->own_service_len;
	if (off < head_end) {
		*avail = head_end - off;
		return req + off;
	}
	if (off < head_end + own) {
		*avail = head_end + own - off;
		return c->own_service + (off - head_end);
	}
	*avail = n->request_len[c->load] + own - off;
	return req + off - own;
}

/* Writes what is left of the request; then reads. `deferred`: called from a net_ops call. */
void rconn_write(struct realnet *n, uint32_t conn, bool deferred)
{
	struct rconn *c = &n->conns[conn];
	size_t len = n->request_len[c->load] + c->own_service_len;
	while (c->out_off < len) {
		bool peer_gone = false;
		size_t avail;
		const char *piece = request_piece(n, c, c->out_off, &avail);
		ssize_t r = io_write(n, conn, piece, avail, &peer_gone);
		if (r == SOCKIO_AGAIN)
			return;
		if (r <= 0) {
			enum ev_reason why =
			    peer_gone ? rconn_why_closed(n, conn, false) : R_IO_ERROR;
			if (deferred)
				rconn_defer_broken(n, conn, why, c->out_off == 0);
			else
				rconn_report_broken(n, conn, why, c->out_off == 0);
			return;
		}
		c->out_off += (size_t)r;
	}
	c->state = RC_READING;
	rconn_set_want(n, conn, POLLER_READ);
	/* TLS may already hold decrypted response bytes; the next readiness event reads them. */
}

/* ---------------------------------------------------------------- dial */

static enum ev_reason socket_error_reason(int err)
{
	switch (err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL: /* out of ephemeral ports */
	case EAGAIN:
		return R_RESOURCE;
	case ECONNREFUSED:
		return R_DIAL_REFUSED;
	default:
		return R_IO_ERROR;
	}
}

void rconn_tls_step(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	ERR_clear_error();
	int r = SSL_connect(c->ssl);
	if (r == 1 && scenario_host_speaks_h2(n->sc, c->host)) {
		/* The pool counts this conn as HTTP/2 (H1): it must be, or the dial fails. */
		if (!rconn_h2_chosen(c) || rconn_h2_start(n, conn) < 0)
			report_dial_failed(n, conn, R_IO_ERROR);
		else
			client_on_dial_done(n->client, conn, R_NONE);
		return;
	}
	if (r == 1) {
		c->state = RC_IDLE;
		rconn_set_want(n, conn, POLLER_READ);
		client_on_dial_done(n->client, conn, R_NONE);
		return;
	}
	bool peer_gone = false;
	unsigned want = 0;
	if (io_done(n, conn, sockio_tls_result(c->ssl, r, &want, &peer_gone), &want) !=
	    SOCKIO_AGAIN)
		report_dial_failed(n, conn, R_IO_ERROR);
}

static void connected(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	realnet_note_fds(n);
	realnet_note_established(n);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	if (getsockname(c->fd, (struct sockaddr *)&a, &len) == 0)
		c->local_port = ntohs(a.sin_port);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* Go's default */
	if (!n->sc->hosts[c->host].tls) {
		c->state = RC_IDLE;
		rconn_set_want(n, conn, POLLER_READ);
		client_on_dial_done(n->client, conn, R_NONE);
		return;
	}
	c->ssl = n->tls ? SSL_new(n->tls) : NULL;
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
		report_dial_failed(n, conn, R_RESOURCE);
		return;
	}
	if (scenario_host_speaks_h2(n->sc, c->host))
		rconn_h2_offer(c);
	c->state = RC_TLS;
	uint32_t gen = c->gen;
	client_on_tls_start(n->client, conn);
	if (rconn_current(n, conn, gen) && n->conns[conn].state == RC_TLS)
		rconn_tls_step(n, conn);
}

/* RN_DIAL: dial_latency has passed. */
void rconn_on_dial(void *ctx, uint32_t conn, uint32_t gen)
{
	struct realnet *n = ctx;
	if (!rconn_current(n, conn, gen))
		return;
	struct rconn *c = &n->conns[conn];
	c->timer = DES_NO_TIMER;
	/* `down` is decided now, as the connect would complete: as in simnet.c, and as the kernel
	 * does. */
	if (server_actions_host_down(n->actions, c->host, des_now(n->des))) {
		report_dial_failed(n, conn, R_DIAL_REFUSED);
		return;
	}
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		report_dial_failed(n, conn, socket_error_reason(errno));
		return;
	}
	realnet_note_fds(n);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(server_port(n->servers, c->host))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* the only address real mode ever dials */
	if (connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0) {
		connected(n, conn);
	} else if (errno == EINPROGRESS || errno == EINTR) {
		c->state = RC_CONNECTING;
		rconn_set_want(n, conn, POLLER_WRITE);
		if (!c->registered)
			report_dial_failed(n, conn, R_RESOURCE);
	} else {
		report_dial_failed(n, conn, socket_error_reason(errno));
	}
}

void rconn_on_connect_ready(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0)
		connected(n, conn);
	else
		report_dial_failed(n, conn, socket_error_reason(err));
}

void rconn_on_broken(void *ctx, uint32_t conn, uint32_t gen)
{
	struct realnet *n = ctx;
	if (!rconn_current(n, conn, gen))
		return;
	struct rconn *c = &n->conns[conn];
	c->timer = DES_NO_TIMER;
	client_on_conn_broken(n->client, conn, (enum ev_reason)c->broken_why,
	                      c->broken_nothing_written);
}

/* ---------------------------------------------------------------- net_ops */

static void rn_dial(void *ctx, uint32_t conn, uint32_t host)
{
	struct realnet *n = ctx;
	struct rconn *c = rc_at(n, conn);
	if (c->state != RC_NONE)
		release(n,
		        conn); /* the client reuses a slot only after closing it; be safe anyway */
	c->host = host;
	c->state = RC_DIAL_WAIT;
	c->want = 0;
	c->registered = false;
	c->local_port = 0;
	c->served = 0;
	c->fin_due = PS_TIME_NEVER;
	c->tie = 0;
	c->fin_held = false;
	c->due_listed = false;
	c->timer =
	    des_schedule(n->des, ps_time_add(des_now(n->des), n->sc->hosts[host].dial_latency),
	                 n->type_base + RN_DIAL, conn, c->gen);
}

static void rn_send(void *ctx, uint32_t conn, uint32_t host, uint32_t load)
{
	struct realnet *n = ctx;
	if (conn >= n->cap_conns)
		return;
	struct rconn *c = &n->conns[conn];
	if (c->state != RC_IDLE) {
		/* The server closed it and we already said so, or a report is on its way. */
		if (c->state != RC_DEAD)
			rconn_defer_broken(n, conn, R_IO_ERROR, true);
		return;
	}
	if (rtie_refuses_send(n, conn))
		return;
	c->state = RC_SENDING;
	c->load = load;
	c->out_off = 0;
	note_own_service(c, client_service_of(n->client, conn), rtie_written(n, conn));
	http_response_begin(&c->resp);
	rconn_write(n, conn, true);
}

static void rn_close(void *ctx, uint32_t conn)
{
	struct realnet *n = ctx;
	if (conn < n->cap_conns && n->conns[conn].state != RC_NONE)
		release(n, conn);
}

static const struct net_ops realnet_net_ops = {
    .dial = rn_dial,
    .send = rn_send,
    .send_stream = rconn_h2_send_stream,
    .close = rn_close,
    .before_get_conn = rtie_before_get_conn,
};

const struct net_ops *realnet_ops(void)
{
	return &realnet_net_ops;
}
