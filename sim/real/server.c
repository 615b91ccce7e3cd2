/*
 * server.c: real mode's loopback HTTP/1.1 and HTTP/2 servers (server.h): the
 * set, its thread, the listeners and the commands; a connection's own life is
 * server_conn.c's, an HTTP/2 one's server_h2.c's (server_impl.h).
 *
 * One thread serves every host: listeners, connections, timers (core/heap.h:
 * connection indices keyed by deadline) and a command eventfd.
 * Only that thread touches connections; the main thread only sets command
 * flags, reads atomics and, after the thread is joined, frees everything.
 * It must bind 127.0.0.1 only, write no file and never print.
 */
#include "server_impl.h"

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

#include "tlscert.h"

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
		uint32_t idx = sconn_alloc(s);
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
			if (c->ssl) {
				SSL_set_fd(c->ssl, fd);
				SSL_set_app_data(c->ssl, h); /* for ALPN: does it offer h2 */
			}
		}
		atomic_store_explicit(&h->close_reason[c->peer_port], R_NONE, memory_order_relaxed);
		count(h, C_ACCEPTED, 1);
		count(h, C_OPEN, 1);
		if ((h->spec->tls && !c->ssl) ||
		    poller_add(s->poller, fd, TAG(TAG_CONN, c->gen, idx), POLLER_READ) < 0)
			sconn_close(s, idx, R_NONE);
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
		sconn_hang_up(s, idx, why);
		return;
	}
	c->state = SC_CLOSING;
	c->closing_why = (uint8_t)why;
	c->in_len = 0;
	sconn_set_want(s, idx, POLLER_READ);
	sconn_timer_arm(s, idx, server_clock(s) + half);
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
			enum ev_server_action action = (cmd & CMD_RESTART)    ? SRV_RESTART
			                               : (cmd & CMD_SEND_408) ? SRV_SEND_408
			                                                      : SRV_CLOSE_IDLE;
			enum server_conn_phase phase = sconn_phase_at(c, server_clock(s));
			if (server_action_verdict(action, phase, c->served) != SERVER_SPARE)
				server_close_later(s, i,
				                   action == SRV_RESTART    ? R_SERVER_RESTART
				                   : action == SRV_SEND_408 ? R_SERVER_408
				                                            : R_SERVER_CLOSE_IDLE);
		}
	}
}

static void run_timers(struct server_set *s)
{
	int64_t now = server_clock(s);
	const struct heap_entry *due;
	while ((due = heap_top(&s->timers)) && due->at <= now) {
		uint32_t idx = due->id;
		heap_pop(&s->timers);
		sconn_on_timer(s, idx);
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
			sconn_on_event(s, idx, ev->readable, ev->writable);
		break;
	default:
		break;
	}
}

static void wake(struct server_set *s);

int64_t server_clock(struct server_set *s)
{
	pthread_mutex_lock(&s->clock_mu);
	int64_t wall = s->held_at ? s->held_at : poller_clock_ns();
	int64_t now = wall - s->held_total;
	pthread_mutex_unlock(&s->clock_mu);
	return now;
}

static bool clock_held(struct server_set *s)
{
	pthread_mutex_lock(&s->clock_mu);
	bool held = s->held_at != 0;
	pthread_mutex_unlock(&s->clock_mu);
	return held;
}

void server_set_hold(struct server_set *s, bool hold)
{
	pthread_mutex_lock(&s->clock_mu);
	int64_t wall = poller_clock_ns();
	if (hold && !s->held_at) {
		s->held_at = wall > 0 ? wall : 1;
	} else if (!hold && s->held_at) {
		s->held_total += wall - s->held_at;
		s->held_at = 0;
	}
	pthread_mutex_unlock(&s->clock_mu);
	wake(s); /* a thread waiting with no timeout (held) looks at its timers again */
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
		if (next &&
		    !clock_held(s)) { /* held: no timer is due until server_set_hold wakes us */
			timeout = next->at - server_clock(s);
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
	if (tls)
		SSL_CTX_set_alpn_select_cb(tlscert_server_ctx(s->tls), server_alpn_select, NULL);
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
	pthread_mutex_init(&s->clock_mu, NULL);
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
			sconn_h2_free(&s->conns[i]);
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
	server_h2_callbacks_free(s);
	tlscert_destroy(s->tls);
	free(s->conns);
	heap_free(&s->timers);
	slots_free(&s->conn_slots);
	free(s->hosts);
	pthread_mutex_destroy(&s->clock_mu);
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

void server_send_408(struct server_set *s, uint32_t host)
{
	command(s, host, CMD_SEND_408);
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
