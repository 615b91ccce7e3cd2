/*
 * realnet.c: the real network (realnet.h): the loop that maps the monotonic
 * clock onto des, kernel records, and its life; one connection's sockets,
 * TLS and HTTP/1.1 are realnet_conn.c's (realnet_impl.h).
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
#include "realnet_impl.h"

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

/* budget_allows: whether a transition's measurement may run now (else it is owed). */
static bool budget_allows(struct note_budget *b, bool forced)
{
	if (!forced && poller_clock_ns() < b->next_ns) {
		b->owed = true;
		return false;
	}
	b->owed = false;
	return true;
}

/* budget_spent: a measurement that began at `began` ended now. */
static void budget_spent(struct note_budget *b, int64_t began)
{
	int64_t end = poller_clock_ns(), cost = end - began;
	b->next_ns = cost < REALNET_NOTE_CHEAP_NS ? 0 : end + REALNET_NOTE_SHARE * cost;
}

/*
 * note_fds: the process's descriptors at a socket(), a connect and a close,
 * the highest kept until the next kernel records (getdents on /proc/self/fd:
 * a few microseconds for a few hundred descriptors; struct note_budget).
 */
static void note_fds(struct realnet *n, bool forced)
{
	if (!n->monitor || !budget_allows(&n->fds_budget, forced))
		return;
	int64_t began = poller_clock_ns();
	int fds = kernel_count_fds();
	if (fds > (int)n->peak_fds)
		n->peak_fds = (uint32_t)fds;
	budget_spent(&n->fds_budget, began);
}

void realnet_note_fds(struct realnet *n)
{
	note_fds(n, false);
}

/*
 * realnet_note_established: at each connect, the kernel's state of every socket of
 * ours (TCP_INFO), ESTABLISHED ones counted per host; the highest kept until
 * the next kernel records. ESTABLISHED only grows at a connect, so its peak
 * is never missed, however short the burst; the monitor's /proc scans add
 * TIME_WAIT and what other sockets do.
 */
static void note_established(struct realnet *n, bool forced)
{
	if (!n->monitor || !budget_allows(&n->est_budget, forced))
		return;
	int64_t began = poller_clock_ns();
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
	budget_spent(&n->est_budget, began);
}

void realnet_note_established(struct realnet *n)
{
	note_established(n, false);
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
 * the newest sample: the record's last word is the rconn_current state.
 */
static void on_kernel(void *ctx, uint32_t unused_a, uint32_t unused_b)
{
	struct realnet *n = ctx;
	if (client_finished(n->client))
		return;
	struct kernel_sample s = {.hosts = n->khosts}, peak = {.hosts = n->kpeak};
	if (kernel_monitor_latest(n->monitor, &s, &peak)) {
		if (n->fds_budget.owed)
			note_fds(n, true);
		if (n->peak_fds > peak.fds)
			peak.fds = n->peak_fds;
		n->peak_fds = 0;
		/*
		 * ESTABLISHED comes from our sockets' own TCP_INFO (at every connect, and
		 * now), not from the /proc scan: /proc/net/tcp is read in chunks while
		 * sockets come and go, and can list one socket twice (a peak of 32 for 20
		 * conns was seen). It only grows at a connect, so the count now is the
		 * next interval's starting peak.
		 */
		note_established(n, true);
		uint32_t now_total = 0;
		for (uint32_t h = 0; h < s.n_hosts; h++) {
			s.hosts[h].established = n->est_now[h];
			peak.hosts[h].established = n->peak_est_host[h];
			n->peak_est_host[h] = n->est_now[h];
			now_total += n->est_now[h];
		}
		s.established = now_total;
		peak.established = n->peak_est;
		n->peak_est = now_total;
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
	if (!rconn_current(n, conn, gen))
		return;
	switch (n->conns[conn].state) {
	case RC_CONNECTING:
		rconn_on_connect_ready(n, conn);
		break;
	case RC_TLS:
		rconn_tls_step(n, conn);
		break;
	case RC_SENDING:
		rconn_write(n, conn, false);
		if (rconn_current(n, conn, gen) && n->conns[conn].state == RC_READING)
			rconn_read(n, conn);
		break;
	case RC_IDLE:
	case RC_READING:
		rconn_read(n, conn);
		break;
	case RC_H2:
		rconn_h2_on_ready(n, conn);
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
 * *head_end is where a request's own header lines can be spliced in.
 */
static char *build_request(const struct scenario *sc, const struct load_spec *l, size_t *len,
                           size_t *head_end)
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
	*head_end = (size_t)n;
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
	n->request_head_end = calloc(nl, sizeof *n->request_head_end);
	n->khosts = calloc(nh, sizeof *n->khosts);
	n->kpeak = calloc(nh, sizeof *n->kpeak);
	n->peak_est_host = calloc(nh, sizeof *n->peak_est_host);
	n->est_now = calloc(nh, sizeof *n->est_now);
	if (!n->poller || !n->actions || !n->requests || !n->request_len || !n->request_head_end ||
	    !n->khosts || !n->kpeak || !n->peak_est_host || !n->est_now || rtie_create(n) < 0) {
		realnet_destroy(n);
		return NULL;
	}
	for (uint32_t l = 0; l < sc->n_loads; l++) {
		n->requests[l] =
		    build_request(sc, &sc->loads[l], &n->request_len[l], &n->request_head_end[l]);
		if (!n->requests[l]) {
			realnet_destroy(n);
			return NULL;
		}
	}
	des_on(des, first_type + RN_DIAL, rconn_on_dial, n);
	des_on(des, first_type + RN_BROKEN, rconn_on_broken, n);
	des_on(des, first_type + RN_KERNEL, on_kernel, n);
	des_on(des, first_type + RN_FIN, rtie_on_fin, n);
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
		rconn_h2_free(&n->conns[i]);
		SSL_free(n->conns[i].ssl);
		if (n->conns[i].fd >= 0)
			close(n->conns[i].fd);
	}
	free(n->conns);
	realnet_h2_free(n);
	kernel_monitor_stop(n->monitor);
	free(n->khosts);
	free(n->kpeak);
	free(n->peak_est_host);
	free(n->est_now);
	rtie_free(n);
	poller_destroy(n->poller);
	server_actions_destroy(n->actions);
	histogram_free(&n->lag);
	for (uint32_t l = 0; n->requests && l < n->sc->n_loads; l++)
		free(n->requests[l]);
	free(n->requests);
	free(n->request_len);
	free(n->request_head_end);
	free(n);
}
