/*
 * server_h2.c: a loopback-server connection that ALPN made HTTP/2
 * (server_impl.h), framed by libnghttp2: its SETTINGS (the host's
 * max_concurrent_streams), its streams, each answered after its own
 * service_time and concurrently with the others, as simnet.c answers them,
 * and its idle clock, which runs from the handshake and again from the end
 * of the last stream (Go's http2 server: IdleTimeout). At the idle timeout
 * it writes a GOAWAY (NO_ERROR) and closes SERVER_H2_GOAWAY_TIMEOUT later
 * (server_rules.h), as Go's server and simnet.c do; the client retires the
 * conn at the GOAWAY (H8) and sees the close when it comes.
 * restart and close_idle close hard, as simnet.c and the oracle do (server.c).
 * Runs on the server thread only.
 */
#include "server_impl.h"

#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "grow.h"
#include "http.h"
#include "sockio.h"

/*
 * One stream the server has taken whole and not yet finished answering, or
 * (due STREAM_HEADED) one whose headers brought HTTP_SERVICE_HEADER and whose
 * request is still coming.
 */
struct h2_stream {
	int64_t due;   /* when its response is submitted (server_clock ns); 0: submitted */
	int64_t own;   /* its own service time (scenario ns), or -1: the host's */
	int32_t id;    /* 0: a free slot */
	uint32_t sent; /* bytes of the body handed to nghttp2 */
};

struct sconn_h2 {
	struct server_set *s;
	uint32_t idx;
	nghttp2_session *session;
	int64_t idle_at;  /* when the idle timer fires; 0: not armed */
	int64_t close_at; /* after the idle GOAWAY: when the server closes; 0: no GOAWAY sent */
	uint32_t open;    /* streams taken and not yet closed */
	bool blocked;     /* a write found the socket full */
	bool failed;      /* the socket failed: close it */
	struct h2_stream *streams;
	uint32_t cap_streams;
};

static struct sconn_h2 *h2_of(struct server_set *s, uint32_t idx)
{
	return s->conns[idx].h2;
}

/* ---- callbacks ----------------------------------------------------------- */

static ssize_t on_send(nghttp2_session *session, const uint8_t *data, size_t length, int flags,
                       void *user_data)
{
	struct sconn_h2 *h = user_data;
	struct sconn *c = &h->s->conns[h->idx];
	unsigned want = 0;
	bool peer_gone = false;
	ssize_t r = sockio_write(c->fd, c->ssl, (const char *)data, length, &want, &peer_gone);
	if (r > 0)
		return r;
	if (r == SOCKIO_AGAIN) {
		h->blocked = true;
		return NGHTTP2_ERR_WOULDBLOCK;
	}
	h->failed = true;
	return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
	struct sconn_h2 *h = user_data;
	uint32_t slot = (uint32_t)(uintptr_t)source->ptr;
	struct h2_stream *st = &h->streams[slot];
	size_t left = SERVER_BODY_SIZE - st->sent;
	size_t n = left < length ? left : length;
	memcpy(buf, h->s->body + st->sent, n);
	st->sent += (uint32_t)n;
	if (st->sent == SERVER_BODY_SIZE)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

#define STREAM_HEADED (-1)

static uint32_t free_slot(struct sconn_h2 *h)
{
	for (uint32_t i = 0; i < h->cap_streams; i++)
		if (h->streams[i].id == 0)
			return i;
	uint32_t slot = h->cap_streams;
	h->streams = grow_to_hold(h->streams, &h->cap_streams, sizeof *h->streams, slot, 16, NULL);
	return slot;
}

/* headed_slot: the slot of a stream whose headers are in and its request not yet, or UINT32_MAX. */
static uint32_t headed_slot(const struct sconn_h2 *h, int32_t stream_id)
{
	for (uint32_t i = 0; i < h->cap_streams; i++)
		if (h->streams[i].id == stream_id && h->streams[i].due == STREAM_HEADED)
			return i;
	return UINT32_MAX;
}

/* take_stream: a request is in whole; its response is due service_time from now. */
static int take_stream(struct sconn_h2 *h, int32_t stream_id)
{
	struct server_set *s = h->s;
	struct sconn *c = &s->conns[h->idx];
	struct shost *host = &s->hosts[c->host];
	uint32_t slot = headed_slot(h, stream_id);
	int64_t own = slot == UINT32_MAX ? -1 : h->streams[slot].own;
	if (slot == UINT32_MAX)
		slot = free_slot(h);
	/* A replay row's own time, else a draw: the host's stream is drawn as simnet.c draws it. */
	int64_t service =
	    scaled(s, own >= 0 ? own : rng_dist(&host->rng, &host->spec->service_time));
	h->streams[slot] = (struct h2_stream){.due = server_clock(s) + (service > 0 ? service : 1),
	                                      .own = own,
	                                      .id = stream_id,
	                                      .sent = 0};
	nghttp2_session_set_stream_user_data(h->session, stream_id, (void *)(uintptr_t)(slot + 1));
	h->open++;
	h->idle_at = 0; /* a stream open: not idle (Go: the idle timer stops) */
	c->served++;
	return 0;
}

/* on_header: keeps a request's HTTP_SERVICE_HEADER for take_stream. */
static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user_data)
{
	struct sconn_h2 *h = user_data;
	static const char want[] = H2_SERVICE_HEADER;
	if (frame->hd.type != NGHTTP2_HEADERS || namelen != sizeof want - 1 ||
	    memcmp(name, want, namelen) != 0 || valuelen == 0 || valuelen > 18)
		return 0;
	int64_t ns = 0;
	for (size_t i = 0; i < valuelen; i++) {
		if (value[i] < '0' || value[i] > '9')
			return 0;
		ns = ns * 10 + (value[i] - '0');
	}
	uint32_t slot = headed_slot(h, frame->hd.stream_id);
	if (slot == UINT32_MAX)
		slot = free_slot(h);
	h->streams[slot] = (struct h2_stream){
	    .due = STREAM_HEADED, .own = ns, .id = frame->hd.stream_id, .sent = 0};
	return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	bool request_end = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
	                   (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
	if (!request_end || nghttp2_session_get_stream_user_data(session, frame->hd.stream_id))
		return 0;
	return take_stream(user_data, frame->hd.stream_id);
}

/* A stream ends: answered in full (a request served) or reset by the client. */
static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
	struct sconn_h2 *h = user_data;
	uintptr_t at = (uintptr_t)nghttp2_session_get_stream_user_data(session, stream_id);
	if (at == 0) { /* reset before its request was in: forget what its headers said */
		uint32_t headed = headed_slot(h, stream_id);
		if (headed != UINT32_MAX)
			h->streams[headed].id = 0;
		return 0;
	}
	struct sconn *c = &h->s->conns[h->idx];
	const struct host_spec *spec = h->s->hosts[c->host].spec;
	h->streams[at - 1].id = 0;
	h->open--;
	if (error_code == NGHTTP2_NO_ERROR)
		count(&h->s->hosts[c->host], C_REQUESTS, 1);
	if (h->open == 0 && spec->server_idle_timeout > 0 && h->close_at == 0)
		h->idle_at = server_clock(h->s) + scaled(h->s, spec->server_idle_timeout);
	return 0;
}

static nghttp2_session_callbacks *server_callbacks(void)
{
	nghttp2_session_callbacks *cb;
	if (nghttp2_session_callbacks_new(&cb) != 0)
		return NULL;
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	return cb;
}

/* ---- the conn ------------------------------------------------------------ */

/* settle: write what nghttp2 has, then watch the socket and arm the one timer. */
static void settle(struct server_set *s, uint32_t idx)
{
	struct sconn_h2 *h = h2_of(s, idx);
	h->blocked = false;
	/* After its GOAWAY nghttp2 wants nothing more, but the server holds the conn open. */
	bool done = h->close_at == 0 && !nghttp2_session_want_read(h->session) &&
	            !nghttp2_session_want_write(h->session);
	if (nghttp2_session_send(h->session) != 0 || h->failed || done) {
		sconn_close(s, idx, R_NONE);
		return;
	}
	sconn_set_want(s, idx, POLLER_READ | (h->blocked ? POLLER_WRITE : 0u));
	int64_t next = h->close_at > 0 ? h->close_at : h->open == 0 ? h->idle_at : 0;
	for (uint32_t i = 0; i < h->cap_streams; i++) {
		const struct h2_stream *st = &h->streams[i];
		if (st->id != 0 && st->due > 0 && (next == 0 || st->due < next))
			next = st->due;
	}
	if (next > 0)
		sconn_timer_arm(s, idx, next);
	else
		heap_remove(&s->timers, idx);
}

bool sconn_h2_chosen(const struct sconn *c)
{
	const unsigned char *proto = NULL;
	unsigned len = 0;
	if (c->ssl)
		SSL_get0_alpn_selected(c->ssl, &proto, &len);
	return len == 2 && memcmp(proto, "h2", 2) == 0;
}

int sconn_h2_start(struct server_set *s, uint32_t idx)
{
	struct sconn *c = &s->conns[idx];
	const struct host_spec *spec = s->hosts[c->host].spec;
	if (!s->h2_callbacks && !(s->h2_callbacks = server_callbacks()))
		return -1;
	struct sconn_h2 *h = calloc(1, sizeof *h);
	if (!h)
		return -1;
	h->s = s;
	h->idx = idx;
	c->h2 = h;
	c->state = SC_H2;
	if (nghttp2_session_server_new(&h->session, s->h2_callbacks, h) != 0)
		return -1;
	nghttp2_settings_entry settings[] = {
	    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)spec->max_concurrent_streams},
	};
	if (nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, settings, 1) != 0)
		return -1;
	if (spec->server_idle_timeout > 0) /* Go's http2 server: from the accept */
		h->idle_at = server_clock(s) + scaled(s, spec->server_idle_timeout);
	settle(s, idx);
	return 0;
}

/* answer: submit the response of every stream whose service time is over. */
static void answer(struct sconn_h2 *h, int64_t now)
{
	static const nghttp2_nv head[] = {
	    {(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
	    {(uint8_t *)"content-type", (uint8_t *)"text/plain", 12, 10, NGHTTP2_NV_FLAG_NONE},
	    {(uint8_t *)"content-length", (uint8_t *)"1024", 14, 4, NGHTTP2_NV_FLAG_NONE},
	};
	for (uint32_t i = 0; i < h->cap_streams; i++) {
		struct h2_stream *st = &h->streams[i];
		if (st->id == 0 || st->due <= 0 || st->due > now)
			continue;
		st->due = 0;
		nghttp2_data_provider body = {.source.ptr = (void *)(uintptr_t)i,
		                              .read_callback = read_body};
		if (nghttp2_submit_response(h->session, st->id, head, 3, &body) != 0)
			h->failed = true;
	}
}

void sconn_h2_on_timer(struct server_set *s, uint32_t idx)
{
	struct sconn_h2 *h = h2_of(s, idx);
	int64_t now = server_clock(s);
	answer(h, now);
	if (h->close_at > 0 && now >= h->close_at) {
		sconn_close(s, idx, R_SERVER_IDLE_TIMEOUT);
		return;
	}
	if (h->open == 0 && h->idle_at > 0 && now >= h->idle_at) {
		/* The reason first, as for a close, so the client names the GOAWAY by it. */
		struct sconn *c = &s->conns[idx];
		atomic_store_explicit(&s->hosts[c->host].close_reason[c->peer_port],
		                      (unsigned char)R_SERVER_IDLE_TIMEOUT, memory_order_release);
		if (nghttp2_submit_goaway(h->session, NGHTTP2_FLAG_NONE,
		                          nghttp2_session_get_last_proc_stream_id(h->session),
		                          NGHTTP2_NO_ERROR, NULL, 0) != 0)
			h->failed = true;
		h->idle_at = 0;
		h->close_at = now + scaled(s, SERVER_H2_GOAWAY_TIMEOUT);
	}
	settle(s, idx);
}

void sconn_h2_on_event(struct server_set *s, uint32_t idx)
{
	struct sconn_h2 *h = h2_of(s, idx);
	struct sconn *c = &s->conns[idx];
	for (;;) {
		unsigned want = 0;
		bool peer_gone = false;
		ssize_t n = sockio_read(c->fd, c->ssl, c->in, sizeof c->in, &want, &peer_gone);
		if (n == SOCKIO_AGAIN)
			break;
		if (n <= 0 ||
		    nghttp2_session_mem_recv(h->session, (const uint8_t *)c->in, (size_t)n) != n) {
			sconn_close(s, idx, R_NONE); /* the client closed, or sent what is not h2 */
			return;
		}
	}
	settle(s, idx);
}

enum server_conn_phase sconn_h2_phase(const struct sconn *c)
{
	return c->h2 && c->h2->open > 0 ? SERVER_CONN_BUSY : SERVER_CONN_WAITING;
}

void sconn_h2_free(struct sconn *c)
{
	if (!c->h2)
		return;
	nghttp2_session_del(c->h2->session);
	free(c->h2->streams);
	free(c->h2);
	c->h2 = NULL;
}

void server_h2_callbacks_free(struct server_set *s)
{
	nghttp2_session_callbacks_del(s->h2_callbacks);
	s->h2_callbacks = NULL;
}

/*
 * The server's half of ALPN: an h2 host offers h2 then http/1.1 (its order
 * wins, as Go's server's does), any other host http/1.1 only; a client that
 * offers neither gets no ALPN and HTTP/1.1.
 */
int server_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
	static unsigned char h2_first[] = "\x02h2\x08http/1.1";
	static unsigned char h1_only[] = "\x08http/1.1";
	const struct shost *h = SSL_get_app_data(ssl);
	bool h2 = h && h->spec->h2;
	unsigned char *offer = h2 ? h2_first : h1_only;
	unsigned offer_len = h2 ? sizeof h2_first - 1 : sizeof h1_only - 1;
	unsigned char *chosen = NULL;
	if (SSL_select_next_proto(&chosen, outlen, offer, offer_len, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = chosen;
	return SSL_TLSEXT_ERR_OK;
}
