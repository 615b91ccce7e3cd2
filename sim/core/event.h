/*
 * event.h: the event record, the one stream every view consumes.
 *
 * The pool core, the simulator and the real engine all describe what happened
 * as a sequence of struct ps_event. The trace, the JSON summary, the CSV
 * series, the dashboard and `compare` read only this stream, never pool
 * internals, so sim and real mode are reported by the same code.
 *
 * A record is self-describing: a consumer can keep every count (open, idle,
 * active, waiting) from the records alone, without remembering per-request
 * state. Per-connection state, if a consumer wants it, is indexed by `conn`
 * (a slot, reused only after that slot's EV_CONN_CLOSED); `conn_id` is the
 * connection's number (#N, in dial order) for people to read.
 */
#ifndef POOLSIM_EVENT_H
#define POOLSIM_EVENT_H

#include "common.h"

enum ev_kind {
	/* Requests */
	EV_REQ_START,    /* a request began (Client.Do called) */
	EV_REQ_WAIT,     /* getConn found nothing idle: the request now waits (G2e) */
	EV_PERMIT_WAIT,  /* ...and queues for a dial permit behind MaxConnsPerHost (G4) */
	EV_REQ_GOT_CONN, /* the request holds `conn` (GotConn); flags: EVF_* below */
	EV_REQ_RETRY,    /* the request failed on a reused conn and is retried (S3/S4); EVF_REUSED:
	                  * the abandoned attempt had been counted as reused */
	EV_REQ_DONE,     /* finished ok; value = latency in ns */
	EV_REQ_FAILED,   /* failed; reason = enum ev_reason; flags EVF_WAITED if it never got a conn
	                  */
	EV_BODY_LEAKED,  /* the caller walked away from an unread, unclosed body; conn stays held
	                    (B1) */
	/* Connections */
	EV_DIAL_START,   /* a new conn: TCP connect begins (open++) */
	EV_TLS_START,    /* TCP connected, TLS handshake begins */
	EV_CONN_READY,   /* dial (and TLS) finished: the conn is usable */
	EV_CONN_IDLE,    /* put into the idle pool (P8); value = idle deadline or PS_TIME_NEVER */
	EV_CONN_HANDOFF, /* put handed it straight to a waiting request (P5); EV_REQ_GOT_CONN
	                    follows */
	EV_CONN_CLOSED,  /* closed (open--); reason says why; flags EVF_WAS_IDLE/EVF_WAS_DIALING */
	/* Scenario-level */
	EV_SERVER_ACTION, /* an [event] fired: close_idle, restart, down start/end (value) */
	EV_KERNEL_SAMPLE, /* real mode: host (PS_NONE = all); value = ESTABLISHED, conn = TIME_WAIT,
	                     flags = open fds */
	EV_RUN_END,       /* the run ended at t (value = requests in flight, flags = enum
	                     run_stop); nothing follows */
	EV_STREAM_END,    /* HTTP/2: a stream on `conn` ended (H6, H10); value = streams left */
	EV_H2_GOAWAY,     /* HTTP/2: the server's GOAWAY retired `conn` (H8): no new stream on it;
	                     value = its streams in flight (they run to their end); reason why */
	EV_KIND_COUNT
};

/* Why a conn closed or a request failed. The first block maps 1:1 onto the JSON "closes" keys. */
enum ev_reason {
	R_NONE,
	R_IDLE_TIMEOUT,      /* errIdleConnTimeout: IdleConnTimeout fired (P9, T5) */
	R_MAX_IDLE_PER_HOST, /* errTooManyIdleHost: idle list of the key full (P7) */
	R_MAX_IDLE_TOTAL,    /* errTooManyIdle: MaxIdleConns evicted the LRU-oldest (P8) */
	R_SERVER, /* the server closed it (idle timeout, Connection: close, close_idle, restart) */
	R_BODY_NOT_READ,       /* body closed before EOF (P14) */
	R_KEEPALIVES_DISABLED, /* errKeepAlivesDisabled: DisableKeepAlives or MaxIdleConnsPerHost <
	                          0 (P1) */
	R_ERROR,               /* dial/TLS/request error or a timeout */
	R_CLOSE_CATEGORY_COUNT,
	/* Finer causes, reported in the trace; each also belongs to one category above. */
	R_DIAL_REFUSED = R_CLOSE_CATEGORY_COUNT, /* the server is down: connect refused */
	R_DIAL_TIMEOUT,                          /* net.Dialer.Timeout (T1) */
	R_TLS_TIMEOUT,                           /* TLSHandshakeTimeout (T2) */
	R_HEADER_TIMEOUT,                        /* ResponseHeaderTimeout (T3) */
	R_CLIENT_TIMEOUT,                        /* Client.Timeout (T4) */
	R_DIAL_CANCELED,       /* Go 1.19: the request's context ended, its dial is aborted (G8) */
	R_SERVER_IDLE_TIMEOUT, /* server_idle_timeout (S1) */
	R_SERVER_CONN_CLOSE,   /* response carried Connection: close (server_max_requests, P10) */
	R_SERVER_CLOSE_IDLE,   /* [event] close_idle */
	R_SERVER_RESTART,      /* [event] restart */
	R_CONN_BROKEN,         /* the conn broke under a request that cannot be retried (S3) */
	R_IO_ERROR,            /* real mode: a socket or TLS error */
	R_RESOURCE,            /* real mode: out of descriptors or memory */
	R_CLOSE_IDLE_CONNS,    /* errCloseIdleConns: Transport.CloseIdleConnections (C1, C2) */
	R_ADDR_NOT_AVAIL,      /* EADDRNOTAVAIL: no ephemeral port free for this destination */
	R_SERVER_408,          /* [event] send_408: a 408 on an idle conn, then a close (S1) */
	R_SERVER_HANGUP,       /* close_after_response: keep-alive promised, then closed (S1) */
	R_CANCELED,            /* [event] cancel: the request's context was canceled (G8) */
	R_H2_UNNEEDED,         /* HTTP/2: the pool already had a conn with a free stream (H3) */
	R_REASON_COUNT
};

/* Why a run ended (EV_RUN_END's flags): its duration, or a stop the summary must name. */
enum run_stop {
	RUN_COMPLETE,    /* the scenario's duration (or its last request) was reached */
	RUN_INTERRUPTED, /* SIGINT or SIGTERM */
	RUN_LIVE_LIMIT,  /* more than CLIENT_MAX_LIVE requests and conns at once */
	RUN_NO_PROGRESS, /* the clock stopped advancing (docs/format.md, "Progress") */
	RUN_STOP_COUNT
};

/* The JSON "stopped" word of a stop ("interrupted", "live_limit", "no_progress"); NULL for
 * RUN_COMPLETE. */
const char *run_stop_name(enum run_stop why);

/*
 * What an [event] does (EV_SERVER_ACTION's value). The first ones are the
 * server's; CLIENT_* are the client's own actions, scheduled the same way.
 */
enum ev_server_action {
	SRV_CLOSE_IDLE,
	SRV_RESTART,
	SRV_DOWN,
	SRV_UP,
	SRV_SEND_408,                  /* idle conns receive a 408 and are closed */
	CLIENT_CLOSE_IDLE_CONNECTIONS, /* Transport.CloseIdleConnections (C1, C2) */
	CLIENT_CANCEL,                 /* a load's requests in flight are canceled */
};

/* Is `action` the client's own (played by client.c), not a server's? */
static inline bool ev_action_is_client(enum ev_server_action action)
{
	return action == CLIENT_CLOSE_IDLE_CONNECTIONS || action == CLIENT_CANCEL;
}

/* flags */
#define EVF_REUSED      0x01u /* GOT_CONN: the conn served an earlier request (JSON "reused") */
#define EVF_WAS_IDLE    0x02u /* GOT_CONN: taken from the idle list; CLOSED: it was idle */
#define EVF_WAITED      0x04u /* GOT_CONN/FAILED: the request had waited (counted in peak_waiting) */
#define EVF_GO_REUSED   0x08u /* GOT_CONN: Go's GotConnInfo.Reused (went through a put, G9) */
#define EVF_WAS_DIALING 0x10u /* CLOSED: the dial (or TLS) never finished */
#define EVF_TLS         0x20u /* DIAL_START: an https conn */
#define EVF_PERMIT      0x40u /* FAILED: it was waiting for a MaxConnsPerHost permit */
#define EVF_LEAKED      0x80u /* CLOSED: it was held by a leaked body */
#define EVF_H2          0x100u /* GOT_CONN: a stream on an HTTP/2 conn; CLOSED/IDLE: an HTTP/2 conn */
#define EVF_H2_SLOT     0x200u /* WAIT/GOT_CONN: waits (waited) for a stream of a full conn (H5b) */

struct ps_event {
	ps_time t;         /* scenario time, ns */
	int64_t value;     /* kind-specific: latency, deadline, server action */
	uint32_t host;     /* host index in the scenario */
	uint32_t conn;     /* conn slot or PS_NONE */
	uint32_t conn_id;  /* conn number #N (1-based) or 0 */
	uint32_t req;      /* request number (1-based) or 0 */
	uint32_t req_slot; /* the driver's request slot (PS_NONE if none); not for display */
	uint16_t kind;     /* enum ev_kind */
	uint16_t reason;   /* enum ev_reason */
	uint32_t flags;    /* EVF_* */
};

/* The bit of a kind in a set of kinds (struct ev_sink's `kinds`). */
#define EV_KIND_BIT(kind) (1u << (kind))
#define EV_ALL_KINDS      ((1u << EV_KIND_COUNT) - 1u)

/*
 * A consumer of the stream. Sinks are called in registration order, each with
 * the records of the kinds it asked for: `kinds` is a set of EV_KIND_BITs, 0
 * meaning every kind (so a sink that does not say gets them all). A sink that
 * keeps only a few kinds (the simulated network's TIME_WAIT view) is not
 * called for the rest, which are most of the records.
 */
struct ev_sink {
	void (*on_event)(void *ctx, const struct ps_event *ev);
	void *ctx;
	uint32_t kinds;
};

/*
 * The stream: a FIFO of records. The pool and the drivers push; the driver
 * that owns the stream pops each record, carries out what it asks (start a
 * dial, arm a timer, send a request) and then hands it to every sink. Pushing
 * while draining is fine: records come out in the order they went in.
 * The ring grows by doubling, so a steady state allocates nothing.
 *
 * A popped record is handled where it lies in the ring, not copied out: the
 * slot stays the popped record's until the next pop. The ring keeps a free
 * slot for it (it grows when only that one is left), and a ring that grows
 * while a record is out keeps its old memory until the next pop.
 */
#define EV_STREAM_MAX_SINKS 8

struct ev_stream {
	struct ps_event *ring;
	size_t cap, head, count;  /* cap: 0 or a power of two (256 doubled) */
	struct ps_event *retired; /* the ring before it last grew, freed at the next pop */
	struct ev_sink sinks[EV_STREAM_MAX_SINKS];
	int n_sinks;
	/* by kind, the sinks that asked for it (indices into sinks, in registration order), so a
	 * record costs a call per sink that wants it and nothing for the others */
	uint8_t n_for[EV_KIND_COUNT];
	uint8_t sinks_for[EV_KIND_COUNT][EV_STREAM_MAX_SINKS];
};

void ev_stream_init(struct ev_stream *s);
void ev_stream_free(struct ev_stream *s);
int ev_stream_add_sink(struct ev_stream *s, struct ev_sink sink);
/* The ring doubles (ev_stream_push calls it when one free slot is left). */
void ev_stream_grow(struct ev_stream *s);
/* The ring that held the last popped record goes (ev_stream_pop calls it after a growth). */
void ev_stream_drop_retired(struct ev_stream *s);

/* The next record, to carry out and deliver in place, or NULL when the stream is empty; it
 * stays valid (pushes may follow) until the next call. */
static inline struct ps_event *ev_stream_pop(struct ev_stream *s)
{
	if (s->retired)
		ev_stream_drop_retired(s);
	if (s->count == 0) {
		/* Empty: start again at the front, so a ring grown by one burst stays hot in its
		 * first lines instead of walking all of its memory. */
		s->head = 0;
		return NULL;
	}
	struct ps_event *ev = &s->ring[s->head];
	s->head = (s->head + 1) & (s->cap - 1);
	s->count--;
	return ev;
}

/* Every sink that asked for the record's kind gets it, in registration order. */
static inline void ev_stream_deliver(struct ev_stream *s, const struct ps_event *ev)
{
	if (ev->kind >= EV_KIND_COUNT) { /* none is made: it reaches every sink, as before */
		for (int i = 0; i < s->n_sinks; i++)
			s->sinks[i].on_event(s->sinks[i].ctx, ev);
		return;
	}
	const uint8_t *to = s->sinks_for[ev->kind];
	for (int i = 0, n = s->n_for[ev->kind]; i < n; i++)
		s->sinks[to[i]].on_event(s->sinks[to[i]].ctx, ev);
}

static inline void ev_stream_push(struct ev_stream *s, const struct ps_event *ev)
{
	if (s->count + 1 >= s->cap) /* one slot stays free: the popped record's */
		ev_stream_grow(s);
	s->ring[(s->head + s->count) & (s->cap - 1)] = *ev; /* cap is a power of two */
	s->count++;
}

/* A blank record: every id PS_NONE/0, kind and time set. */
static inline struct ps_event ev_make(enum ev_kind kind, ps_time t)
{
	return (struct ps_event){
	    .t = t, .host = PS_NONE, .conn = PS_NONE, .req_slot = PS_NONE, .kind = (uint16_t)kind};
}

/* ev_stream_add: a blank record (ev_make) at the end of the stream, for the caller to fill in
 * place before anything else is pushed or popped: the same as building it and pushing it,
 * without building it twice. */
static inline struct ps_event *ev_stream_add(struct ev_stream *s, enum ev_kind kind, ps_time t)
{
	if (s->count + 1 >= s->cap)
		ev_stream_grow(s);
	struct ps_event *ev = &s->ring[(s->head + s->count) & (s->cap - 1)];
	s->count++;
	/* field by field, not a compound literal: stores the caller then overwrites are dropped */
	ev->t = t;
	ev->value = 0;
	ev->host = PS_NONE;
	ev->conn = PS_NONE;
	ev->conn_id = 0;
	ev->req = 0;
	ev->req_slot = PS_NONE;
	ev->kind = (uint16_t)kind;
	ev->reason = 0;
	ev->flags = 0;
	return ev;
}

const char *ev_kind_name(enum ev_kind kind);
/* Go's own error name where there is one (errTooManyIdleHost), else a short word. */
const char *ev_reason_go_name(enum ev_reason reason);
/* The JSON "closes" key a reason counts under. */
const char *ev_reason_category_name(enum ev_reason reason);
enum ev_reason ev_reason_category(enum ev_reason reason);
/* A sentence for people: "idle for longer than IdleConnTimeout". */
const char *ev_reason_text(enum ev_reason reason);
const char *ev_server_action_name(enum ev_server_action action);

#endif
