/*
 * server.c: real mode's loopback HTTP/1.1 servers (server.h).
 *
 * One thread serves every host: listeners, connections, timers (core/heap.h:
 * connection indices keyed by deadline) and a command eventfd.
 * Only that thread touches connections; the main thread only sets command
 * flags, reads atomics and, after the thread is joined, frees everything.
 * It must bind 127.0.0.1 only, write no file and never print.
 */
#include "http.h"
#include "poller.h"
#include "server.h"
#include "sockio.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "heap.h"
#include "slots.h"
#include "rng.h"
#include "server_rules.h"
#include "tlscert.h"

#define SERVER_IN_MAX       2048
#define SERVER_HDR_MAX      160
#define SERVER_ACCEPT_BURST 64
#define SERVER_PORTS        65536u

/* poller tags: kind in the top byte, a generation, then the index. */
enum tag_kind { TAG_WAKE = 1, TAG_LISTEN = 2, TAG_CONN = 3 };
#define TAG(kind, gen, idx) (((uint64_t)(kind) << 56) | (((uint64_t)(gen)&0xffffffu) << 32) | (idx))
#define TAG_KIND(t)         ((unsigned)((t) >> 56))
#define TAG_GEN(t)          ((uint32_t)(((t) >> 32) & 0xffffffu))
#define TAG_IDX(t)          ((uint32_t)(t))

enum cmd_bits { CMD_CLOSE_IDLE = 1u, CMD_RESTART = 2u };

/* Counter slots of a host, in the order of struct server_counters. */
enum counter {
	C_ACCEPTED,
	C_REQUESTS,
	C_CLOSES,
	C_CLOSES_IDLE_TIMEOUT,
	C_CLOSES_CONN_CLOSE,
	C_CLOSES_CLOSE_IDLE,
	C_CLOSES_RESTART,
	C_PEER_CLOSES,
	C_OPEN,
	C_COUNT
};

/*
 * A connection's life: (TLS: HELLO -> DELAY -> ACCEPT ->) READING -> SERVING
 * -> WRITING -> READING ... It is idle, for server_idle_timeout and
 * close_idle, when READING with nothing buffered after at least one response.
 * At most one timer at a time, its meaning given by the state: DELAY ends the
 * held-back handshake, SERVING sends the response, READING closes the idle conn,
 * CLOSING closes the socket.
 *
 * Transit time ([host] rtt): loopback is instant, so the server holds back
 * what it sends by half an rtt and takes what it reads as arriving half an
 * rtt later. A response is written rtt + service_time after its request is
 * read; a close_idle or restart closes the socket half an rtt after it was
 * decided (CLOSING); the idle timer fires at the moment its FIN must reach
 * the client, so a request read within rtt of it has, in the server's own
 * time, arrived after the close: it is dropped (`lost`) and the close goes
 * ahead, the stale-connection race of simnet.c on real sockets.
 */
enum sconn_state {
	SC_FREE,
	SC_TLS_HELLO,
	SC_TLS_DELAY,
	SC_TLS_ACCEPT,
	SC_READING,
	SC_SERVING,
	SC_WRITING,
	SC_CLOSING, /* closed by the server, its FIN held back half an rtt (transit time) */
};

struct sconn {
	int fd;
	enum sconn_state state;
	uint32_t host;
	uint32_t gen;
	unsigned want;
	uint16_t peer_port;
	bool close_after;    /* the response being written says Connection: close */
	bool asked_close;    /* the request said Connection: close */
	bool lost;           /* a request arrived after the server's close: input is dropped */
	uint8_t closing_why; /* CLOSING: enum ev_reason of the close */
	int64_t arrive_at;   /* SERVING: when the request reaches the server (monotonic ns) */
	int64_t idle_at;     /* READING: when the idle timer fires, if armed */
	int64_t body_left;   /* READING: bytes of the request body still to come */
	SSL *ssl;
	uint64_t served;
	size_t in_len;
	size_t hdr_len, out_off; /* written so far of header + body */
	char hdr[SERVER_HDR_MAX];
	char in[SERVER_IN_MAX];
};

struct shost {
	const struct host_spec *spec;
	int lfd;
	uint16_t port;
	bool accept_paused; /* out of descriptors: listener muted until a conn closes */
	struct rng rng;
	atomic_uint pending; /* enum cmd_bits */
	atomic_uint_fast64_t counters[C_COUNT];
	atomic_uchar *close_reason; /* SERVER_PORTS entries, by client port: enum ev_reason */
};

struct server_set {
	const struct scenario *sc;
	double scale;
	struct tlscert *tls;
	struct shost *hosts;
	uint32_t n_hosts;
	struct poller *poller;
	int wake_fd;
	atomic_bool stop;
	bool thread_started;
	bool any_paused;
	pthread_t thread;
	struct sconn *conns;
	uint32_t cap_conns;
	struct slots conn_slots; /* numbers the conns (slots.h) */
	struct heap timers;      /* conn indices by deadline (monotonic ns) */
	struct poller_event events[POLLER_BATCH];
	char body[SERVER_BODY_SIZE];
};

static void count(struct shost *h, enum counter c, int64_t delta)
{
	atomic_fetch_add_explicit(&h->counters[c], (uint_fast64_t)delta, memory_order_relaxed);
}

static int64_t scaled(const struct server_set *s, ps_time d)
{
	double v = (double)d * s->scale;
	if (v <= 0)
		return 0;
	return v >= 9e18 ? INT64_MAX / 2 : (int64_t)(v + 0.5);
}

/* rtt_ns: the host's round trip, scaled (0: no transit time). */
static int64_t rtt_ns(const struct server_set *s, uint32_t host)
{
	return scaled(s, s->hosts[host].spec->rtt);
}

/* ---- timers: one per conn at most, on core/heap.h by (deadline, conn index) ---- */

static void timer_cancel(struct server_set *s, uint32_t idx)
{
	heap_remove(&s->timers, idx);
}

/* The heap has room for every conn slot (reserved with conns), so this cannot fail. */
static void timer_arm(struct server_set *s, uint32_t idx, int64_t deadline)
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

static uint32_t conn_alloc(struct server_set *s)
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

static void set_want(struct server_set *s, uint32_t idx, unsigned want)
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
		return C_CLOSES_CLOSE_IDLE;
	case R_SERVER_RESTART:
		return C_CLOSES_RESTART;
	default:
		return C_PEER_CLOSES;
	}
}

/*
 * conn_close: the only way a conn ends. The reason is published before the
 * socket closes so that a client which reads EOF finds it (server_close_reason).
 */
static void conn_close(struct server_set *s, uint32_t idx, enum ev_reason why)
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
		set_want(s, idx, *want);
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
	default:
		return SERVER_CONN_BUSY;
	}
}

/* conn_phase_at: the phase at `now`: a request still crossing the wire is not here yet. */
static enum server_conn_phase conn_phase_at(const struct sconn *c, int64_t now)
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
static bool request_lost(const struct server_set *s, uint32_t idx)
{
	const struct sconn *c = &s->conns[idx];
	int64_t rtt = rtt_ns(s, c->host);
	return c->lost || (rtt > 0 && timer_armed(s, idx) && poller_clock_ns() >= c->idle_at - rtt);
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
	int64_t now = poller_clock_ns(), rtt = rtt_ns(s, c->host);
	c->arrive_at = now + rtt / 2;
	timer_arm(s, idx, now + rtt + scaled(s, rng_dist(&h->rng, &h->spec->service_time)));
	/* Still read while serving, to see the client go away; a full buffer stops that. */
	set_want(s, idx, c->in_len < sizeof c->in ? POLLER_READ : 0);
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
			conn_close(s, idx, R_NONE);
		return false;
	}
	size_t head = (size_t)(end - c->in) + 4;
	const char *cl = http_find_header(c->in, head, "content-length");
	long body = cl ? strtol(cl, NULL, 10) : 0;
	if (!method_ok(c->in, head) || body < 0 || body > REQUEST_BODY_MAX ||
	    http_find_header(c->in, head, "transfer-encoding")) {
		conn_close(s, idx, R_NONE);
		return false;
	}
	c->asked_close = http_header_has_token(c->in, head, "connection", "close");
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
		c->idle_at = poller_clock_ns() + scaled(s, spec->server_idle_timeout);
		timer_arm(s, idx, c->idle_at);
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
			conn_close(s, idx, R_NONE);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->served++;
	count(&s->hosts[c->host], C_REQUESTS, 1);
	if (c->close_after) {
		conn_close(s, idx, R_SERVER_CONN_CLOSE);
		return;
	}
	c->state = SC_READING;
	set_want(s, idx, POLLER_READ);
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
			conn_close(s, idx, R_NONE);
			return;
		}
		c->in_len += (size_t)n;
	}
	if (c->state == SC_READING)
		conn_settle(s, idx);
	else if (c->state == SC_CLOSING)
		c->in_len = 0; /* what reaches a closed server is dropped */
	else if (c->in_len == sizeof c->in)
		set_want(s, idx, 0);
}

/* ---- TLS with a held-back first flight -------------------------------- */

static void conn_tls_accept(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	int r = SSL_accept(c->ssl);
	if (r == 1) {
		c->state = SC_READING;
		set_want(s, idx, POLLER_READ);
		conn_read(s, idx);
		return;
	}
	unsigned want = 0;
	bool peer_gone = false;
	if (io_done(s, idx, sockio_tls_result(c->ssl, r, &want, &peer_gone), &want) != SOCKIO_AGAIN)
		conn_close(s, idx, R_NONE);
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
		conn_close(s, idx, R_NONE);
		return;
	}
	int64_t delay = scaled(s, s->hosts[c->host].spec->tls_latency);
	c->state = delay > 0 ? SC_TLS_DELAY : SC_TLS_ACCEPT;
	if (delay > 0) {
		/* Interest 0: unread bytes would otherwise wake us over and over. */
		set_want(s, idx, 0);
		timer_arm(s, idx, poller_clock_ns() + delay);
	} else {
		conn_tls_accept(s, idx);
	}
}

/* ---- dispatch -------------------------------------------------------- */

static void conn_on_event(struct server_set *s, uint32_t idx, bool readable, bool writable)
{
	switch (s->conns[idx].state) {
	case SC_TLS_HELLO:
		conn_tls_hello(s, idx);
		break;
	case SC_TLS_DELAY: /* only an error or hang-up can wake a muted conn */
		conn_close(s, idx, R_NONE);
		break;
	case SC_TLS_ACCEPT:
		conn_tls_accept(s, idx);
		break;
	case SC_READING:
	case SC_SERVING:
	case SC_CLOSING:
		if (s->conns[idx].want == 0)
			conn_close(s, idx, R_NONE);
		else
			conn_read(s, idx);
		break;
	case SC_WRITING:
		conn_write(s, idx);
		break;
	case SC_FREE:
		break;
	}
}

static void conn_on_timer(struct server_set *s, uint32_t idx)
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
			conn_close(s, idx, R_SERVER_IDLE_TIMEOUT);
		break;
	case SC_CLOSING:
		conn_close(s, idx, (enum ev_reason)s->conns[idx].closing_why);
		break;
	default:
		break;
	}
}

static void host_accept(struct server_set *s, uint32_t host)
{
	struct shost *h = &s->hosts[host];
	for (int i = 0; i < SERVER_ACCEPT_BURST; i++) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		int fd =
		    accept4(h->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				h->accept_paused = s->any_paused = true;
				poller_mod(s->poller, h->lfd, TAG(TAG_LISTEN, 0, host), 0);
			}
			return;
		}
		uint32_t idx = conn_alloc(s);
		if (idx == PS_NONE) {
			close(fd);
			return;
		}
		struct sconn *c = &s->conns[idx];
		c->fd = fd;
		c->host = host;
		c->peer_port = ntohs(peer.sin_port);
		c->state = h->spec->tls ? SC_TLS_HELLO : SC_READING;
		c->want = POLLER_READ;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (h->spec->tls) {
			c->ssl = SSL_new(tlscert_server_ctx(s->tls));
			if (c->ssl)
				SSL_set_fd(c->ssl, fd);
		}
		atomic_store_explicit(&h->close_reason[c->peer_port], R_NONE, memory_order_relaxed);
		count(h, C_ACCEPTED, 1);
		count(h, C_OPEN, 1);
		if ((h->spec->tls && !c->ssl) ||
		    poller_add(s->poller, fd, TAG(TAG_CONN, c->gen, idx), POLLER_READ) < 0)
			conn_close(s, idx, R_NONE);
	}
}

/*
 * server_close_later: the server closes `idx` for `why` now; its FIN reaches
 * the client half an rtt later, so the socket closes then (at once without rtt).
 */
static void server_close_later(struct server_set *s, uint32_t idx, enum ev_reason why)
{
	struct sconn *c = &s->conns[idx];
	int64_t half = rtt_ns(s, c->host) / 2;
	if (half == 0 || c->state == SC_TLS_HELLO || c->state == SC_TLS_DELAY ||
	    c->state == SC_TLS_ACCEPT) {
		conn_close(s, idx, why);
		return;
	}
	c->state = SC_CLOSING;
	c->closing_why = (uint8_t)why;
	c->in_len = 0;
	set_want(s, idx, POLLER_READ);
	timer_arm(s, idx, poller_clock_ns() + half);
}

static void run_commands(struct server_set *s)
{
	uint64_t v;
	while (read(s->wake_fd, &v, sizeof v) > 0)
		;
	for (uint32_t host = 0; host < s->n_hosts; host++) {
		unsigned cmd = atomic_exchange(&s->hosts[host].pending, 0u);
		if (!cmd)
			continue;
		for (uint32_t i = 0; i < slots_used(&s->conn_slots); i++) {
			struct sconn *c = &s->conns[i];
			if (c->state == SC_FREE || c->state == SC_CLOSING || c->host != host)
				continue;
			enum ev_server_action action =
			    (cmd & CMD_RESTART) ? SRV_RESTART : SRV_CLOSE_IDLE;
			enum server_conn_phase phase = conn_phase_at(c, poller_clock_ns());
			if (server_action_verdict(action, phase, c->served) != SERVER_SPARE)
				server_close_later(s, i,
				                   action == SRV_RESTART ? R_SERVER_RESTART
				                                         : R_SERVER_CLOSE_IDLE);
		}
	}
}

static void run_timers(struct server_set *s)
{
	int64_t now = poller_clock_ns();
	const struct heap_entry *due;
	while ((due = heap_top(&s->timers)) && due->at <= now) {
		uint32_t idx = due->id;
		heap_pop(&s->timers);
		conn_on_timer(s, idx);
	}
}

static void dispatch(struct server_set *s, const struct poller_event *ev)
{
	uint32_t idx = TAG_IDX(ev->tag);
	switch (TAG_KIND(ev->tag)) {
	case TAG_WAKE:
		run_commands(s);
		break;
	case TAG_LISTEN:
		host_accept(s, idx);
		break;
	case TAG_CONN:
		/* A conn closed earlier in this batch may have been reused: check the generation.
		 */
		if (idx < slots_used(&s->conn_slots) && s->conns[idx].state != SC_FREE &&
		    (s->conns[idx].gen & 0xffffffu) == TAG_GEN(ev->tag))
			conn_on_event(s, idx, ev->readable, ev->writable);
		break;
	default:
		break;
	}
}

static void *server_thread(void *arg)
{
	struct server_set *s = arg;
	/* SSL_write cannot pass MSG_NOSIGNAL; a SIGPIPE it raises stays pending on this thread. */
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	while (!atomic_load(&s->stop)) {
		run_timers(s);
		int64_t timeout = -1;
		const struct heap_entry *next = heap_top(&s->timers);
		if (next) {
			timeout = next->at - poller_clock_ns();
			if (timeout < 0)
				timeout = 0;
		}
		int n = poller_wait(s->poller, timeout, s->events, POLLER_BATCH);
		for (int i = 0; i < n && !atomic_load(&s->stop); i++)
			dispatch(s, &s->events[i]);
	}
	return NULL;
}

/* ---- start, stop, commands ------------------------------------------- */

static int host_listen(struct server_set *s, uint32_t host)
{
	struct shost *h = &s->hosts[host];
	h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0)
		return -errno;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(h->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(h->lfd, SOMAXCONN) < 0 ||
	    getsockname(h->lfd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	h->port = ntohs(a.sin_port);
	return poller_add(s->poller, h->lfd, TAG(TAG_LISTEN, 0, host), POLLER_READ);
}

static int set_init(struct server_set *s, const struct scenario *sc)
{
	bool tls = false;
	for (uint32_t i = 0; i < sc->n_hosts; i++)
		tls = tls || sc->hosts[i].tls;
	if (tls && !(s->tls = tlscert_create()))
		return -EPROTO;
	s->hosts = calloc(sc->n_hosts ? sc->n_hosts : 1, sizeof *s->hosts);
	if (!s->hosts)
		return -ENOMEM;
	s->n_hosts = sc->n_hosts;
	for (uint32_t i = 0; i < s->n_hosts; i++)
		s->hosts[i].lfd = -1;
	s->poller = poller_create();
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!s->poller || s->wake_fd < 0)
		return -ENOMEM;
	int err = poller_add(s->poller, s->wake_fd, TAG(TAG_WAKE, 0, 0), POLLER_READ);
	for (uint32_t i = 0; i < s->n_hosts && err == 0; i++) {
		struct shost *h = &s->hosts[i];
		h->spec = &sc->hosts[i];
		rng_seed(&h->rng, sc->seed, rng_stream_of_host(i));
		h->close_reason = calloc(SERVER_PORTS, sizeof *h->close_reason);
		err = h->close_reason ? host_listen(s, i) : -ENOMEM;
	}
	return err;
}

struct server_set *server_set_start(const struct scenario *sc, double time_scale, int *err)
{
	struct server_set *s = calloc(1, sizeof *s);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->sc = sc;
	s->scale = time_scale > 0 ? time_scale : 1.0;
	s->wake_fd = -1;
	slots_init(&s->conn_slots);
	heap_init(&s->timers);
	memset(s->body, 'x', sizeof s->body);
	s->body[sizeof s->body - 1] = '\n';
	*err = set_init(s, sc);
	if (*err == 0) {
		int r = pthread_create(&s->thread, NULL, server_thread, s);
		s->thread_started = r == 0;
		*err = -r;
	}
	if (*err != 0) {
		server_set_stop(s);
		return NULL;
	}
	return s;
}

static void wake(struct server_set *s)
{
	uint64_t one = 1;
	/* EAGAIN means the counter is already non-zero: the thread will wake anyway. */
	if (write(s->wake_fd, &one, sizeof one) < 0)
		return;
}

void server_set_stop(struct server_set *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		atomic_store(&s->stop, true);
		wake(s);
		pthread_join(s->thread, NULL);
	}
	for (uint32_t i = 0; i < slots_used(&s->conn_slots); i++) {
		if (s->conns[i].state != SC_FREE) {
			SSL_free(s->conns[i].ssl);
			close(s->conns[i].fd);
		}
	}
	for (uint32_t i = 0; s->hosts && i < s->n_hosts; i++) {
		if (s->hosts[i].lfd >= 0)
			close(s->hosts[i].lfd);
		free(s->hosts[i].close_reason);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	poller_destroy(s->poller);
	tlscert_destroy(s->tls);
	free(s->conns);
	heap_free(&s->timers);
	slots_free(&s->conn_slots);
	free(s->hosts);
	free(s);
}

uint16_t server_port(const struct server_set *s, uint32_t host)
{
	return host < s->n_hosts ? s->hosts[host].port : 0;
}

SSL_CTX *server_client_tls(const struct server_set *s)
{
	return s->tls ? tlscert_client_ctx(s->tls) : NULL;
}

static void command(struct server_set *s, uint32_t host, unsigned cmd)
{
	if (host >= s->n_hosts)
		return;
	atomic_fetch_or(&s->hosts[host].pending, cmd);
	wake(s);
}

void server_close_idle(struct server_set *s, uint32_t host)
{
	command(s, host, CMD_CLOSE_IDLE);
}

void server_restart(struct server_set *s, uint32_t host)
{
	command(s, host, CMD_RESTART);
}

void server_counters(const struct server_set *s, uint32_t host, struct server_counters *out)
{
	memset(out, 0, sizeof *out);
	if (host >= s->n_hosts)
		return;
	/* Cast away const: C11 atomic loads take a non-const pointer on some compilers. */
	struct shost *h = &((struct server_set *)s)->hosts[host];
	uint64_t v[C_COUNT];
	for (int i = 0; i < C_COUNT; i++)
		v[i] = atomic_load_explicit(&h->counters[i], memory_order_relaxed);
	out->accepted = v[C_ACCEPTED];
	out->requests = v[C_REQUESTS];
	out->closes = v[C_CLOSES];
	out->closes_idle_timeout = v[C_CLOSES_IDLE_TIMEOUT];
	out->closes_conn_close = v[C_CLOSES_CONN_CLOSE];
	out->closes_close_idle = v[C_CLOSES_CLOSE_IDLE];
	out->closes_restart = v[C_CLOSES_RESTART];
	out->peer_closes = v[C_PEER_CLOSES];
	out->open = v[C_OPEN];
}

enum ev_reason server_close_reason(const struct server_set *s, uint32_t host, uint16_t client_port)
{
	if (host >= s->n_hosts)
		return R_SERVER;
	unsigned r =
	    atomic_load_explicit(&s->hosts[host].close_reason[client_port], memory_order_acquire);
	return r == R_NONE ? R_SERVER : (enum ev_reason)r;
}
