/*
 * realnet_impl.h: what the files of the real network share, and nobody
 * else: realnet.c (the clock, the loop, kernel records, lifecycle),
 * realnet_conn.c (one client connection's life: dial, TLS, the exchange) and
 * realnet_h2.c (a connection that speaks HTTP/2: its session and streams).
 */
#ifndef POOLSIM_REALNET_IMPL_H
#define POOLSIM_REALNET_IMPL_H

#include <openssl/ssl.h>

#include "histogram.h"
#include "http.h"
#include "kernel.h"
#include "poller.h"
#include "realnet.h"
#include "rng.h"
#include "server_actions.h"

/* At most this many events per realnet_run call: a few ms of work, then the caller's turn. */
#define REALNET_EVENTS_PER_RUN 4096u

enum realnet_event_type {
	RN_DIAL,   /* a = conn, b = gen: dial_latency is over, connect now (or refuse) */
	RN_BROKEN, /* a = conn, b = gen: report a failure found inside a net_ops call */
	RN_KERNEL, /* periodic kernel sample */
	RN_FIN, /* a = conn, b = gen: an idle-timeout FIN read early reaches the client (its due) */
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
	RC_H2, /* ALPN chose h2: many streams at once (realnet_h2.c) */
	RC_DEAD
};

#define RN_SCRATCH          16384
#define RN_REQ_MAX          160
#define RN_SERVICE_LINE_MAX 72

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
	struct rconn_h2 *h2; /* RC_H2: the HTTP/2 session (realnet_h2.c) */
	des_timer timer;
	size_t out_off; /* bytes of the request written */
	/* A replay row's own service time, told to the server (SERVICE_HEADER); spliced
	 * into the load's request at its head's end. */
	char own_service[RN_SERVICE_LINE_MAX];
	uint8_t own_service_len;
	struct http_response resp;
	/* The stale-connection tie (realnet_tie.c), in scenario time. */
	uint32_t served; /* responses read on this conn (server_idle_clock_starts) */
	ps_time fin_due; /* when the server's idle-timeout FIN reaches us, or PS_TIME_NEVER */
	ps_time sent_at; /* when the request in progress was sent */
	uint8_t tie;     /* enum stale_tie: the tie at fin_due, once drawn */
	bool fin_held;   /* that FIN was read early; RN_FIN reports it at fin_due */
	bool due_listed; /* in its host's list of idle conns by fin_due */
	uint32_t due_prev, due_next; /* that list's links (PS_NONE at its ends) */
};

/* A host's idle conns awaiting their idle-timeout FIN, oldest fin_due first (realnet_tie.c). */
struct fin_due_list {
	uint32_t head, tail; /* PS_NONE: empty */
};

/*
 * note_budget: a measurement at a transition costs O(open sockets) (a scan of
 * /proc/self/fd; a TCP_INFO per socket). While that is cheap it runs at every
 * transition, so a burst's peak is never missed; once it is not, it runs at
 * most once per REALNET_NOTE_SHARE times its own cost, so thousands of sockets
 * cannot make the loop quadratic and drag it behind its schedule. A skipped
 * one is made up at the next kernel record (`owed`).
 */
struct note_budget {
	int64_t next_ns; /* wall clock (poller_clock_ns) before which it waits */
	bool owed;       /* a transition was not measured since the last measurement */
};
#define REALNET_NOTE_CHEAP_NS (50 * 1000) /* always measured below this cost */
#define REALNET_NOTE_SHARE    9           /* else idle 9x its cost: at most 10% of the loop */

/* Where the HTTP/2 stream of a request slot runs (realnet_h2.c). */
struct h2_stream_at {
	uint32_t conn, gen, req_id, load;
	int32_t stream_id;
	int64_t body_sent; /* bytes of the request body handed to nghttp2 */
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
	uint32_t
	    peak_fds; /* realnet_note_fds: the most descriptors since the last kernel records */
	uint32_t peak_est, *peak_est_host, *est_now; /* realnet_note_established, the same way */
	struct note_budget fds_budget, est_budget;   /* when each may measure again */
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
	size_t *request_head_end; /* per load: where the head's closing CRLF starts */
	struct poller_event events[POLLER_BATCH];
	char scratch[RN_SCRATCH];
	struct histogram lag; /* schedule lag: how late (wall ns) each request started */
	struct nghttp2_session_callbacks *h2_callbacks; /* made at the first h2 conn */
	struct h2_stream_at *h2_streams;                /* by request slot */
	uint32_t cap_h2_streams;
	uint32_t *h2_done; /* the request slots a read ended, while they are reported */
	uint32_t cap_h2_done;
	struct rng *tie_rng; /* per host: the stale-connection tie's draws (stale_tie.h) */
	struct fin_due_list *fins_due; /* per host (realnet_tie.c) */
};

/* realnet_conn.c, for realnet.c */
void rconn_read(struct realnet *n, uint32_t conn);
void rconn_write(struct realnet *n, uint32_t conn, bool deferred);
bool rconn_current(const struct realnet *n, uint32_t conn, uint32_t gen);
void rconn_on_broken(void *ctx, uint32_t conn, uint32_t gen);
void rconn_on_connect_ready(struct realnet *n, uint32_t conn);
void rconn_on_dial(void *ctx, uint32_t conn, uint32_t gen);
void rconn_tls_step(struct realnet *n, uint32_t conn);

/* realnet_conn.c, for realnet_h2.c and realnet_tie.c */
void rconn_set_want(struct realnet *n, uint32_t conn, unsigned want);
void rconn_defer_broken(struct realnet *n, uint32_t conn, enum ev_reason why, bool nothing_written);
void rconn_report_broken(struct realnet *n, uint32_t conn, enum ev_reason why,
                         bool nothing_written);
enum ev_reason rconn_why_closed(struct realnet *n, uint32_t conn, bool eof);

/* realnet_h2.c, for realnet_conn.c and realnet.c */
void rconn_h2_offer(struct rconn *c);                 /* ALPN: h2, then http/1.1 */
bool rconn_h2_chosen(const struct rconn *c);          /* the handshake chose h2 */
int rconn_h2_start(struct realnet *n, uint32_t conn); /* -1: the dial fails */
void rconn_h2_send_stream(void *net, uint32_t conn, uint32_t host, uint32_t load, uint32_t req_slot,
                          uint32_t req_id); /* net.h's send_stream */
void rconn_h2_on_ready(struct realnet *n, uint32_t conn);
void rconn_h2_free(struct rconn *c);
void realnet_h2_free(struct realnet *n);

/*
 * realnet_tie.c, for realnet_conn.c and realnet.c: the stale-connection tie
 * decided in scenario time, as simnet.c decides it (docs/model.md, "The tie").
 */
int rtie_create(struct realnet *n); /* -1: out of memory */
void rtie_free(struct realnet *n);
void rtie_idle(struct realnet *n, uint32_t conn);    /* a response left the conn idle */
void rtie_forget(struct realnet *n, uint32_t conn);  /* the conn is no longer idle */
void rtie_before_get_conn(void *net, uint32_t host); /* net.h's before_get_conn */
bool rtie_hold_fin(struct realnet *n, uint32_t conn, enum ev_reason why); /* an idle EOF */
void rtie_on_fin(void *ctx, uint32_t conn, uint32_t gen);                 /* RN_FIN */
bool rtie_refuses_send(struct realnet *n, uint32_t conn);  /* the tie said: not written */
bool rtie_written(const struct realnet *n, uint32_t conn); /* the tie said: written (lost) */
bool rtie_nothing_written(struct realnet *n, uint32_t conn, bool nothing_written); /* EOF */

/* realnet.c, for realnet_conn.c: a socket was opened, connected or closed (kernel records) */
void realnet_note_established(struct realnet *n);
void realnet_note_fds(struct realnet *n);

#endif
