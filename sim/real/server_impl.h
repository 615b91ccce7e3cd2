/*
 * server_impl.h: what the two files of the loopback servers share, and
 * nobody else: server.c (the set, its thread, listeners, commands) and
 * server_conn.c (one connection's life: timers, HTTP, TLS, close) and
 * server_h2.c (a connection that speaks HTTP/2).
 */
#ifndef POOLSIM_SERVER_IMPL_H
#define POOLSIM_SERVER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "heap.h"
#include "poller.h"
#include "rng.h"
#include "server.h"
#include "server_rules.h"
#include "slots.h"

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

enum cmd_bits { CMD_CLOSE_IDLE = 1u, CMD_RESTART = 2u, CMD_SEND_408 = 4u };

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
	SC_H2,      /* ALPN chose h2: streams, timer and idle clock are server_h2.c's */
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
	int64_t own_service; /* the request's own service time (HTTP_SERVICE_HEADER), or -1 */
	SSL *ssl;
	struct sconn_h2 *h2; /* SC_H2: the HTTP/2 session and its streams (server_h2.c) */
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
	struct heap timers;      /* conn indices by deadline (server_clock ns) */
	/* server_set_hold: the servers' clock, the wall clock less every hold; its own lock, as
	 * the main thread holds and releases it while the server thread reads it. */
	pthread_mutex_t clock_mu;
	int64_t held_at;    /* wall ns the clock stopped at; 0 while it runs */
	int64_t held_total; /* wall ns of the holds already over */
	struct nghttp2_session_callbacks *h2_callbacks; /* made at the first h2 conn */
	struct poller_event events[POLLER_BATCH];
	char body[SERVER_BODY_SIZE];
};

/* The servers' clock (monotonic ns, standing still while held): every server timer's. */
int64_t server_clock(struct server_set *s);

static inline void count(struct shost *h, enum counter c, int64_t delta)
{
	atomic_fetch_add_explicit(&h->counters[c], (uint_fast64_t)delta, memory_order_relaxed);
}

static inline int64_t scaled(const struct server_set *s, ps_time d)
{
	double v = (double)d * s->scale;
	if (v <= 0)
		return 0;
	return v >= 9e18 ? INT64_MAX / 2 : (int64_t)(v + 0.5);
}

/* rtt_ns: the host's round trip, scaled (0: no transit time). */
static inline int64_t rtt_ns(const struct server_set *s, uint32_t host)
{
	return scaled(s, s->hosts[host].spec->rtt);
}

/* server_conn.c, for server.c */
uint32_t sconn_alloc(struct server_set *s);
void sconn_close(struct server_set *s, uint32_t idx, enum ev_reason why);
/* sconn_hang_up: the server's close reaches the socket: send_408's writes the 408 first. */
void sconn_hang_up(struct server_set *s, uint32_t idx, enum ev_reason why);
void sconn_on_event(struct server_set *s, uint32_t idx, bool readable, bool writable);
void sconn_on_timer(struct server_set *s, uint32_t idx);
enum server_conn_phase sconn_phase_at(const struct sconn *c, int64_t now);
void sconn_set_want(struct server_set *s, uint32_t idx, unsigned want);
void sconn_timer_arm(struct server_set *s, uint32_t idx, int64_t deadline);

/* server_h2.c, for server_conn.c and server.c */
bool sconn_h2_chosen(const struct sconn *c);            /* the handshake's ALPN chose h2 */
int sconn_h2_start(struct server_set *s, uint32_t idx); /* -1: close it */
void sconn_h2_on_event(struct server_set *s, uint32_t idx);
void sconn_h2_on_timer(struct server_set *s, uint32_t idx);
enum server_conn_phase sconn_h2_phase(const struct sconn *c);
void sconn_h2_free(struct sconn *c);
void server_h2_callbacks_free(struct server_set *s);
/* The server's ALPN callback (SSL_CTX_set_alpn_select_cb); the SSL's app data is its shost. */
int server_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg);

#endif
