/*
 * pool.c: Go's HTTP/1.1 connection pool rules (net/http transport.go), as
 * pure logic. See pool.h for the contract and docs/model.md for each rule.
 *
 * Must not: read a clock, print, touch a socket, or allocate per event in a
 * steady state (conns, wants, keys and transports come from free lists).
 *
 * Data, mirroring the Transport struct:
 *   key.idle        idle conns of one key, oldest at head, newest at tail
 *                   (Go's idleConn[key], "most recently used at end")
 *   transport.lru   every idle conn of one Transport, oldest put at head
 *                   (Go's idleLRU): MaxIdleConns evicts its head in O(1)
 *   key.idle_wait   requests waiting for an idle conn, FIFO (idleConnWait)
 *   key.conns_wait  requests waiting for a dial permit, FIFO (connsPerHostWait)
 *   key.conns_per_host  Go's connsPerHost counter, kept only while
 *                   MaxConnsPerHost > 0: dialing + active + idle conns
 * Go leaves a request that stopped waiting in its queues and skips it lazily
 * (cleanFront); here it is unlinked at once. The outcome is the same; only
 * Go's queue-length observables differ (docs/model.md).
 */
#include "pool.h"

#include "grow.h"
#include "slots.h"
#include "transport_limits.h"

#include <stdlib.h>
#include <string.h>

/*
 * The releases in which a rule that changes a count changed
 * (docs/go-transport-pool.md section 9.1); each gate is `p->cfg.go >= it`.
 */
enum go_change {
	/* G8: getConn dials on context.WithoutCancel(request ctx): golang/go#59017, CL 576555. */
	GO_DIAL_DETACHED_FROM_REQUEST = 123,
};

struct link {
	uint32_t prev, next;
};

struct list {
	uint32_t head, tail, len;
};

enum conn_state { CONN_FREE, CONN_DIALING, CONN_ACTIVE, CONN_IDLE };

/*
 * What a conn slot stands for. HTTP/2 splits Go's one persistConn in two
 * (docs/model.md, "HTTP/2"): the ClientConn (a socket in the HTTP/2 pool,
 * carrying streams) and the `alt` persistConn in the HTTP/1 idle list, a
 * ticket that holds the MaxConnsPerHost permit and no socket (H3, H4).
 */
enum conn_kind { KIND_H1, KIND_H2_CONN, KIND_H2_TICKET };
enum want_state { WANT_FREE, WANT_WAITING, WANT_DONE };

/* Key slots a conn or want can name: the flags share the key's word. Every live key is the
 * shared Transport's for a host or a transient Transport's held by a request or a conn, and
 * a run holds fewer than CLIENT_MAX_LIVE (4 M) of those; key_alloc checks. */
#define POOL_MAX_KEYS (1u << 25)

struct pconn {
	uint32_t id;         /* #N, in dial order */
	unsigned key : 25;   /* below POOL_MAX_KEYS */
	unsigned state : 2;  /* enum conn_state */
	unsigned kind : 2;   /* enum conn_kind */
	unsigned reused : 1; /* G9: has been through tryPutIdleConn (markReused) */
	unsigned served : 1; /* has carried a request: only "was it ever" is asked */
	unsigned goaway : 1; /* H8: the server's GOAWAY took it out of key.h2 (MarkDead) */
	/* Only a dialing conn has a want, and a dialing conn is never idle: they share. */
	union {
		uint32_t want; /* the want whose getConn started this dial, while dialing */
		struct {
			ps_time idle_at;       /* while idle */
			struct link idle_link; /* in key.idle */
			struct link lru_link;  /* in transport.lru */
		};
	};
};
/* One per conn slot: its flags in the key's word, the HTTP/2 conn's own fields in struct
 * h2conn, and the want sharing the idle fields keep it at 32 bytes (was 80, then 40). */
_Static_assert(sizeof(struct pconn) == 32, "struct pconn is 32 bytes");

/*
 * What only a KIND_H2_CONN uses, by conn slot, in an array of its own that grows only as far
 * as the highest slot an HTTP/2 conn has held (h2_of): a run without HTTP/2 has none.
 */
struct h2conn {
	uint32_t streams;      /* H5: its active streams */
	uint32_t max_streams;  /* H5: the server's SETTINGS_MAX_CONCURRENT_STREAMS */
	struct link h2_link;   /* in key.h2 */
	uint64_t order;        /* when it joined key.h2: its place in H2's order */
	struct list slot_wait; /* H5b: requests waiting for a stream of this full conn, FIFO */
};

struct want {
	uint32_t req, req_slot;
	unsigned key : 25;  /* below POOL_MAX_KEYS */
	unsigned state : 2; /* enum want_state */
	unsigned in_idle_wait : 1, in_conns_wait : 1;
	uint32_t dial_conn; /* the conn dialing on its behalf, or PS_NONE */
	struct link idle_wait_link;
	/* A want waiting for a stream (H5b) has left the other queues first (h2_await_slot's
	 * want_unqueue), and one in them is not waiting for a stream: one link serves both. */
	union {
		struct link conns_wait_link;
		struct link slot_wait_link; /* H5b: in slot_conn_of(its slot)'s slot_wait */
	};
};
/* A free want's req_slot chains the free wants (slots.h): nothing reads it while free. */
#define WANT_FREE_LINK offsetof(struct want, req_slot)
/* One per waiting request: the conn a strict HTTP/2 request waits on for a stream lives in
 * pool.slot_conns, which only such runs grow, keeping it at 32 bytes (was 48, then 36). */
_Static_assert(sizeof(struct want) == 32, "struct want is 32 bytes");
_Static_assert(CONN_IDLE < 4 && KIND_H2_TICKET < 4 && WANT_DONE < 4, "they fit their bitfields");

struct pkey {
	uint32_t transport, host;
	struct list idle;
	struct list idle_wait;
	struct list conns_wait;
	struct list h2; /* the HTTP/2 pool's conns of this address, in the order added (H2) */
	uint32_t h2_scan_from; /* no conn of h2 before this one can take a stream; PS_NONE: the
	                          head (h2_find_conn starts here, so a long run of conns whose
	                          streams are all taken, leaked, is stepped over once) */
	int64_t conns_per_host;
	uint32_t n_conns;               /* conns of this key in any state */
	uint32_t n_wants;               /* live want records of this key */
	uint32_t tally_idle, tally_all; /* pool_check_invariants' count of its conns */
	uint32_t tally_permits;         /* ... of those that hold a MaxConnsPerHost permit */
	bool live;
};

struct ptransport {
	struct list lru;
	uint32_t key;    /* a transient Transport's only key, PS_NONE until its first request */
	bool close_idle; /* set by CloseIdleConnections (C2) */
	bool live;
};

struct pool {
	struct pool_config cfg;
	struct transport_limits limits; /* what cfg.transport means (limits.h) */
	struct ev_stream *out;
	uint32_t n_hosts;
	uint32_t *h2_max_streams; /* per host, 0: HTTP/1.1 (a copy of pool_config's) */
	uint32_t next_conn_id;
	uint32_t open;
	uint64_t h2_joined; /* conns that have joined an HTTP/2 pool: the next one's order */

	/* Each record array is numbered by its own slots (slots.h) and grown to hold them. */
	struct pconn *conns;
	uint32_t cap_conns;
	struct slots conn_slots;
	struct h2conn *h2s; /* by conn slot, below cap_h2s */
	uint32_t cap_h2s;
	struct want *wants;
	uint32_t cap_wants;
	struct slots want_slots;
	/* H5b: by want slot, below cap_slot_conns, the full HTTP/2 conn it waits on plus one, so
	 * that the zeroed growth of grow_to_hold means none (slot_conn_of). */
	uint32_t *slot_conns;
	uint32_t cap_slot_conns;
	struct pkey *keys;
	uint32_t cap_keys;
	struct slots key_slots;
	struct ptransport *transports;
	uint32_t cap_transports, live_transports;
	struct slots transport_slots;
};

/* G8: does a dial die with the request's context (it did before Go 1.23)? */
static bool dial_dies_with_request(const struct pool *p)
{
	return p->cfg.go < GO_DIAL_DETACHED_FROM_REQUEST;
}

/* ---------------------------------------------------------------- lists */

/* A list threads through one `struct link` field of an array's elements. */
struct list_ref {
	char *base;
	size_t stride, offset;
};

#define LIST_REF(array, type, field)                                                               \
	((struct list_ref){(char *)(array), sizeof(type), offsetof(type, field)})

static struct link *link_at(struct list_ref r, uint32_t i)
{
	return (struct link *)(r.base + (size_t)i * r.stride + r.offset);
}

static void list_init(struct list *l)
{
	l->head = l->tail = PS_NONE;
	l->len = 0;
}

static void list_push_back(struct list *l, struct list_ref r, uint32_t i)
{
	struct link *k = link_at(r, i);
	k->prev = l->tail;
	k->next = PS_NONE;
	if (l->tail != PS_NONE)
		link_at(r, l->tail)->next = i;
	else
		l->head = i;
	l->tail = i;
	l->len++;
}

static void list_remove(struct list *l, struct list_ref r, uint32_t i)
{
	struct link *k = link_at(r, i);
	if (k->prev != PS_NONE)
		link_at(r, k->prev)->next = k->next;
	else
		l->head = k->next;
	if (k->next != PS_NONE)
		link_at(r, k->next)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = PS_NONE;
	l->len--;
}

#define IDLE_REF(p)       LIST_REF((p)->conns, struct pconn, idle_link)
#define LRU_REF(p)        LIST_REF((p)->conns, struct pconn, lru_link)
#define IDLE_WAIT_REF(p)  LIST_REF((p)->wants, struct want, idle_wait_link)
#define CONNS_WAIT_REF(p) LIST_REF((p)->wants, struct want, conns_wait_link)
#define H2_REF(p)         LIST_REF((p)->h2s, struct h2conn, h2_link)
#define SLOT_WAIT_REF(p)  LIST_REF((p)->wants, struct want, slot_wait_link)

static void h2_unlist(struct pool *p, uint32_t key, uint32_t c);

/* ---------------------------------------------------------------- slots */

static void h2conn_init(struct h2conn *h)
{
	*h = (struct h2conn){.h2_link = {PS_NONE, PS_NONE}};
	list_init(&h->slot_wait);
}

static uint32_t conn_alloc(struct pool *p)
{
	uint32_t i = slots_take(&p->conn_slots);
	p->conns = grow_to_hold(p->conns, &p->cap_conns, sizeof(*p->conns), i, 64, NULL);
	memset(&p->conns[i], 0, sizeof(p->conns[i]));
	p->conns[i].want = PS_NONE;
	p->conns[i].idle_link = p->conns[i].lru_link = (struct link){PS_NONE, PS_NONE};
	if (i < p->cap_h2s)
		h2conn_init(&p->h2s[i]);
	return i;
}

/* The HTTP/2 fields of conn slot c, made when an HTTP/2 conn first takes the slot. */
static struct h2conn *h2_of(struct pool *p, uint32_t c)
{
	if (c >= p->cap_h2s) {
		uint32_t old;
		p->h2s = grow_to_hold(p->h2s, &p->cap_h2s, sizeof(*p->h2s), c, 64, &old);
		for (uint32_t i = old; i < p->cap_h2s; i++)
			h2conn_init(&p->h2s[i]);
	}
	return &p->h2s[c];
}

/* ... of an HTTP/2 conn (one whose slot has them), for readers. */
static const struct h2conn *h2_at(const struct pool *p, uint32_t c)
{
	return &p->h2s[c];
}

static uint32_t want_alloc(struct pool *p)
{
	uint32_t i = slots_take_linked(&p->want_slots, p->wants, sizeof(*p->wants), WANT_FREE_LINK);
	p->wants = grow_to_hold(p->wants, &p->cap_wants, sizeof(*p->wants), i, 64, NULL);
	memset(&p->wants[i], 0, sizeof(p->wants[i]));
	p->wants[i].dial_conn = PS_NONE;
	p->wants[i].slot_wait_link = (struct link){PS_NONE, PS_NONE};
	if (i < p->cap_slot_conns)
		p->slot_conns[i] = 0;
	return i;
}

/* H5b: the full HTTP/2 conn want w waits on for a stream, or PS_NONE. */
static uint32_t slot_conn_of(const struct pool *p, uint32_t w)
{
	uint32_t s = w < p->cap_slot_conns ? p->slot_conns[w] : 0;
	return s ? s - 1 : PS_NONE;
}

/* A run whose wants never wait for a stream never grows slot_conns: none is its zero. */
static void set_slot_conn(struct pool *p, uint32_t w, uint32_t c)
{
	if (c == PS_NONE && w >= p->cap_slot_conns)
		return;
	p->slot_conns =
	    grow_to_hold(p->slot_conns, &p->cap_slot_conns, sizeof(*p->slot_conns), w, 64, NULL);
	p->slot_conns[w] = c == PS_NONE ? 0 : c + 1;
}

_Noreturn static void pool_broken(const struct pool *p, const char *what);

static uint32_t key_alloc(struct pool *p, uint32_t transport, uint32_t host)
{
	uint32_t i = slots_take(&p->key_slots);
	if (i >= POOL_MAX_KEYS)
		pool_broken(p, "more live pool keys than a conn's key field holds");
	p->keys = grow_to_hold(p->keys, &p->cap_keys, sizeof(*p->keys), i, 64, NULL);
	struct pkey *k = &p->keys[i];
	memset(k, 0, sizeof(*k));
	k->transport = transport;
	k->host = host;
	list_init(&k->idle);
	list_init(&k->idle_wait);
	list_init(&k->conns_wait);
	list_init(&k->h2);
	k->h2_scan_from = PS_NONE;
	k->live = true;
	return i;
}

static uint32_t transport_alloc(struct pool *p)
{
	uint32_t i = slots_take(&p->transport_slots);
	p->transports =
	    grow_to_hold(p->transports, &p->cap_transports, sizeof(*p->transports), i, 64, NULL);
	struct ptransport *t = &p->transports[i];
	memset(t, 0, sizeof(*t));
	list_init(&t->lru);
	t->key = PS_NONE;
	t->live = true;
	p->live_transports++;
	return i;
}

/*
 * release_transient_key: a per-request Transport nobody holds any more is
 * garbage in Go; free it once no conn and no waiter refers to its key.
 */
static void release_transient_key(struct pool *p, uint32_t key)
{
	struct pkey *k = &p->keys[key];
	if (k->transport == 0 || k->n_conns > 0 || k->n_wants > 0)
		return;
	struct ptransport *t = &p->transports[k->transport];
	t->live = false;
	slots_give_back(&p->transport_slots, k->transport);
	p->live_transports--;
	k->live = false;
	slots_give_back(&p->key_slots, key);
}

static void want_release_if_unused(struct pool *p, uint32_t w)
{
	struct want *wt = &p->wants[w];
	if (wt->state == WANT_WAITING || wt->dial_conn != PS_NONE || wt->state == WANT_FREE)
		return;
	uint32_t key = wt->key;
	wt->state = WANT_FREE;
	slots_give_back_linked(&p->want_slots, w, p->wants, sizeof(*p->wants), WANT_FREE_LINK);
	p->keys[key].n_wants--;
	release_transient_key(p, key);
}

/* ---------------------------------------------------------------- events */

static inline void emit(struct pool *p, enum ev_kind kind, ps_time now, uint32_t key, uint32_t conn,
                        uint32_t want, enum ev_reason reason, uint32_t flags, int64_t value)
{
	/* everything read before the record is written, so the record is written once */
	uint32_t host = p->keys[key].host;
	uint32_t conn_id = conn != PS_NONE ? p->conns[conn].id : 0;
	uint32_t req = want != PS_NONE ? p->wants[want].req : 0;
	uint32_t req_slot = want != PS_NONE ? p->wants[want].req_slot : PS_NONE;
	struct ps_event *ev = ev_stream_add(p->out, kind, now);
	ev->value = value;
	ev->host = host;
	ev->conn = conn;
	ev->conn_id = conn_id;
	ev->req = req;
	ev->req_slot = req_slot;
	ev->reason = (uint16_t)reason;
	ev->flags = flags;
}

/* ---------------------------------------------------------------- config */

/* pool_broken: an internal invariant broke, as Go would panic: tell the driver, then abort. */
_Noreturn static void pool_broken(const struct pool *p, const char *what)
{
	if (p->cfg.on_broken)
		p->cfg.on_broken(what, p->cfg.on_broken_ctx);
	abort();
}

static bool max_conns_limited(const struct pool *p)
{
	return p->limits.max_conns_per_host != LIMIT_NONE;
}

/* ---------------------------------------------------------------- lifecycle */

struct pool *pool_create(const struct pool_config *cfg, uint32_t n_hosts, struct ev_stream *out)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->limits = transport_limits_of(&cfg->transport);
	p->out = out;
	p->n_hosts = n_hosts;
	slots_init(&p->conn_slots);
	slots_init(&p->want_slots);
	slots_init(&p->key_slots);
	slots_init(&p->transport_slots);
	if (cfg->h2_max_streams) {
		p->h2_max_streams = calloc(n_hosts ? n_hosts : 1, sizeof(*p->h2_max_streams));
		if (!p->h2_max_streams) {
			free(p);
			return NULL;
		}
		memcpy(p->h2_max_streams, cfg->h2_max_streams, n_hosts * sizeof(uint32_t));
	}
	p->cfg.h2_max_streams = NULL; /* the caller's array need not outlive the pool */
	transport_alloc(p);           /* transport 0: the scenario's shared Transport */
	for (uint32_t h = 0; h < n_hosts; h++)
		key_alloc(p, 0, h); /* key h = (transport 0, host h) */
	return p;
}

void pool_destroy(struct pool *p)
{
	if (!p)
		return;
	free(p->conns);
	free(p->h2s);
	free(p->wants);
	free(p->slot_conns);
	free(p->keys);
	free(p->transports);
	slots_free(&p->conn_slots);
	slots_free(&p->want_slots);
	slots_free(&p->key_slots);
	slots_free(&p->transport_slots);
	free(p->h2_max_streams);
	free(p);
}

uint32_t pool_transport_new(struct pool *p)
{
	return transport_alloc(p);
}

static uint32_t key_for(struct pool *p, uint32_t transport, uint32_t host)
{
	if (transport == 0)
		return host;
	struct ptransport *t = &p->transports[transport];
	if (t->key == PS_NONE)
		t->key = key_alloc(p, transport, host);
	return t->key;
}

/* ---------------------------------------------------------------- idle structures */

/* removeIdleConn: take an idle conn out of idle[key] and idleLRU. */
static void pool_removeIdleConn(struct pool *p, uint32_t c)
{
	struct pconn *pc = &p->conns[c];
	struct pkey *k = &p->keys[pc->key];
	list_remove(&k->idle, IDLE_REF(p), c);
	list_remove(&p->transports[k->transport].lru, LRU_REF(p), c);
	pc->state = CONN_ACTIVE;
}

/* ---------------------------------------------------------------- delivery */

static void want_unqueue(struct pool *p, uint32_t w)
{
	struct want *wt = &p->wants[w];
	struct pkey *k = &p->keys[wt->key];
	if (wt->in_idle_wait) {
		list_remove(&k->idle_wait, IDLE_WAIT_REF(p), w);
		wt->in_idle_wait = false;
	}
	if (wt->in_conns_wait) {
		list_remove(&k->conns_wait, CONNS_WAIT_REF(p), w);
		wt->in_conns_wait = false;
	}
	uint32_t slot_conn = slot_conn_of(p, w);
	if (slot_conn != PS_NONE) {
		list_remove(&h2_of(p, slot_conn)->slot_wait, SLOT_WAIT_REF(p), w);
		set_slot_conn(p, w, PS_NONE);
	}
}

/* want_take: waiter w is served now and leaves every queue; EVF_WAITED joins `flags` if it waited.
 */
static uint32_t want_take(struct pool *p, uint32_t w, uint32_t flags)
{
	struct want *wt = &p->wants[w];
	if (wt->state == WANT_WAITING)
		flags |= EVF_WAITED;
	wt->state = WANT_DONE;
	want_unqueue(p, w);
	return flags;
}

/* tryDeliver (G5): the first result a waiter gets is the one it keeps. */
static void want_deliver(struct pool *p, ps_time now, uint32_t w, uint32_t c, uint32_t flags)
{
	struct pconn *pc = &p->conns[c];
	flags = want_take(p, w, flags);
	pc->state = CONN_ACTIVE;
	if (pc->served)
		flags |= EVF_REUSED;
	if (pc->reused)
		flags |= EVF_GO_REUSED;
	pc->served = true;
	emit(p, EV_REQ_GOT_CONN, now, pc->key, c, w, R_NONE, flags, 0);
}

/* ---------------------------------------------------------------- dialing */

/* startDialConnFor: a new conn starts dialing for want w (its permit, if any, already taken). */
static void start_dial(struct pool *p, ps_time now, uint32_t w)
{
	struct want *wt = &p->wants[w];
	uint32_t c = conn_alloc(p);
	struct pconn *pc = &p->conns[c];
	pc->id = ++p->next_conn_id;
	pc->key = wt->key;
	pc->state = CONN_DIALING;
	pc->want = w;
	wt->dial_conn = c;
	p->keys[wt->key].n_conns++;
	p->open++;
	emit(p, EV_DIAL_START, now, wt->key, c, w, R_NONE, 0, 0);
}

/*
 * decConnsPerHost (G7): a counted conn went away. The permit goes to the
 * oldest request waiting for one, whose dial starts now (the count is
 * transferred, not decremented); only with nobody waiting does the count drop.
 */
static void pool_decConnsPerHost(struct pool *p, ps_time now, uint32_t key)
{
	if (!max_conns_limited(p))
		return;
	struct pkey *k = &p->keys[key];
	if (k->conns_wait.len > 0) {
		uint32_t w = k->conns_wait.head;
		list_remove(&k->conns_wait, CONNS_WAIT_REF(p), w);
		p->wants[w].in_conns_wait = false;
		start_dial(p, now, w);
		return;
	}
	if (k->conns_per_host <= 0) /* Go panics too: a quiet miscount would become a deadlock */
		pool_broken(p, "connCount underflow");
	k->conns_per_host--;
}

/* queueForDial (G4): dial now, or wait for a permit behind MaxConnsPerHost. */
static void pool_queueForDial(struct pool *p, ps_time now, uint32_t w)
{
	struct want *wt = &p->wants[w];
	struct pkey *k = &p->keys[wt->key];
	if (!max_conns_limited(p)) {
		start_dial(p, now, w);
		return;
	}
	if (limit_allows(p->limits.max_conns_per_host, k->conns_per_host)) {
		k->conns_per_host++;
		start_dial(p, now, w);
		return;
	}
	list_push_back(&k->conns_wait, CONNS_WAIT_REF(p), w);
	wt->in_conns_wait = true;
	emit(p, EV_PERMIT_WAIT, now, wt->key, PS_NONE, w, R_NONE, 0, p->limits.max_conns_per_host);
}

/* ---------------------------------------------------------------- closing */

static void h2_slot_waiters_retry(struct pool *p, ps_time now, struct list waiters);

/* close_conn: persistConn.close: forget the conn, then give back its permit (G7). */
static void close_conn(struct pool *p, ps_time now, uint32_t c, enum ev_reason why, uint32_t flags)
{
	struct pconn *pc = &p->conns[c];
	uint32_t key = pc->key;
	if (pc->state == CONN_FREE)
		return;
	if (pc->state == CONN_IDLE) {
		pool_removeIdleConn(p, c);
		flags |= EVF_WAS_IDLE;
	}
	if (pc->state == CONN_DIALING)
		flags |= EVF_WAS_DIALING;
	uint8_t kind = pc->kind;
	struct list slot_waiters; /* H5b: retried once the conn is gone */
	list_init(&slot_waiters);
	uint32_t streams = 0;
	if (kind == KIND_H2_CONN) {
		struct h2conn *h = h2_of(p, c);
		slot_waiters = h->slot_wait;
		list_init(&h->slot_wait);
		streams = h->streams;
		/* H4: closing the socket leaves its ticket listed, permit and all (H7). */
		if (!pc->goaway)
			h2_unlist(p, key, c);
		flags |= EVF_H2;
	}
	if (kind != KIND_H2_TICKET) { /* a ticket has no socket: closeLocked closes nothing */
		/* value: an HTTP/2 conn's streams that die with it */
		emit(p, EV_CONN_CLOSED, now, key, c, PS_NONE, why, flags, streams);
		p->open--;
	}
	pc->state = CONN_FREE;
	slots_give_back(&p->conn_slots, c);
	p->keys[key].n_conns--;
	if (kind != KIND_H2_CONN)
		pool_decConnsPerHost(p, now, key);
	h2_slot_waiters_retry(p, now, slot_waiters);
	release_transient_key(p, key);
}

static enum ev_reason put_refusal_reason(enum pool_put_result r)
{
	switch (r) {
	case POOL_ERR_KEEPALIVES_DISABLED:
		return R_KEEPALIVES_DISABLED;
	case POOL_ERR_TOO_MANY_IDLE_HOST:
		return R_MAX_IDLE_PER_HOST;
	case POOL_ERR_CLOSE_IDLE:
		return R_CLOSE_IDLE_CONNS;
	case POOL_ERR_CONN_BROKEN:
	default:
		return R_CONN_BROKEN;
	}
}

/* ---------------------------------------------------------------- putting back */

/* The P8 eviction: the LRU-oldest idle conn of the Transport, possibly `c` itself. */
static bool evict_for_max_idle(struct pool *p, ps_time now, uint32_t c)
{
	struct ptransport *t = &p->transports[p->keys[p->conns[c].key].transport];
	if (limit_allows(p->limits.max_idle_total, t->lru.len))
		return false;
	if (t->lru.len == 0) {
		/* MaxIdleConns < 0 (a limit of 0): the conn just put is the oldest; it never rests.
		 */
		close_conn(p, now, c, R_MAX_IDLE_TOTAL, 0);
		return true;
	}
	close_conn(p, now, t->lru.head, R_MAX_IDLE_TOTAL, 0);
	return false;
}

/*
 * tryPutIdleConn (P1-P9): hand `c` to the oldest waiting request, else make it
 * idle, else refuse. A refusal closes nothing: putOrCloseIdleConn does.
 */
static enum pool_put_result pool_tryPutIdleConn(struct pool *p, ps_time now, uint32_t c)
{
	struct pconn *pc = &p->conns[c];
	struct pkey *k = &p->keys[pc->key];

	if (p->limits.keep_alives_off)
		return POOL_ERR_KEEPALIVES_DISABLED; /* P1 */
	if (pc->state == CONN_FREE)
		return POOL_ERR_CONN_BROKEN; /* P2 */
	pc->reused = true;                   /* P3 markReused */
	if (k->idle_wait.len > 0) {          /* P5: late binding, FIFO */
		uint32_t w = k->idle_wait.head;
		emit(p, EV_CONN_HANDOFF, now, pc->key, c, w, R_NONE, 0, 0);
		want_deliver(p, now, w, c, 0);
		want_release_if_unused(p, w);
		return POOL_PUT_HANDED_OFF;
	}
	if (p->transports[k->transport].close_idle)
		return POOL_ERR_CLOSE_IDLE; /* P6 */
	if (!limit_allows(p->limits.max_idle_per_host, k->idle.len))
		return POOL_ERR_TOO_MANY_IDLE_HOST; /* P7: the new conn goes, the old stay */
	/* P8: evict before adding, so the stream never shows MaxIdleConns + 1 idle. */
	if (evict_for_max_idle(p, now, c))
		return POOL_PUT_IDLE; /* Go returns nil: the put "succeeded" */
	pc = &p->conns[c];            /* the eviction may have started a dial, growing the array */
	list_push_back(&k->idle, IDLE_REF(p), c);
	list_push_back(&p->transports[k->transport].lru, LRU_REF(p), c);
	pc->state = CONN_IDLE;
	pc->idle_at = now; /* P9: the timeout runs from the last put */
	ps_time timeout = p->limits.idle_timeout;
	ps_time deadline = timeout == PS_TIME_NEVER ? PS_TIME_NEVER : ps_time_add(now, timeout);
	emit(p, EV_CONN_IDLE, now, pc->key, c, PS_NONE, R_NONE, 0, deadline);
	return POOL_PUT_IDLE;
}

/* putOrCloseIdleConn: the put, and the close of a refused conn with the refusal as reason. */
static enum pool_put_result pool_putOrCloseIdleConn(struct pool *p, ps_time now, uint32_t c)
{
	enum pool_put_result r = pool_tryPutIdleConn(p, now, c);
	if (r != POOL_PUT_IDLE && r != POOL_PUT_HANDED_OFF)
		close_conn(p, now, c, put_refusal_reason(r), 0);
	return r;
}

/* ---------------------------------------------------------------- getConn */

static bool pool_queueForIdleConn(struct pool *p, ps_time now, uint32_t w);
static void h2_conn_idle(struct pool *p, ps_time now, uint32_t c);
static uint32_t h2_find_conn(struct pool *p, uint32_t key);
static void h2_start_stream(struct pool *p, ps_time now, uint32_t w, uint32_t c, uint32_t flags);

static bool idle_too_old(const struct pool *p, ps_time now, const struct pconn *pc)
{
	ps_time timeout = p->limits.idle_timeout;
	return timeout != PS_TIME_NEVER &&
	       pc->idle_at < now - timeout; /* strictly, as Go's Before */
}

/*
 * queueForIdleConn (G2): the newest idle conn of the key (LIFO), skipping and
 * closing ones past IdleConnTimeout; else register as an idle waiter.
 * Returns true when w was served.
 */
static bool pool_queueForIdleConn(struct pool *p, ps_time now, uint32_t w)
{
	struct want *wt = &p->wants[w];
	struct pkey *k = &p->keys[wt->key];
	if (p->cfg.transport.DisableKeepAlives)
		return false;                           /* G2a: no lookup, no registration */
	p->transports[k->transport].close_idle = false; /* G2b */
	while (k->idle.len > 0) {
		uint32_t c = k->idle.tail; /* G2c: most recently used first */
		if (idle_too_old(p, now, &p->conns[c])) {
			close_conn(p, now, c, R_IDLE_TIMEOUT, 0);
			continue;
		}
		if (p->conns[c].kind == KIND_H2_TICKET) {
			/* H4: handed out without leaving the list; H5a: no free stream, so
			 * roundTrip drops it (its permit too) and the retry's getConn looks again.
			 */
			uint32_t h2 = h2_find_conn(p, wt->key);
			if (h2 != PS_NONE) {
				h2_start_stream(p, now, w, h2, EVF_WAS_IDLE);
				return true;
			}
			close_conn(p, now, c, R_NONE, 0);
			continue;
		}
		pool_removeIdleConn(p, c);
		want_deliver(p, now, w, c, EVF_WAS_IDLE);
		return true;
	}
	list_push_back(&k->idle_wait, IDLE_WAIT_REF(p), w); /* G2e */
	wt->in_idle_wait = true;
	return false;
}

/* ---------------------------------------------------------------- HTTP/2 (H1-H11) */

static bool host_is_h2(const struct pool *p, uint32_t key)
{
	return p->h2_max_streams && p->h2_max_streams[p->keys[key].host] > 0;
}

/* H9: an HTTP/2 conn under DisableKeepAlives carries one request. The pool's config never
 * changes, so a conn needs no flag of its own. */
static bool h2_single_use(const struct pool *p)
{
	return p->cfg.transport.DisableKeepAlives;
}

/* H5b: Transport.HTTP2.StrictMaxConcurrentRequests (the scenario refuses it before Go 1.24). */
static bool h2_strict(const struct pool *p)
{
	return p->cfg.transport.StrictMaxConcurrentRequests;
}

/*
 * idleStateLocked (H5, H9): can this HTTP/2 conn take one more request? Not
 * strict (H5a): while a stream is free. Strict (H5b): whenever it is usable,
 * "to prevent the caller from dialing a new TCP connection"; the request then
 * waits for a stream (h2_start_stream, h2_await_slot).
 */
static bool h2_can_take(const struct pool *p, uint32_t c)
{
	const struct pconn *pc = &p->conns[c];
	if (h2_single_use(p) && pc->served)
		return false;
	return h2_strict(p) || h2_at(p, c)->streams < h2_at(p, c)->max_streams;
}

/*
 * orphan_dial: want w stops waiting for a conn, but the dial it may have
 * running goes on for nobody (an orphan want keeps it, G6): its conn lands in
 * the pool when it is ready.
 */
static void orphan_dial(struct pool *p, uint32_t w)
{
	uint32_t dial = p->wants[w].dial_conn;
	if (dial == PS_NONE)
		return;
	uint32_t o = want_alloc(p);
	struct want *orphan = &p->wants[o];
	*orphan = p->wants[w];
	orphan->state = WANT_DONE;
	orphan->in_idle_wait = orphan->in_conns_wait = false;
	orphan->idle_wait_link = orphan->conns_wait_link = (struct link){PS_NONE, PS_NONE};
	/* its slot_conns entry: want_alloc cleared it */
	orphan->slot_wait_link = (struct link){PS_NONE, PS_NONE};
	p->conns[dial].want = o;
	p->keys[orphan->key].n_wants++;
	p->wants[w].dial_conn = PS_NONE;
}

/*
 * h2_await_slot (H5b, awaitOpenSlotForStreamLocked): strict, the request
 * reserved conn c but every stream is taken: it waits, in arrival order
 * (the conn's reqHeaderMu, a channel, queues its senders FIFO), for a stream
 * of c to end (pool_streamDone) instead of dialing. Its own dial, if any,
 * goes on for nobody. A request that was not waiting yet starts waiting now
 * (EV_REQ_WAIT, EVF_H2_SLOT).
 */
static void h2_await_slot(struct pool *p, ps_time now, uint32_t w, uint32_t c)
{
	struct want *wt = &p->wants[w];
	bool was_waiting = wt->state == WANT_WAITING;
	orphan_dial(p, w);
	wt = &p->wants[w]; /* orphan_dial may have grown the array */
	want_unqueue(p, w);
	wt->state = WANT_WAITING;
	set_slot_conn(p, w, c);
	list_push_back(&h2_of(p, c)->slot_wait, SLOT_WAIT_REF(p), w);
	if (!was_waiting)
		emit(p, EV_REQ_WAIT, now, wt->key, c, w, R_NONE, EVF_H2 | EVF_H2_SLOT, 0);
}

/* Does want w wait for a conn (not for a stream of one, H5b)? */
static bool want_waits_for_conn(const struct pool *p, uint32_t w)
{
	return w != PS_NONE && p->wants[w].state == WANT_WAITING && slot_conn_of(p, w) == PS_NONE;
}

/* getClientConn (H2): the first conn of the address, in the order added, with a free stream. */
/* The first conn of the key's HTTP/2 pool that can take a stream (H2), from where the last
 * search left off: every conn before that one could take none, and still cannot unless a
 * stream of it ended since (h2_stream_freed moves the start back to it). */
static uint32_t h2_find_conn(struct pool *p, uint32_t key)
{
	struct pkey *k = &p->keys[key];
	uint32_t last = PS_NONE;
	for (uint32_t c = k->h2_scan_from != PS_NONE ? k->h2_scan_from : k->h2.head; c != PS_NONE;
	     c = h2_at(p, c)->h2_link.next) {
		if (h2_can_take(p, c)) {
			k->h2_scan_from = c;
			return c;
		}
		last = c;
	}
	if (last != PS_NONE)
		k->h2_scan_from = last; /* all full: the next search looks at the last one only */
	return PS_NONE;
}

/* A stream of conn c ended: if h2_find_conn would have stepped over c, it starts at c. */
static void h2_stream_freed(struct pool *p, uint32_t c)
{
	if (p->conns[c].goaway)
		return; /* not in the pool since MarkDead */
	struct pkey *k = &p->keys[p->conns[c].key];
	uint32_t from = k->h2_scan_from;
	if (from != PS_NONE && h2_at(p, c)->order < h2_at(p, from)->order)
		k->h2_scan_from = c;
}

/* Conn c leaves the key's HTTP/2 pool (closed, or MarkDead on GOAWAY). */
static void h2_unlist(struct pool *p, uint32_t key, uint32_t c)
{
	struct pkey *k = &p->keys[key];
	if (k->h2_scan_from == c) {
		const struct link *at = &h2_at(p, c)->h2_link;
		k->h2_scan_from = at->next != PS_NONE ? at->next : at->prev;
	}
	list_remove(&k->h2, H2_REF(p), c);
}

/*
 * h2_start_stream: the request of want w gets a stream on conn c
 * (ReserveNewRequest), or, with every stream of c taken (H5b, strict only),
 * waits for one (h2_await_slot).
 */
static void h2_start_stream(struct pool *p, ps_time now, uint32_t w, uint32_t c, uint32_t flags)
{
	struct pconn *pc = &p->conns[c];
	struct h2conn *h = h2_of(p, c);
	if (h->streams >= h->max_streams && h2_strict(p)) {
		h2_await_slot(p, now, w, c);
		return;
	}
	flags = want_take(p, w, flags);
	if (pc->served)
		flags |= EVF_REUSED | EVF_GO_REUSED;
	pc->served = true;
	h->streams++;
	emit(p, EV_REQ_GOT_CONN, now, pc->key, c, w, R_NONE, flags | EVF_H2, h->streams);
}

/* A ticket is named by its slot and its id: a slot freed and reused is another ticket. */
static bool ticket_is_listed(const struct pool *p, uint32_t t, uint32_t id)
{
	const struct pconn *pc = &p->conns[t];
	return pc->kind == KIND_H2_TICKET && pc->state == CONN_IDLE && pc->id == id;
}

/*
 * h2_retry (H5a): the request of want w got a ticket but no stream
 * (ErrNoCachedConn). Transport.roundTrip's retry is a fresh getConn; the dial
 * w may have had running goes on for nobody (an orphan want keeps it, G6).
 */
static void h2_retry(struct pool *p, ps_time now, uint32_t w)
{
	orphan_dial(p, w);
	want_unqueue(p, w); /* H4, H5a: the retry's wantConn is new, queued afresh */
	p->wants[w].state = WANT_WAITING;
	if (!pool_queueForIdleConn(p, now, w))
		pool_queueForDial(p, now, w);
}

/*
 * h2_slot_waiters_retry (H5b, H8): the conn the requests of `waiters` waited
 * on for a stream closed. awaitOpenSlotForStreamLocked returns
 * errClientConnUnusable, which http2canRetryError retries at once: the
 * HTTP/2 pool's next usable conn (where a strict request waits again), else
 * ErrNoCachedConn and Transport.roundTrip's retry (H5a: getConn, and a dial).
 * Nothing was written, so nothing fails.
 */
static void h2_slot_waiters_retry(struct pool *p, ps_time now, struct list waiters)
{
	uint32_t next;
	for (uint32_t w = waiters.head; w != PS_NONE; w = next) {
		next = p->wants[w].slot_wait_link.next;
		p->wants[w].slot_wait_link = (struct link){PS_NONE, PS_NONE};
		set_slot_conn(p, w, PS_NONE);
		uint32_t c = h2_find_conn(p, p->wants[w].key);
		if (c != PS_NONE)
			h2_start_stream(p, now, w, c, 0);
		else
			h2_retry(p, now, w);
	}
}

/*
 * h2_take_ticket (H4, H5a): want w was handed ticket t (with id `id`): its
 * alt.RoundTrip asks the HTTP/2 pool; with no free stream anywhere, roundTrip
 * removes the ticket (if still listed), releases its permit and retries.
 */
static void h2_take_ticket(struct pool *p, ps_time now, uint32_t w, uint32_t t, uint32_t id)
{
	uint32_t c = h2_find_conn(p, p->wants[w].key);
	if (c != PS_NONE) {
		h2_start_stream(p, now, w, c, 0);
		return;
	}
	if (ticket_is_listed(p, t, id))
		close_conn(p, now, t, R_NONE, 0);
	h2_retry(p, now, w);
}

/*
 * h2_put_ticket (P1-P8 for an alt pconn, H4): a put that finds waiters hands
 * the ticket to all of them and lists it anyway; no HTTP/1 idle timer. The
 * waiters then ask the HTTP/2 pool, in queue order.
 */
static void h2_put_ticket(struct pool *p, ps_time now, uint32_t t)
{
	struct pconn *pc = &p->conns[t];
	uint32_t key = pc->key, id = pc->id;
	struct pkey *k = &p->keys[key];
	if (p->limits.keep_alives_off) { /* P1 */
		close_conn(p, now, t, R_KEEPALIVES_DISABLED, 0);
		return;
	}
	pc->reused = true;                 /* P3 */
	struct list handed = k->idle_wait; /* P5: every waiter gets it */
	list_init(&k->idle_wait);
	for (uint32_t w = handed.head; w != PS_NONE; w = p->wants[w].idle_wait_link.next) {
		/* H4: tryDeliver marks each done, so decConnsPerHost skips it (w.waiting()):
		 * none of them waits for a permit any more. Off idle_wait already (the list was
		 * taken whole), so want_unqueue leaves the link this loop follows alone. */
		p->wants[w].in_idle_wait = false;
		want_unqueue(p, w);
	}
	enum pool_put_result r = POOL_PUT_IDLE;
	if (p->transports[k->transport].close_idle)
		r = POOL_ERR_CLOSE_IDLE; /* P6 */
	else if (!limit_allows(p->limits.max_idle_per_host, k->idle.len))
		r = POOL_ERR_TOO_MANY_IDLE_HOST; /* P7 */
	if (r != POOL_PUT_IDLE) {
		close_conn(p, now, t, put_refusal_reason(r), 0);
	} else if (!evict_for_max_idle(p, now, t)) { /* P8 */
		pc = &p->conns[t];
		list_push_back(&k->idle, IDLE_REF(p), t);
		list_push_back(&p->transports[k->transport].lru, LRU_REF(p), t);
		pc->state = CONN_IDLE;
		pc->idle_at = now;
	}
	uint32_t next;
	for (uint32_t w = handed.head; w != PS_NONE; w = next) {
		next = p->wants[w].idle_wait_link.next;
		p->wants[w].idle_wait_link = (struct link){PS_NONE, PS_NONE};
		if (want_waits_for_conn(p, w))
			h2_take_ticket(p, now, w, t, id);
		want_release_if_unused(p, w);
	}
}

/*
 * h2_dialConnFor (H3, H4): an HTTP/2 dial finished. addConnIfNeeded keeps the
 * socket as a new conn of the HTTP/2 pool unless the pool has one with a free
 * stream; either way the pconn becomes a ticket that takes over the dial's
 * permit. Its own request is served first (1.19's order; 1.26 puts first, and
 * no count differs), then the put hands the ticket to the waiters.
 */
static void h2_dialConnFor(struct pool *p, ps_time now, uint32_t c, uint32_t w)
{
	uint32_t key = p->conns[c].key;
	uint32_t t = c;
	if (h2_find_conn(p, key) != PS_NONE) {
		emit(p, EV_CONN_CLOSED, now, key, c, PS_NONE, R_H2_UNNEEDED, EVF_H2, 0);
		p->open--;
		p->conns[c].kind = KIND_H2_TICKET;
		p->conns[c].state = CONN_ACTIVE;
	} else {
		t = conn_alloc(p);
		h2_of(p, c)->max_streams = p->h2_max_streams[p->keys[key].host];
		struct pconn *pc = &p->conns[c];
		pc->kind = KIND_H2_CONN;
		pc->state = CONN_ACTIVE;
		h2_of(p, c)->order = p->h2_joined++;
		list_push_back(&p->keys[key].h2, H2_REF(p), c);
		struct pconn *tk = &p->conns[t];
		tk->id = pc->id;
		tk->key = key;
		tk->kind = KIND_H2_TICKET;
		tk->state = CONN_ACTIVE;
		p->keys[key].n_conns++;
	}
	uint32_t id = p->conns[t].id;
	if (want_waits_for_conn(p, w)) {
		uint32_t free_conn = h2_find_conn(p, key);
		if (free_conn != PS_NONE)
			h2_start_stream(p, now, w, free_conn, 0);
	}
	h2_put_ticket(p, now, t);
	if (want_waits_for_conn(p, w))
		h2_take_ticket(p, now, w, t, id); /* a conn of max_concurrent_streams 0 */
	if (p->conns[c].kind == KIND_H2_CONN && h2_at(p, c)->streams == 0 &&
	    p->conns[c].state == CONN_ACTIVE)
		h2_conn_idle(p, now, c);
}

uint32_t pool_getConn(struct pool *p, ps_time now, uint32_t transport, uint32_t host, uint32_t req,
                      uint32_t req_slot)
{
	uint32_t key = key_for(p, transport, host);
	uint32_t w = want_alloc(p);
	struct want *wt = &p->wants[w];
	wt->req = req;
	wt->req_slot = req_slot;
	wt->key = key;
	wt->state = WANT_WAITING;
	p->keys[key].n_wants++;
	/* Served at once from the idle list: the request never counts as waiting. */
	wt->state = WANT_DONE;
	uint32_t h2 = host_is_h2(p, key) ? h2_find_conn(p, key) : PS_NONE;
	if (h2 != PS_NONE) { /* H2: the HTTP/2 pool first */
		h2_start_stream(p, now, w, h2, 0);
		if (p->wants[w].state == WANT_WAITING)
			return w; /* H5b: for a stream of a full conn */
		want_release_if_unused(p, w);
		return PS_NONE;
	}
	if (pool_queueForIdleConn(p, now, w)) {
		if (p->wants[w].state == WANT_WAITING)
			return w; /* H5b */
		want_release_if_unused(p, w);
		return PS_NONE;
	}
	wt = &p->wants[w];
	wt->state = WANT_WAITING;
	emit(p, EV_REQ_WAIT, now, key, PS_NONE, w, R_NONE, 0, 0);
	pool_queueForDial(p, now, w);
	return w;
}

void pool_cancelWant(struct pool *p, ps_time now, uint32_t w, enum ev_reason why)
{
	if (w == PS_NONE || w >= slots_used(&p->want_slots))
		return;
	struct want *wt = &p->wants[w];
	if (wt->state != WANT_WAITING)
		return;
	wt->state = WANT_DONE;
	want_unqueue(p, w);
	uint32_t c = wt->dial_conn;
	if (c != PS_NONE && dial_dies_with_request(p)) {
		/* G8 before 1.23: the dial runs on the request's context and dies with it. */
		pool_dialFailed(p, now, c, R_DIAL_CANCELED);
		return;
	}
	/* G8 since 1.23: the dial is detached and lands in the pool when it finishes (G6). */
	want_release_if_unused(p, w);
}

void pool_requestContextDone(struct pool *p, ps_time now, uint32_t w, uint32_t req)
{
	if (w == PS_NONE || w >= slots_used(&p->want_slots) || !dial_dies_with_request(p))
		return;
	struct want *wt = &p->wants[w];
	if (wt->state == WANT_FREE || wt->req != req || wt->dial_conn == PS_NONE)
		return;
	if (wt->state == WANT_WAITING) {
		pool_cancelWant(p, now, w, R_DIAL_CANCELED);
		return;
	}
	pool_dialFailed(p, now, wt->dial_conn, R_DIAL_CANCELED);
}

/* ---------------------------------------------------------------- dial results */

static uint32_t detach_dial(struct pool *p, uint32_t c)
{
	struct pconn *pc = &p->conns[c];
	uint32_t w = pc->want;
	pc->want = PS_NONE;
	if (w != PS_NONE)
		p->wants[w].dial_conn = PS_NONE;
	return w;
}

void pool_dialConnFor(struct pool *p, ps_time now, uint32_t c)
{
	if (c >= slots_used(&p->conn_slots) || p->conns[c].state != CONN_DIALING)
		return;
	uint32_t w = detach_dial(p, c);
	if (host_is_h2(p, p->conns[c].key)) {
		h2_dialConnFor(p, now, c, w);
		if (w != PS_NONE)
			want_release_if_unused(p, w);
		return;
	}
	p->conns[c].state = CONN_ACTIVE;
	if (w != PS_NONE && p->wants[w].state == WANT_WAITING) {
		want_deliver(p, now, w, c, 0);
	} else {
		/* G6: its request was served by another conn (or gave up): pool the spare. */
		pool_putOrCloseIdleConn(p, now, c);
	}
	if (w != PS_NONE)
		want_release_if_unused(p, w);
}

void pool_dialFailed(struct pool *p, ps_time now, uint32_t c, enum ev_reason why)
{
	if (c >= slots_used(&p->conn_slots) || p->conns[c].state != CONN_DIALING)
		return;
	uint32_t w = detach_dial(p, c);
	if (w != PS_NONE && p->wants[w].state == WANT_WAITING) {
		/* G6: the dial error is the request's error, though it also waited for an idle
		 * conn. */
		struct want *wt = &p->wants[w];
		wt->state = WANT_DONE;
		want_unqueue(p, w);
		emit(p, EV_REQ_FAILED, now, wt->key, c, w, why, EVF_WAITED, 0);
	}
	close_conn(p, now, c, why, 0);
	if (w != PS_NONE)
		want_release_if_unused(p, w);
}

/* ---------------------------------------------------------------- after a response */

/* not_alive_reason (P10, P14): why readLoop will not keep the conn, R_NONE if it will. */
static enum ev_reason not_alive_reason(const struct pool *p, bool resp_close, bool body_eof)
{
	if (resp_close)
		return R_SERVER_CONN_CLOSE; /* P10: Response.Close */
	if (p->cfg.transport.DisableKeepAlives)
		return R_KEEPALIVES_DISABLED; /* P10: the request carried Connection: close */
	/* P14: no release up to 1.26 drains the rest (the drain of #77370 is the 1.27 line). */
	if (!body_eof)
		return R_BODY_NOT_READ;
	return R_NONE;
}

enum pool_put_result pool_readLoopDone(struct pool *p, ps_time now, uint32_t c, bool resp_close,
                                       bool body_eof)
{
	if (c >= slots_used(&p->conn_slots) || p->conns[c].state != CONN_ACTIVE)
		return POOL_ERR_CONN_BROKEN;
	if (p->conns[c].kind == KIND_H2_CONN) { /* H10: a stream ends, early Close or not */
		pool_streamDone(p, now, c);
		return POOL_PUT_IDLE;
	}
	enum ev_reason why = not_alive_reason(p, resp_close, body_eof);
	if (why != R_NONE) {
		close_conn(p, now, c, why, 0);
		return why == R_KEEPALIVES_DISABLED ? POOL_ERR_KEEPALIVES_DISABLED
		                                    : POOL_ERR_CONN_BROKEN;
	}
	return pool_putOrCloseIdleConn(p, now, c);
}

/* h2_conn_idle (H6, H7): no stream left: the HTTP/2 conn's idle timer (IdleConnTimeout) runs. */
static void h2_conn_idle(struct pool *p, ps_time now, uint32_t c)
{
	struct pconn *pc = &p->conns[c];
	if (h2_single_use(p) && pc->served) { /* H9: closeOnIdle */
		close_conn(p, now, c, R_KEEPALIVES_DISABLED, 0);
		return;
	}
	pc->idle_at = now;
	ps_time timeout = p->limits.idle_timeout;
	ps_time deadline = timeout == PS_TIME_NEVER ? PS_TIME_NEVER : ps_time_add(now, timeout);
	emit(p, EV_CONN_IDLE, now, pc->key, c, PS_NONE, R_NONE, EVF_H2, deadline);
}

void pool_streamDone(struct pool *p, ps_time now, uint32_t c)
{
	if (c >= slots_used(&p->conn_slots) || p->conns[c].state == CONN_FREE ||
	    p->conns[c].kind != KIND_H2_CONN || h2_at(p, c)->streams == 0)
		return;
	struct pconn *pc = &p->conns[c];
	struct h2conn *h = h2_of(p, c);
	h->streams--;
	h2_stream_freed(p, c);
	emit(p, EV_STREAM_END, now, pc->key, c, PS_NONE, R_NONE, EVF_H2, h->streams);
	if (h->slot_wait.len > 0) { /* H5b: forgetStreamID's Broadcast wakes the oldest waiter */
		h2_start_stream(p, now, h->slot_wait.head, c, EVF_H2_SLOT);
		return;
	}
	if (h->streams == 0)
		h2_conn_idle(p, now, c);
}

void pool_goAway(struct pool *p, ps_time now, uint32_t c, enum ev_reason why)
{
	if (c >= slots_used(&p->conn_slots) || p->conns[c].state == CONN_FREE ||
	    p->conns[c].kind != KIND_H2_CONN || p->conns[c].goaway)
		return;
	struct pconn *pc = &p->conns[c];
	h2_unlist(p, pc->key, c); /* MarkDead */
	pc->goaway = true;
	struct h2conn *h = h2_of(p, c);
	emit(p, EV_H2_GOAWAY, now, pc->key, c, PS_NONE, why, EVF_H2, h->streams);
	/* H5b: a strict waiter's awaitOpenSlotForStreamLocked sees it unusable and retries. */
	struct list waiters = h->slot_wait;
	list_init(&h->slot_wait);
	h2_slot_waiters_retry(p, now, waiters);
}

void pool_closeConn(struct pool *p, ps_time now, uint32_t c, enum ev_reason why)
{
	if (c >= slots_used(&p->conn_slots) || p->conns[c].state == CONN_FREE)
		return;
	if (p->conns[c].state == CONN_DIALING) {
		pool_dialFailed(p, now, c, why);
		return;
	}
	close_conn(p, now, c, why, 0);
}

void pool_closeConnIfStillIdle(struct pool *p, ps_time now, uint32_t c)
{
	if (c < slots_used(&p->conn_slots) && p->conns[c].kind == KIND_H2_CONN) {
		if (p->conns[c].state == CONN_ACTIVE && h2_at(p, c)->streams == 0)
			close_conn(p, now, c, R_IDLE_TIMEOUT, 0); /* H7 closeIfIdle */
		return;
	}
	if (c >= slots_used(&p->conn_slots) || p->conns[c].state != CONN_IDLE)
		return; /* not in idleLRU any more: taken, or already closed */
	close_conn(p, now, c, R_IDLE_TIMEOUT, 0);
}

void pool_closeIdleConnections(struct pool *p, ps_time now, uint32_t transport)
{
	struct ptransport *t = &p->transports[transport];
	t->close_idle = true;  /* C2 */
	while (t->lru.len > 0) /* C1 */
		close_conn(p, now, t->lru.head, R_CLOSE_IDLE_CONNS, 0);
	for (uint32_t k = 0; k < slots_used(&p->key_slots);
	     k++) { /* H11: HTTP/2 conns with no stream */
		if (!p->keys[k].live || p->keys[k].transport != transport)
			continue;
		uint32_t next;
		for (uint32_t c = p->keys[k].h2.head; c != PS_NONE; c = next) {
			next = h2_at(p, c)->h2_link.next;
			if (h2_at(p, c)->streams == 0)
				close_conn(p, now, c, R_CLOSE_IDLE_CONNS, 0);
		}
	}
}

bool pool_shouldRetryRequest(const struct pool *p, uint32_t c, enum pool_failure failure,
                             bool nothing_written, bool replayable)
{
	if (c < slots_used(&p->conn_slots) && p->conns[c].kind == KIND_H2_CONN)
		return false; /* H8: a hard close's ErrUnexpectedEOF matches no retry rule */
	if (c >= slots_used(&p->conn_slots) || !p->conns[c].reused)
		return false; /* rule 3: a fresh dial's failure is final */
	if (nothing_written)
		return true; /* rule 4: no body, or a byte-slice body with GetBody */
	if (!replayable)
		return false;                              /* rule 5 */
	return failure == POOL_FAIL_READ_FROM_SERVER       /* rule 6 */
	       || failure == POOL_FAIL_SERVER_CLOSED_IDLE; /* rule 7 */
}

/* ---------------------------------------------------------------- observers */

static bool conn_valid(const struct pool *p, uint32_t c)
{
	return c < slots_used(&p->conn_slots) && p->conns[c].state != CONN_FREE;
}

bool pool_want_is_dialing(const struct pool *p, uint32_t w)
{
	if (w == PS_NONE || w >= slots_used(&p->want_slots) || p->wants[w].state != WANT_WAITING)
		return false;
	uint32_t c = p->wants[w].dial_conn;
	return c != PS_NONE && conn_valid(p, c) && p->conns[c].state == CONN_DIALING;
}

uint32_t pool_conn_host(const struct pool *p, uint32_t c)
{
	return c < slots_used(&p->conn_slots) ? p->keys[p->conns[c].key].host : PS_NONE;
}

uint32_t pool_conn_transport(const struct pool *p, uint32_t c)
{
	return c < slots_used(&p->conn_slots) ? p->keys[p->conns[c].key].transport : PS_NONE;
}

uint32_t pool_conn_id(const struct pool *p, uint32_t c)
{
	return conn_valid(p, c) ? p->conns[c].id : 0;
}

bool pool_conn_is_open(const struct pool *p, uint32_t c)
{
	return conn_valid(p, c);
}

bool pool_conn_is_idle(const struct pool *p, uint32_t c)
{
	return conn_valid(p, c) && p->conns[c].state == CONN_IDLE;
}

bool pool_conn_is_reused(const struct pool *p, uint32_t c)
{
	return conn_valid(p, c) && p->conns[c].reused;
}

bool pool_conn_is_h2(const struct pool *p, uint32_t c)
{
	return conn_valid(p, c) && p->conns[c].kind == KIND_H2_CONN;
}

uint32_t pool_conn_streams(const struct pool *p, uint32_t c)
{
	return pool_conn_is_h2(p, c) ? h2_at(p, c)->streams : 0;
}

static const struct pkey *find_key(const struct pool *p, uint32_t transport, uint32_t host)
{
	if (transport == 0)
		return host < p->n_hosts ? &p->keys[host] : NULL;
	if (transport >= slots_used(&p->transport_slots) || !p->transports[transport].live)
		return NULL;
	uint32_t key = p->transports[transport].key;
	if (key == PS_NONE || p->keys[key].host != host)
		return NULL;
	return &p->keys[key];
}

uint32_t pool_idle_count(const struct pool *p, uint32_t transport, uint32_t host)
{
	const struct pkey *k = find_key(p, transport, host);
	return k ? k->idle.len : 0;
}

uint32_t pool_idle_total(const struct pool *p, uint32_t transport)
{
	if (transport >= slots_used(&p->transport_slots) || !p->transports[transport].live)
		return 0;
	return p->transports[transport].lru.len;
}

uint32_t pool_idle_wait_count(const struct pool *p, uint32_t transport, uint32_t host)
{
	const struct pkey *k = find_key(p, transport, host);
	return k ? k->idle_wait.len : 0;
}

uint32_t pool_conns_per_host(const struct pool *p, uint32_t transport, uint32_t host)
{
	const struct pkey *k = find_key(p, transport, host);
	return k ? (uint32_t)k->conns_per_host : 0;
}

uint32_t pool_open_count(const struct pool *p)
{
	return p->open;
}

uint32_t pool_transport_count(const struct pool *p)
{
	return p->live_transports;
}

uint32_t pool_conn_capacity(const struct pool *p)
{
	return slots_used(&p->conn_slots);
}

uint32_t pool_want_capacity(const struct pool *p)
{
	return slots_used(&p->want_slots);
}

/* ---------------------------------------------------------------- invariants */

/* check_transports: MaxIdleConns (P8) holds on every live Transport. */
static const char *check_transports(const struct pool *p)
{
	for (uint32_t t = 0; t < slots_used(&p->transport_slots); t++) {
		const struct ptransport *tr = &p->transports[t];
		if (tr->live && !limit_allows(p->limits.max_idle_total, (int64_t)tr->lru.len - 1))
			return "idle conns exceed MaxIdleConns";
	}
	return NULL;
}

/* tally_conns: count each key's conns into its tally fields; the check's only pass over conns. */
static const char *tally_conns(struct pool *p)
{
	for (uint32_t k = 0; k < slots_used(&p->key_slots); k++)
		p->keys[k].tally_idle = p->keys[k].tally_all = p->keys[k].tally_permits = 0;
	uint32_t open = 0;
	const char *bad = NULL;
	for (uint32_t c = 0; c < slots_used(&p->conn_slots); c++) {
		const struct pconn *pc = &p->conns[c];
		if (pc->state == CONN_FREE)
			continue;
		if (pc->kind != KIND_H2_TICKET)
			open++;
		if (pc->kind != KIND_H2_CONN)
			p->keys[pc->key].tally_permits++;
		const struct h2conn *h = c < p->cap_h2s ? h2_at(p, c) : NULL;
		if (pc->kind == KIND_H2_CONN && (!h || h->streams > h->max_streams))
			bad = "an HTTP/2 conn has more streams than the server allows";
		if (h && h->slot_wait.len > 0 &&
		    (pc->kind != KIND_H2_CONN || h->streams < h->max_streams))
			bad = "a request waits for a stream of a conn with one free (H5b)";
		p->keys[pc->key].tally_all++;
		if (pc->state == CONN_IDLE)
			p->keys[pc->key].tally_idle++;
		if (pc->state == CONN_DIALING &&
		    (pc->want >= slots_used(&p->want_slots) || p->wants[pc->want].dial_conn != c))
			bad = "a dialing conn's want does not name it";
	}
	if (!bad && open != p->open)
		bad = "open count is off";
	return bad;
}

/* check_wants: a want's dial names a conn still dialing for it, whose want field (shared with
 * the idle fields) is then its own to write (orphan_dial). */
static const char *check_wants(const struct pool *p)
{
	for (uint32_t w = 0; w < slots_used(&p->want_slots); w++) {
		uint32_t c = p->wants[w].dial_conn;
		if (p->wants[w].state == WANT_FREE || c == PS_NONE)
			continue;
		if (c >= slots_used(&p->conn_slots) || p->conns[c].state != CONN_DIALING ||
		    p->conns[c].want != w)
			return "a want's dial is not a conn dialing for it";
	}
	return NULL;
}

/* H2: where h2_find_conn starts is a conn of the key's HTTP/2 pool, every one before it full. */
static const char *check_h2_scan(const struct pool *p, const struct pkey *key)
{
	if (key->h2_scan_from == PS_NONE)
		return NULL;
	for (uint32_t c = key->h2.head; c != PS_NONE; c = h2_at(p, c)->h2_link.next) {
		if (c == key->h2_scan_from)
			return NULL;
		if (h2_can_take(p, c))
			return "a conn with a free stream lies before where the HTTP/2 search "
			       "starts";
	}
	return "the HTTP/2 search starts at a conn outside the key's HTTP/2 pool";
}

/* check_key: the lists and counters of one live key agree with its tally and the limits. */
static const char *check_key(const struct pool *p, const struct pkey *key)
{
	if (key->idle.len != key->tally_idle)
		return "idle list length differs from the idle conns of the key";
	if (!limit_allows(p->limits.max_idle_per_host, (int64_t)key->idle.len - 1))
		return "idle conns exceed MaxIdleConnsPerHost";
	if (key->n_conns != key->tally_all)
		return "conn count of a key is off";
	if (max_conns_limited(p) && key->conns_per_host != (int64_t)key->tally_permits)
		return "connsPerHost differs from dialing + active + idle conns (+ HTTP/2 tickets)";
	if (max_conns_limited(p) && key->conns_per_host > p->limits.max_conns_per_host)
		return "open conns exceed MaxConnsPerHost";
	for (uint32_t w = key->idle_wait.head; w != PS_NONE; w = p->wants[w].idle_wait_link.next)
		if (p->wants[w].state != WANT_WAITING)
			return "a request that stopped waiting is still queued";
	/* G4, G7: conns_wait holds each want that waits for a permit once, and only those. */
	uint32_t n = 0, prev = PS_NONE;
	for (uint32_t w = key->conns_wait.head; w != PS_NONE;
	     w = p->wants[w].conns_wait_link.next) {
		const struct want *wt = &p->wants[w];
		if (++n > key->conns_wait.len || wt->conns_wait_link.prev != prev)
			return "the permit queue's links are broken";
		if (wt->state != WANT_WAITING || !wt->in_conns_wait)
			return "a request that stopped waiting is still queued for a permit";
		prev = w;
	}
	if (n != key->conns_wait.len || key->conns_wait.tail != prev)
		return "the permit queue's links are broken";
	return check_h2_scan(p, key);
}

const char *pool_check_invariants(struct pool *p)
{
	const char *bad = check_transports(p);
	if (!bad)
		bad = tally_conns(p);
	if (!bad)
		bad = check_wants(p);
	uint32_t shared_idle = 0;
	for (uint32_t k = 0; k < slots_used(&p->key_slots) && !bad; k++) {
		const struct pkey *key = &p->keys[k];
		if (!key->live)
			continue;
		bad = check_key(p, key);
		if (key->transport == 0)
			shared_idle += key->idle.len;
	}
	if (!bad && p->transports[0].lru.len != shared_idle)
		bad = "idleLRU length differs from the idle lists";
	return bad;
}
