/*
 * realnet.c: the real network (realnet.h): sockets, TLS and HTTP/1.1 to the
 * loopback servers, and the loop that maps the monotonic clock onto des.
 *
 * Per conn slot (the pool's small dense integers) one struct rconn, grown on
 * demand; a generation in every des event and poller tag makes a report for a
 * slot that was closed and reused in the meantime harmless. The client hears
 * from us only in realnet_run: net_ops calls never report synchronously (an
 * error found inside send is reported by a des event due at once), since the
 * client is draining its stream when it calls them.
 * Must not: connect anywhere but 127.0.0.1, decide anything about the pool,
 * print (out of memory for a conn slot aborts with a message, as in
 * simnet.c), or read a clock other than through realnet_now.
 */
#include "grow.h"
#include "histogram.h"
#include "http.h"
#include "poller.h"
#include "realnet.h"
#include "server_actions.h"
#include "sockio.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "kernel.h"

/* At most this many events per realnet_run call: a few ms of work, then the caller's turn. */
#define REALNET_EVENTS_PER_RUN 4096u

enum realnet_event_type {
	RN_DIAL,   /* a = conn, b = gen: dial_latency is over, connect now (or refuse) */
	RN_BROKEN, /* a = conn, b = gen: report a failure found inside a net_ops call */
	RN_KERNEL, /* periodic kernel sample */
	RN_TYPES
};

/*
 * A conn's life: DIAL_WAIT -> CONNECTING -> (TLS ->) IDLE -> SENDING ->
 * READING -> IDLE ... DEAD once something was reported that ends it (peer
 * close, error, a Connection: close response): the socket stays open,
 * unwatched, until the client calls close.
 */
enum rc_state {
	RC_NONE,
	RC_DIAL_WAIT,
	RC_CONNECTING,
	RC_TLS,
	RC_IDLE,
	RC_SENDING,
	RC_READING,
	RC_DEAD
};

#define RN_SCRATCH 16384
#define RN_REQ_MAX 160

struct rconn {
	int fd;
	uint32_t host;
	uint32_t load; /* whose request it is sending or awaiting */
	uint32_t gen;
	uint8_t state;
	bool registered; /* fd is in the poller */
	bool broken_nothing_written;
	uint16_t broken_why; /* for RN_BROKEN */
	uint16_t local_port;
	unsigned want;
	SSL *ssl;
	des_timer timer;
	size_t out_off; /* bytes of the request written */
	struct http_response resp;
};

struct realnet {
	const struct scenario *sc;
	struct server_set *servers;
	struct des *des;
	struct ev_stream *stream;
	struct client *client;
	struct poller *poller;
	struct kernel_monitor *monitor; /* only with kernel samples */
	struct kernel_host_sample *khosts, *kpeak;
	uint32_t peak_fds; /* note_fds: the most descriptors since the last kernel records */
	uint32_t peak_est, *peak_est_host, *est_now; /* note_established, the same way */
	SSL_CTX *tls;
	double scale;
	unsigned type_base;
	int64_t start_ns;
	bool paused;          /* realnet_pause: the clock stands still at paused_at_ns */
	int64_t paused_at_ns; /* wall time of the pause */
	ps_time kernel_every;
	struct rconn *conns;
	uint32_t cap_conns;
	struct server_actions *actions;
	char **requests; /* per load: the request we send, head and body */
	size_t *request_len;
	struct poller_event events[POLLER_BATCH];
	char scratch[RN_SCRATCH];
	struct histogram lag; /* schedule lag: how late (wall ns) each request started */
};

/* ---------------------------------------------------------------- schedule lag */

/* note_lag: the request start due at `due` (scenario time) happens now. */
static void note_lag(struct realnet *n, ps_time due)
{
	int64_t late = (int64_t)((double)(realnet_now(n) - due) * n->scale);
	histogram_add(&n->lag, late); /* out of memory: the figure misses a sample, nothing else */
}

int64_t realnet_lag_ns(const struct realnet *n, double q)
{
	return q >= 1.0 ? n->lag.max : histogram_quantile(&n->lag, q);
}

/* ---------------------------------------------------------------- time */

ps_time realnet_now(const struct realnet *n)
{
	int64_t wall = n->paused ? n->paused_at_ns : poller_clock_ns();
	double t = (double)(wall - n->start_ns) / n->scale;
	return t >= (double)PS_TIME_NEVER ? PS_TIME_NEVER : (ps_time)t;
}

static int64_t real_ns(const struct realnet *n, ps_time d)
{
	double v = (double)d * n->scale;
	return v >= 9e18 ? INT64_MAX / 2 : (int64_t)v + 1; /* +1: never wake a hair early */
}

/*
 * advance_clock: before socket events are dispatched. Never past a timer not
 * yet run: when the loop lags, overdue timers still run at their own times
 * (realnet_run), and the clock may not go back to them.
 */
static void advance_clock(struct realnet *n, ps_time limit)
{
	ps_time now = realnet_now(n);
	ps_time next = des_next_time(n->des);
	if (now > limit)
		now = limit;
	if (now > next)
		now = next;
	if (now > des_now(n->des))
		des_set_now(n->des, now);
}

/* ---------------------------------------------------------------- kernel */

/*
 * note_fds: the process's descriptors at a socket(), a connect and a close,
 * the highest kept until the next kernel records. Counting them is a few
 * microseconds (getdents on /proc/self/fd), so it is done at every one of
 * these transitions.
 */
static void note_fds(struct realnet *n)
{
	if (!n->monitor)
		return;
	int fds = kernel_count_fds();
	if (fds > (int)n->peak_fds)
		n->peak_fds = (uint32_t)fds;
}

/*
 * note_established: at each connect, the kernel's state of every socket of
 * ours (TCP_INFO), ESTABLISHED ones counted per host; the highest kept until
 * the next kernel records. ESTABLISHED only grows at a connect, so its peak
 * is never missed, however short the burst; the monitor's /proc scans add
 * TIME_WAIT and what other sockets do.
 */
static void note_established(struct realnet *n)
{
	if (!n->monitor)
		return;
	uint32_t total = 0;
	memset(n->est_now, 0, (n->sc->n_hosts ? n->sc->n_hosts : 1) * sizeof *n->est_now);
	for (uint32_t i = 0; i < n->cap_conns; i++) {
		const struct rconn *c = &n->conns[i];
		struct tcp_info ti;
		socklen_t len = sizeof ti;
		if (c->fd < 0 || c->state == RC_NONE ||
		    getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
		    ti.tcpi_state != TCP_ESTABLISHED)
			continue;
		n->est_now[c->host]++;
		total++;
	}
	if (total > n->peak_est)
		n->peak_est = total;
	for (uint32_t h = 0; h < n->sc->n_hosts; h++)
		if (n->est_now[h] > n->peak_est_host[h])
			n->peak_est_host[h] = n->est_now[h];
}

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

static bool current(const struct realnet *n, uint32_t conn, uint32_t gen)
{
	return conn < n->cap_conns && n->conns[conn].state != RC_NONE && n->conns[conn].gen == gen;
}

#define TAG(gen, conn) ((((uint64_t)(gen)) << 32) | (conn))

static void set_want(struct realnet *n, uint32_t conn, unsigned want)
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
	des_cancel(n->des, &c->timer);
	set_want(n, conn, 0);
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0) {
		note_fds(n); /* before the close: the most descriptors are open now */
		close(c->fd);
	}
	c->fd = -1;
	c->state = RC_NONE;
	c->gen++;
}

/* The conn is over as far as reports go; only the client's close frees it. */
static void go_dead(struct realnet *n, uint32_t conn)
{
	set_want(n, conn, 0);
	n->conns[conn].state = RC_DEAD;
}

/* ---------------------------------------------------------------- failures */

/*
 * why_closed: the server publishes why it closed before it closes
 * (server_close_reason), so an EOF or reset can be named exactly; an error
 * the server did not cause is R_IO_ERROR.
 */
static enum ev_reason why_closed(struct realnet *n, uint32_t conn, bool eof)
{
	struct rconn *c = &n->conns[conn];
	enum ev_reason r = server_close_reason(n->servers, c->host, c->local_port);
	if (r == R_SERVER && !eof)
		return R_IO_ERROR;
	return r;
}

/* An exchange (or an idle conn) ended badly: report it, and stop watching. */
static void report_broken(struct realnet *n, uint32_t conn, enum ev_reason why,
                          bool nothing_written)
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
static void defer_broken(struct realnet *n, uint32_t conn, enum ev_reason why, bool nothing_written)
{
	struct rconn *c = &n->conns[conn];
	set_want(n, conn, 0);
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
		set_want(n, conn, *want);
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

static void conn_write(struct realnet *n, uint32_t conn, bool deferred);

static void response_done(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	bool server_close = c->resp.close;
	if (server_close) {
		go_dead(n, conn); /* simnet.c too reports nothing more on such a conn */
	} else {
		c->state = RC_IDLE;
		set_want(n, conn,
		         POLLER_READ); /* an idle conn's EOF is S1's "server closed idle" */
	}
	client_on_response(n->client, conn, server_close);
}

/* conn_read: READING or IDLE and readable: drain the socket into the parser. */
static void conn_read(struct realnet *n, uint32_t conn)
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
			bool nothing_written = c->state == RC_IDLE || c->out_off == 0;
			report_broken(n, conn,
			              peer_gone ? why_closed(n, conn, r == SOCKIO_EOF) : R_IO_ERROR,
			              nothing_written);
			return;
		}
		if (c->state == RC_IDLE) { /* unsolicited bytes: Go closes such a conn too */
			/* A 408 is the server's idle close, not an error (readLoopPeekFailLocked's
			 * is408Message: errServerClosedIdle, nothing logged). */
			bool is408 = r >= 12 && memcmp(n->scratch, "HTTP/1.1 408", 12) == 0;
			report_broken(n, conn, is408 ? why_closed(n, conn, true) : R_IO_ERROR,
			              true);
			return;
		}
		int done = http_response_feed(&c->resp, n->scratch, (size_t)r);
		if (done < 0) {
			report_broken(n, conn, R_IO_ERROR, false);
			return;
		}
		if (done) {
			response_done(n, conn);
			return;
		}
	}
}

/* Writes what is left of the request; then reads. `deferred`: called from a net_ops call. */
static void conn_write(struct realnet *n, uint32_t conn, bool deferred)
{
	struct rconn *c = &n->conns[conn];
	const char *req = n->requests[c->load];
	size_t len = n->request_len[c->load];
	while (c->out_off < len) {
		bool peer_gone = false;
		ssize_t r = io_write(n, conn, req + c->out_off, len - c->out_off, &peer_gone);
		if (r == SOCKIO_AGAIN)
			return;
		if (r <= 0) {
			enum ev_reason why = peer_gone ? why_closed(n, conn, false) : R_IO_ERROR;
			if (deferred)
				defer_broken(n, conn, why, c->out_off == 0);
			else
				report_broken(n, conn, why, c->out_off == 0);
			return;
		}
		c->out_off += (size_t)r;
	}
	c->state = RC_READING;
	set_want(n, conn, POLLER_READ);
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

static void tls_step(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	ERR_clear_error();
	int r = SSL_connect(c->ssl);
	if (r == 1) {
		c->state = RC_IDLE;
		set_want(n, conn, POLLER_READ);
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
	note_fds(n);
	note_established(n);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	if (getsockname(c->fd, (struct sockaddr *)&a, &len) == 0)
		c->local_port = ntohs(a.sin_port);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* Go's default */
	if (!n->sc->hosts[c->host].tls) {
		c->state = RC_IDLE;
		set_want(n, conn, POLLER_READ);
		client_on_dial_done(n->client, conn, R_NONE);
		return;
	}
	c->ssl = n->tls ? SSL_new(n->tls) : NULL;
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
		report_dial_failed(n, conn, R_RESOURCE);
		return;
	}
	c->state = RC_TLS;
	uint32_t gen = c->gen;
	client_on_tls_start(n->client, conn);
	if (current(n, conn, gen) && n->conns[conn].state == RC_TLS)
		tls_step(n, conn);
}

/* RN_DIAL: dial_latency has passed. */
static void on_dial(void *ctx, uint32_t conn, uint32_t gen)
{
	struct realnet *n = ctx;
	if (!current(n, conn, gen))
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
	note_fds(n);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(server_port(n->servers, c->host))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* the only address real mode ever dials */
	if (connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0) {
		connected(n, conn);
	} else if (errno == EINPROGRESS || errno == EINTR) {
		c->state = RC_CONNECTING;
		set_want(n, conn, POLLER_WRITE);
		if (!c->registered)
			report_dial_failed(n, conn, R_RESOURCE);
	} else {
		report_dial_failed(n, conn, socket_error_reason(errno));
	}
}

static void on_connect_ready(struct realnet *n, uint32_t conn)
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

static void on_broken(void *ctx, uint32_t conn, uint32_t gen)
{
	struct realnet *n = ctx;
	if (!current(n, conn, gen))
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
			defer_broken(n, conn, R_IO_ERROR, true);
		return;
	}
	c->state = RC_SENDING;
	c->load = load;
	c->out_off = 0;
	http_response_begin(&c->resp);
	conn_write(n, conn, true);
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
    .close = rn_close,
};

const struct net_ops *realnet_ops(void)
{
	return &realnet_net_ops;
}

/* ---------------------------------------------------------------- server actions, kernel samples
 */

static void emit(struct realnet *n, struct ps_event *ev)
{
	ev_stream_push(n->stream, ev);
}

/* rn_act: close_idle or restart, carried out on the server thread; the EOFs come back as closes. */
static void rn_act(void *ctx, uint32_t host, enum ev_server_action action)
{
	struct realnet *n = ctx;
	if (action == SRV_RESTART)
		server_restart(n->servers, host);
	else if (action == SRV_SEND_408)
		server_send_408(n->servers, host);
	else
		server_close_idle(n->servers, host);
}

static void push_kernel(struct realnet *n, uint32_t host, uint32_t est, uint32_t tw, uint32_t fds)
{
	struct ps_event ev = ev_make(EV_KERNEL_SAMPLE, des_now(n->des));
	ev.host = host;
	ev.value = est;
	ev.conn = tw;
	ev.flags = fds;
	emit(n, &ev);
}

/* One record per host and one for the total (host PS_NONE), all from sample `s`. */
static void push_sample(struct realnet *n, const struct kernel_sample *s)
{
	for (uint32_t h = 0; h < s->n_hosts; h++)
		push_kernel(n, h, s->hosts[h].established, s->hosts[h].time_wait, s->fds);
	push_kernel(n, PS_NONE, s->established, s->time_wait, s->fds);
}

static bool same_counts(const struct kernel_sample *a, const struct kernel_sample *b)
{
	if (a->established != b->established || a->time_wait != b->time_wait || a->fds != b->fds)
		return false;
	for (uint32_t h = 0; h < a->n_hosts; h++)
		if (a->hosts[h].established != b->hosts[h].established ||
		    a->hosts[h].time_wait != b->hosts[h].time_wait)
			return false;
	return true;
}

/*
 * RN_KERNEL: the monitor's peaks since the last record (a burst that came and
 * went between two records), when they differ from the newest sample, then
 * the newest sample: the record's last word is the current state.
 */
static void on_kernel(void *ctx, uint32_t unused_a, uint32_t unused_b)
{
	struct realnet *n = ctx;
	if (client_finished(n->client))
		return;
	struct kernel_sample s = {.hosts = n->khosts}, peak = {.hosts = n->kpeak};
	if (kernel_monitor_latest(n->monitor, &s, &peak)) {
		if (n->peak_fds > peak.fds)
			peak.fds = n->peak_fds;
		if (n->peak_est > peak.established)
			peak.established = n->peak_est;
		for (uint32_t h = 0; h < peak.n_hosts; h++)
			if (n->peak_est_host[h] > peak.hosts[h].established)
				peak.hosts[h].established = n->peak_est_host[h];
		n->peak_fds = 0;
		n->peak_est = 0;
		memset(n->peak_est_host, 0, peak.n_hosts * sizeof *n->peak_est_host);
		if (!same_counts(&s, &peak))
			push_sample(n, &peak);
		push_sample(n, &s);
		client_flush(n->client);
	}
	des_schedule(n->des, ps_time_add(des_now(n->des), n->kernel_every),
	             n->type_base + RN_KERNEL, 0, 0);
}

/* ---------------------------------------------------------------- loop */

static void on_ready(struct realnet *n, const struct poller_event *ev)
{
	uint32_t conn = (uint32_t)ev->tag, gen = (uint32_t)(ev->tag >> 32);
	if (!current(n, conn, gen))
		return;
	switch (n->conns[conn].state) {
	case RC_CONNECTING:
		on_connect_ready(n, conn);
		break;
	case RC_TLS:
		tls_step(n, conn);
		break;
	case RC_SENDING:
		conn_write(n, conn, false);
		if (current(n, conn, gen) && n->conns[conn].state == RC_READING)
			conn_read(n, conn);
		break;
	case RC_IDLE:
	case RC_READING:
		conn_read(n, conn);
		break;
	default:
		break;
	}
}

/*
 * SSL_write cannot pass MSG_NOSIGNAL: while the loop runs, SIGPIPE is blocked
 * in this thread, and one it raised is taken off the pending set before the
 * old mask comes back, so the process never dies of a reset peer.
 */
static void sigpipe_block(sigset_t *old)
{
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, old);
}

static void sigpipe_restore(const sigset_t *old)
{
	if (!sigismember(old, SIGPIPE)) {
		sigset_t pending, pipe;
		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		struct timespec zero = {0, 0};
		if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

int realnet_run(struct realnet *n, ps_time limit)
{
	sigset_t old;
	sigpipe_block(&old);
	int rc;
	for (;;) {
		/*
		 * Timers run at their own times, not at the (later) moment we get
		 * to them: a handler that schedules "now + gap" (an open-loop
		 * arrival) keeps the scenario's pace even when the loop lags, and
		 * the lag shows up as latency instead of as fewer requests.
		 */
		ps_time due = realnet_now(n);
		if (due > limit)
			due = limit;
		/* Bounded, so the caller sees signals even when events keep coming due. */
		uint32_t ran = 0;
		while (!client_finished(n->client) && des_next_time(n->des) <= due &&
		       ran < REALNET_EVENTS_PER_RUN) {
			ran++;
			if (des_steps_at_now(n->des) >= DES_STALL_STEPS) {
				client_stop(n->client, RUN_NO_PROGRESS);
				break;
			}
			if (client_starts_requests(n->client, des_next_type(n->des)))
				note_lag(n, des_next_time(n->des));
			des_step(n->des, due);
		}
		if (client_finished(n->client)) {
			rc = 0;
			break;
		}
		if (ran == REALNET_EVENTS_PER_RUN && des_next_time(n->des) <= due) {
			rc = 1; /* more is due: back to the caller, who calls again */
			break;
		}
		ps_time now = realnet_now(n);
		if (n->paused) {
			/* Sockets are served (in-flight requests finish); the clock and the
			 * timers after it wait, so no new request starts. */
			int64_t timeout = limit > now ? real_ns(n, limit - now) : 0;
			int k = poller_wait(n->poller, timeout, n->events, POLLER_BATCH);
			for (int i = 0; i < k; i++)
				on_ready(n, &n->events[i]);
			rc = k < 0 ? k : 1;
			break;
		}
		if (now >= limit) {
			advance_clock(
			    n, limit); /* a caller stepping by `limit` sees the clock there */
			rc = 1;
			break;
		}
		ps_time next = des_next_time(n->des);
		ps_time wake = next < limit ? next : limit;
		int64_t timeout =
		    wake == PS_TIME_NEVER ? -1 : (wake > now ? real_ns(n, wake - now) : 0);
		int k = poller_wait(n->poller, timeout, n->events, POLLER_BATCH);
		if (k < 0) {
			rc = k;
			break;
		}
		if (k > 0)
			advance_clock(n, limit);
		for (int i = 0; i < k; i++)
			on_ready(n, &n->events[i]);
	}
	sigpipe_restore(&old);
	return rc;
}

void realnet_pause(struct realnet *n, bool paused)
{
	if (paused == n->paused)
		return;
	int64_t wall = poller_clock_ns();
	if (paused)
		n->paused_at_ns = wall;
	else
		n->start_ns +=
		    wall - n->paused_at_ns; /* the scenario clock goes on from the pause */
	n->paused = paused;
}

bool realnet_paused(const struct realnet *n)
{
	return n->paused;
}

/* ---------------------------------------------------------------- lifecycle */

/*
 * build_request: what a load's client writes: its method, Host, an
 * Idempotency-Key when it has one, and its body, with Content-Length as Go
 * sends for a byte-slice body (and 0 for an empty POST, PUT or PATCH).
 */
static char *build_request(const struct scenario *sc, const struct load_spec *l, size_t *len)
{
	char head[RN_REQ_MAX + SCENARIO_NAME_MAX];
	bool length = l->request_body > 0 || l->method == METHOD_POST || l->method == METHOD_PUT ||
	              l->method == METHOD_PATCH;
	int n =
	    snprintf(head, sizeof head, "%s / HTTP/1.1\r\nHost: %s\r\nUser-Agent: poolsim\r\n%s",
	             http_method_names[l->method], sc->hosts[l->host].name,
	             l->idempotency_key ? "Idempotency-Key: poolsim\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof head)
		return NULL;
	if (l->request_close)
		n += snprintf(head + n, sizeof head - (size_t)n, "Connection: close\r\n");
	if (length)
		n += snprintf(head + n, sizeof head - (size_t)n, "Content-Length: %lld\r\n",
		              (long long)l->request_body);
	n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
	if ((size_t)n >= sizeof head)
		return NULL;
	char *req = malloc((size_t)n + (size_t)l->request_body);
	if (!req)
		return NULL;
	memcpy(req, head, (size_t)n);
	memset(req + n, 'x', (size_t)l->request_body);
	*len = (size_t)n + (size_t)l->request_body;
	return req;
}

struct realnet *realnet_create(const struct scenario *sc, struct server_set *servers,
                               struct des *des, struct ev_stream *stream, double time_scale,
                               unsigned first_type, unsigned *next_type)
{
	struct realnet *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->sc = sc;
	n->servers = servers;
	n->des = des;
	n->stream = stream;
	n->scale = time_scale > 0 ? time_scale : 1.0;
	n->type_base = first_type;
	histogram_init(&n->lag, 3); /* 1/8 relative precision */
	n->tls = server_client_tls(servers);
	n->start_ns = poller_clock_ns();
	uint32_t nh = sc->n_hosts ? sc->n_hosts : 1;
	n->poller = poller_create();
	n->actions =
	    server_actions_create(sc, des, stream, rn_act, n, first_type + RN_TYPES, next_type);
	uint32_t nl = sc->n_loads ? sc->n_loads : 1;
	n->requests = calloc(nl, sizeof *n->requests);
	n->request_len = calloc(nl, sizeof *n->request_len);
	n->khosts = calloc(nh, sizeof *n->khosts);
	n->kpeak = calloc(nh, sizeof *n->kpeak);
	n->peak_est_host = calloc(nh, sizeof *n->peak_est_host);
	n->est_now = calloc(nh, sizeof *n->est_now);
	if (!n->poller || !n->actions || !n->requests || !n->request_len || !n->khosts ||
	    !n->kpeak || !n->peak_est_host || !n->est_now) {
		realnet_destroy(n);
		return NULL;
	}
	for (uint32_t l = 0; l < sc->n_loads; l++) {
		n->requests[l] = build_request(sc, &sc->loads[l], &n->request_len[l]);
		if (!n->requests[l]) {
			realnet_destroy(n);
			return NULL;
		}
	}
	des_on(des, first_type + RN_DIAL, on_dial, n);
	des_on(des, first_type + RN_BROKEN, on_broken, n);
	des_on(des, first_type + RN_KERNEL, on_kernel, n);
	return n;
}

void realnet_attach_client(struct realnet *n, struct client *c)
{
	n->client = c;
	server_actions_attach_client(n->actions, c);
}

int realnet_start(struct realnet *n, bool kernel_samples)
{
	/* KERNEL_SAMPLE_PERIOD_NS of wall time, in scenario time. */
	ps_time kernel_every =
	    kernel_samples ? (ps_time)((double)KERNEL_SAMPLE_PERIOD_NS / n->scale) : 0;
	if (kernel_every < 1 && kernel_samples)
		kernel_every = 1;
	if (kernel_every > 0 && !n->monitor) {
		uint32_t nh = n->sc->n_hosts ? n->sc->n_hosts : 1;
		uint16_t *ports = calloc(nh, sizeof *ports);
		if (!ports)
			return -ENOMEM;
		for (uint32_t h = 0; h < n->sc->n_hosts; h++)
			ports[h] = server_port(n->servers, h);
		int err = 0;
		n->monitor =
		    kernel_monitor_start(ports, n->sc->n_hosts, KERNEL_SAMPLE_PERIOD_NS, &err);
		free(ports);
		if (!n->monitor)
			return err;
	}
	n->start_ns = poller_clock_ns();
	n->kernel_every = kernel_every;
	/* The simulator's order (sim.c): the client first, then the server actions. */
	client_start(n->client);
	server_actions_start(n->actions);
	if (kernel_every > 0)
		des_schedule(n->des, des_now(n->des), n->type_base + RN_KERNEL, 0, 0);
	return 0;
}

/* Touches no des timer: the des may already be gone. */
void realnet_destroy(struct realnet *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->cap_conns; i++) {
		SSL_free(n->conns[i].ssl);
		if (n->conns[i].fd >= 0)
			close(n->conns[i].fd);
	}
	free(n->conns);
	kernel_monitor_stop(n->monitor);
	free(n->khosts);
	free(n->kpeak);
	free(n->peak_est_host);
	free(n->est_now);
	poller_destroy(n->poller);
	server_actions_destroy(n->actions);
	histogram_free(&n->lag);
	for (uint32_t l = 0; n->requests && l < n->sc->n_loads; l++)
		free(n->requests[l]);
	free(n->requests);
	free(n->request_len);
	free(n);
}
