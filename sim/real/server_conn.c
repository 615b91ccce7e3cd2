/*
 * server_conn.c: one loopback-server connection's life (server_impl.h):
 * its slot and timer, reading requests and writing responses (plain or TLS,
 * through sockio.h), the held-back TLS handshake, and the one way it ends
 * (sconn_close). What the server decides (which response closes, when the idle
 * clock runs, what close_idle and restart close) is server_rules.h's.
 * Runs on the server thread only.
 */
#include "server_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "sockio.h"

/* ---- timers: one per conn at most, on core/heap.h by (deadline, conn index) ---- */

static void timer_cancel(struct server_set *s, uint32_t idx)
{
	heap_remove(&s->timers, idx);
}

/* The heap has room for every conn slot (reserved with conns), so this cannot fail. */
void sconn_timer_arm(struct server_set *s, uint32_t idx, int64_t deadline)
{
	heap_remove(&s->timers, idx);
	heap_push(&s->timers, deadline, idx, idx);
}

static bool timer_armed(const struct server_set *s, uint32_t idx)
{
	return heap_queued(&s->timers, idx);
}

/* ---- connection slots ------------------------------------------------ */

static int conns_grow(struct server_set *s)
{
	uint32_t cap = s->cap_conns ? s->cap_conns * 2 : 64;
	struct sconn *c = realloc(s->conns, cap * sizeof *c);
	if (!c)
		return -ENOMEM;
	s->conns = c;
	if (heap_reserve(&s->timers, cap) < 0)
		return -ENOMEM;
	memset(&s->conns[s->cap_conns], 0, (cap - s->cap_conns) * sizeof *c); /* gen 0, SC_FREE */
	s->cap_conns = cap;
	return 0;
}

uint32_t sconn_alloc(struct server_set *s)
{
	/* Room first, so every number slots hands out has its conn (the loops go to slots_used). */
	if (slots_used(&s->conn_slots) == s->cap_conns && conns_grow(s) < 0)
		return PS_NONE;
	uint32_t idx = slots_try_take(&s->conn_slots);
	if (idx == PS_NONE)
		return PS_NONE;
	struct sconn *c = &s->conns[idx];
	uint32_t gen = c->gen + 1;
	memset(c, 0, offsetof(struct sconn, hdr));
	c->gen = gen;
	c->fd = -1;
	return idx;
}

void sconn_set_want(struct server_set *s, uint32_t idx, unsigned want)
{
	struct sconn *c = &s->conns[idx];
	if (c->want == want)
		return;
	c->want = want;
	poller_mod(s->poller, c->fd, TAG(TAG_CONN, c->gen, idx), want);
}

static void resume_accepting(struct server_set *s)
{
	if (!s->any_paused)
		return;
	s->any_paused = false;
	for (uint32_t i = 0; i < s->n_hosts; i++) {
		if (s->hosts[i].accept_paused) {
			s->hosts[i].accept_paused = false;
			poller_mod(s->poller, s->hosts[i].lfd, TAG(TAG_LISTEN, 0, i), POLLER_READ);
		}
	}
}

/* The counter of a close: the server's four reasons, else (R_NONE) the peer's doing. */
static enum counter close_counter(enum ev_reason why)
{
	switch (why) {
	case R_SERVER_IDLE_TIMEOUT:
		return C_CLOSES_IDLE_TIMEOUT;
	case R_SERVER_CONN_CLOSE:
		return C_CLOSES_CONN_CLOSE;
	case R_SERVER_CLOSE_IDLE:
	case R_SERVER_408:
		return C_CLOSES_CLOSE_IDLE;
	case R_SERVER_HANGUP:
		return C_CLOSES_CONN_CLOSE;
	case R_SERVER_RESTART:
		return C_CLOSES_RESTART;
	default:
		return C_PEER_CLOSES;
	}
}

/*
 * sconn_close: the only way a conn ends. The reason is published before the
 * socket closes so that a client which reads EOF finds it (server_close_reason).
 */
void sconn_close(struct server_set *s, uint32_t idx, enum ev_reason why)
{
	struct sconn *c = &s->conns[idx];
	struct shost *h = &s->hosts[c->host];
	enum counter which = close_counter(why);
	count(h, which, 1);
	if (which != C_PEER_CLOSES) {
		atomic_store_explicit(&h->close_reason[c->peer_port], (unsigned char)why,
		                      memory_order_release);
		count(h, C_CLOSES, 1);
	}
	count(h, C_OPEN, -1);
	timer_cancel(s, idx);
	poller_del(s->poller, c->fd);
	sconn_h2_free(c);
	SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->state = SC_FREE;
	slots_give_back(&s->conn_slots, idx);
	resume_accepting(s);
}

/* ---- I/O, plain or TLS ----------------------------------------------- */

/*
 * After a sockio call: SOCKIO_AGAIN makes *want the conn's poller interest.
 * A pointer, so that it is read after the call that sets it.
 */
static ssize_t io_done(struct server_set *s, uint32_t idx, ssize_t r, const unsigned *want)
{
	if (r == SOCKIO_AGAIN)
		sconn_set_want(s, idx, *want);
	return r;
}

static ssize_t conn_recv(struct server_set *s, uint32_t idx, char *buf, size_t len)
{
	struct sconn *c = &s->conns[idx];
	unsigned want = 0;
	bool peer_gone = false;
	return io_done(s, idx, sockio_read(c->fd, c->ssl, buf, len, &want, &peer_gone), &want);
}

static ssize_t conn_send(struct server_set *s, uint32_t idx, const char *buf, size_t len)
{
	struct sconn *c = &s->conns[idx];
	unsigned want = 0;
	bool peer_gone = false;
	return io_done(s, idx, sockio_write(c->fd, c->ssl, buf, len, &want, &peer_gone), &want);
}

/* What send_408 writes on an idle conn before it closes it (TestTransportIgnores408). */
static const char server_408[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                                 "Content-Length: 0\r\n\r\n";

/* The 408 is written best effort (an idle conn's buffer has room), its reason published first,
 * so the client that reads it finds the server's reason. */
void sconn_hang_up(struct server_set *s, uint32_t idx, enum ev_reason why)
{
	struct sconn *c = &s->conns[idx];
	if (why == R_SERVER_408 && c->state != SC_H2) { /* an HTTP/1.1 answer: never on h2 */
		atomic_store_explicit(&s->hosts[c->host].close_reason[c->peer_port],
		                      (unsigned char)why, memory_order_release);
		conn_send(s, idx, server_408, sizeof server_408 - 1);
	}
	sconn_close(s, idx, why);
}

/* ---- HTTP ------------------------------------------------------------ */

/* The phase server_rules.h decides by. */
static enum server_conn_phase conn_phase(const struct sconn *c)
{
	switch (c->state) {
	case SC_TLS_HELLO:
	case SC_TLS_DELAY:
	case SC_TLS_ACCEPT:
		return SERVER_CONN_HANDSHAKE;
	case SC_READING:
		return c->in_len == 0 && c->body_left == 0 ? SERVER_CONN_WAITING : SERVER_CONN_BUSY;
	case SC_H2:
		return sconn_h2_phase(c);
	default:
		return SERVER_CONN_BUSY;
	}
}

/* sconn_phase_at: the phase at `now`: a request still crossing the wire is not here yet. */
enum server_conn_phase sconn_phase_at(const struct sconn *c, int64_t now)
{
	if (c->state == SC_SERVING && now < c->arrive_at)
		return SERVER_CONN_WAITING;
	return conn_phase(c);
}

/*
 * request_lost: a request has just been read on an idle conn whose idle timer
 * (due when its FIN must reach the client) is armed: did the request, in
 * transit, reach the server only after the server had closed?
 */
static bool request_lost(struct server_set *s, uint32_t idx)
{
	const struct sconn *c = &s->conns[idx];
	int64_t rtt = rtt_ns(s, c->host);
	return c->lost || (rtt > 0 && timer_armed(s, idx) && server_clock(s) >= c->idle_at - rtt);
}

static bool conn_is_idle(const struct sconn *c)
{
	return server_is_idle(conn_phase(c), c->served);
}

static void conn_write(struct server_set *s, uint32_t idx);
static void conn_read(struct server_set *s, uint32_t idx);

/* start_serving: the whole request is in; its response is written rtt + service_time later. */
static void start_serving(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	struct shost *h = &s->hosts[c->host];
	c->state = SC_SERVING;
	int64_t now = server_clock(s), rtt = rtt_ns(s, c->host);
	c->arrive_at = now + rtt / 2;
	/* A replay row's own time, else a draw: the host's stream is drawn as simnet.c draws it. */
	int64_t service =
	    c->own_service >= 0 ? c->own_service : rng_dist(&h->rng, &h->spec->service_time);
	sconn_timer_arm(s, idx, now + rtt + scaled(s, service));
	/* Still read while serving, to see the client go away; a full buffer stops that. */
	sconn_set_want(s, idx, c->in_len < sizeof c->in ? POLLER_READ : 0);
}

/*
 * conn_next_request: a whole request head is buffered: take it and schedule
 * its response after service_time. Returns false (and closes) for what this
 * server does not serve: a malformed head, a chunked body or one over REQUEST_BODY_MAX.
 */
/* method_ok: the request line starts with a method token (capitals) and a space. */
static bool method_ok(const char *in, size_t len)
{
	size_t i = 0;
	while (i < len && in[i] >= 'A' && in[i] <= 'Z')
		i++;
	return i > 0 && i < len && in[i] == ' ';
}

/* take_body: drop what is buffered of the request body; true once it is all in. */
static bool take_body(struct sconn *c)
{
	size_t take = c->body_left < (int64_t)c->in_len ? (size_t)c->body_left : c->in_len;
	memmove(c->in, c->in + take, c->in_len - take);
	c->in_len -= take;
	c->body_left -= (int64_t)take;
	return c->body_left == 0;
}

/* own_service: the request's HTTP_SERVICE_HEADER in ns, or -1 without a valid one. */
static int64_t own_service(const char *head, size_t len)
{
	const char *v = http_find_header(head, len, HTTP_SERVICE_HEADER);
	if (!v)
		return -1;
	char *end;
	errno = 0;
	long long ns = strtoll(v, &end, 10);
	return errno || end == v || ns < 0 || ns > PS_TIME_NEVER / 4 ? -1 : (int64_t)ns;
}

static bool conn_next_request(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	if (c->body_left > 0) {
		if (!take_body(c))
			return false;
		start_serving(s, idx);
		return true;
	}
	char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!end) {
		if (c->in_len == sizeof c->in)
			sconn_close(s, idx, R_NONE);
		return false;
	}
	size_t head = (size_t)(end - c->in) + 4;
	const char *cl = http_find_header(c->in, head, "content-length");
	long body = cl ? strtol(cl, NULL, 10) : 0;
	if (!method_ok(c->in, head) || body < 0 || body > REQUEST_BODY_MAX ||
	    http_find_header(c->in, head, "transfer-encoding")) {
		sconn_close(s, idx, R_NONE);
		return false;
	}
	if (http_find_header(c->in, head, HTTP_LOST_HEADER)) {
		/* Lost at the tie: dropped, and the idle close goes ahead at its time. */
		c->lost = true;
		c->in_len = 0;
		if (!timer_armed(s, idx))
			sconn_timer_arm(s, idx, c->idle_at);
		return false;
	}
	c->asked_close = http_header_has_token(c->in, head, "connection", "close");
	c->own_service = own_service(c->in, head);
	memmove(c->in, c->in + head, c->in_len - head);
	c->in_len -= head;
	c->body_left = body;
	if (!take_body(c))
		return false; /* served once the body is all in: the client's write is done (P11) */
	start_serving(s, idx);
	return true;
}

/* conn_settle: after a response or new bytes, either start the next request or idle. */
static void conn_settle(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	if (c->state != SC_READING)
		return;
	if (c->in_len > 0 && request_lost(s, idx)) {
		c->lost = true; /* the idle timer stays: the close goes ahead */
		c->in_len = 0;
		return;
	}
	if (c->in_len > 0) {
		timer_cancel(s, idx); /* a byte of the next request ends idleness (Go: Peek) */
		conn_next_request(s, idx);
		return;
	}
	const struct host_spec *spec = s->hosts[c->host].spec;
	if (c->body_left > 0)
		return; /* a request is coming in: not idle */
	if (server_idle_clock_starts(spec, c->served) && !timer_armed(s, idx)) {
		c->idle_at = server_clock(s) + scaled(s, spec->server_idle_timeout);
		sconn_timer_arm(s, idx, c->idle_at);
	}
}

static void conn_respond(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	c->close_after = server_response_closes(s->hosts[c->host].spec, c->served, c->asked_close);
	int n =
	    snprintf(c->hdr, sizeof c->hdr,
	             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n",
	             SERVER_BODY_SIZE, c->close_after ? "Connection: close\r\n" : "");
	c->hdr_len = (size_t)n;
	c->out_off = 0;
	c->state = SC_WRITING;
	conn_write(s, idx);
}

static void conn_write(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	size_t total = c->hdr_len + SERVER_BODY_SIZE;
	while (c->out_off < total) {
		bool in_hdr = c->out_off < c->hdr_len;
		const char *p = in_hdr ? c->hdr + c->out_off : s->body + (c->out_off - c->hdr_len);
		size_t len = in_hdr ? c->hdr_len - c->out_off : total - c->out_off;
		ssize_t n = conn_send(s, idx, p, len);
		if (n == SOCKIO_AGAIN)
			return;
		if (n <= 0) {
			sconn_close(s, idx, R_NONE);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->served++;
	count(&s->hosts[c->host], C_REQUESTS, 1);
	if (c->close_after) {
		sconn_close(s, idx, R_SERVER_CONN_CLOSE);
		return;
	}
	if (s->hosts[c->host].spec->close_after_response) {
		sconn_close(s, idx, R_SERVER_HANGUP); /* keep-alive said, then the hang-up */
		return;
	}
	c->state = SC_READING;
	sconn_set_want(s, idx, POLLER_READ);
	conn_read(s, idx); /* TLS may hold decrypted bytes that epoll cannot see */
}

/* conn_read: drain the socket into the buffer; EOF or an error closes. */
static void conn_read(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	while (c->in_len < sizeof c->in) {
		ssize_t n = conn_recv(s, idx, c->in + c->in_len, sizeof c->in - c->in_len);
		if (n == SOCKIO_AGAIN)
			break;
		if (n <= 0) {
			sconn_close(s, idx, R_NONE);
			return;
		}
		c->in_len += (size_t)n;
	}
	if (c->state == SC_READING)
		conn_settle(s, idx);
	else if (c->state == SC_CLOSING)
		c->in_len = 0; /* what reaches a closed server is dropped */
	else if (c->in_len == sizeof c->in)
		sconn_set_want(s, idx, 0);
}

/* ---- TLS with a held-back first flight -------------------------------- */

static void conn_tls_accept(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	int r = SSL_accept(c->ssl);
	if (r == 1 && sconn_h2_chosen(c)) {
		if (sconn_h2_start(s, idx) < 0)
			sconn_close(s, idx, R_NONE);
		return;
	}
	if (r == 1) {
		c->state = SC_READING;
		sconn_set_want(s, idx, POLLER_READ);
		conn_read(s, idx);
		return;
	}
	unsigned want = 0;
	bool peer_gone = false;
	if (io_done(s, idx, sockio_tls_result(c->ssl, r, &want, &peer_gone), &want) != SOCKIO_AGAIN)
		sconn_close(s, idx, R_NONE);
}

/* The ClientHello's first byte is here: answer it only after tls_latency. */
static void conn_tls_hello(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	char b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		sconn_close(s, idx, R_NONE);
		return;
	}
	int64_t delay = scaled(s, s->hosts[c->host].spec->tls_latency);
	c->state = delay > 0 ? SC_TLS_DELAY : SC_TLS_ACCEPT;
	if (delay > 0) {
		/* Interest 0: unread bytes would otherwise wake us over and over. */
		sconn_set_want(s, idx, 0);
		sconn_timer_arm(s, idx, server_clock(s) + delay);
	} else {
		conn_tls_accept(s, idx);
	}
}

/* ---- dispatch -------------------------------------------------------- */

void sconn_on_event(struct server_set *s, uint32_t idx, bool readable, bool writable)
{
	switch (s->conns[idx].state) {
	case SC_TLS_HELLO:
		conn_tls_hello(s, idx);
		break;
	case SC_TLS_DELAY: /* only an error or hang-up can wake a muted conn */
		sconn_close(s, idx, R_NONE);
		break;
	case SC_TLS_ACCEPT:
		conn_tls_accept(s, idx);
		break;
	case SC_READING:
	case SC_SERVING:
	case SC_CLOSING:
		if (s->conns[idx].want == 0)
			sconn_close(s, idx, R_NONE);
		else
			conn_read(s, idx);
		break;
	case SC_WRITING:
		conn_write(s, idx);
		break;
	case SC_H2:
		sconn_h2_on_event(s, idx);
		break;
	case SC_FREE:
		break;
	}
}

void sconn_on_timer(struct server_set *s, uint32_t idx)
{
	switch (s->conns[idx].state) {
	case SC_TLS_DELAY:
		s->conns[idx].state = SC_TLS_ACCEPT;
		conn_tls_accept(s, idx);
		break;
	case SC_SERVING:
		conn_respond(s, idx);
		break;
	case SC_READING:
		if (conn_is_idle(&s->conns[idx]))
			sconn_close(s, idx, R_SERVER_IDLE_TIMEOUT);
		break;
	case SC_CLOSING:
		sconn_hang_up(s, idx, (enum ev_reason)s->conns[idx].closing_why);
		break;
	case SC_H2:
		sconn_h2_on_timer(s, idx);
		break;
	default:
		break;
	}
}
