/*
 * realnet_h2.c: a client connection of the real network that ALPN made
 * HTTP/2 (realnet_impl.h), framed by libnghttp2: one client session per
 * conn, one stream per request the pool put on it (net.h's send_stream),
 * each stream's end reported as client_on_stream_response, a GOAWAY as
 * client_on_goaway and the socket's end as client_on_conn_broken, as
 * simnet.c reports them; the pool (H2-H11) decides everything else. The session takes Go's client
 * windows (4 MiB a stream, 1 GiB the conn: transportDefaultStreamFlow, transportDefaultConnFlow) so
 * flow control never holds a response back, and assumes the host's max_concurrent_streams before
 * the server's SETTINGS arrive, so nghttp2 never queues a stream the pool decided to open. Reports
 * only from the loop (rconn_h2_on_ready); a failure inside send_stream is deferred.
 */
#include "realnet_impl.h"

#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "grow.h"
#include "sockio.h"

#define H2_STREAM_WINDOW (4u << 20)
#define H2_CONN_WINDOW   (1 << 30)

struct rconn_h2 {
	struct realnet *n;
	uint32_t conn;
	nghttp2_session *session;
	bool blocked;      /* a write found the socket full */
	bool goaway;       /* a GOAWAY came in, not yet reported */
	uint16_t fail_why; /* R_NONE, else why the conn failed inside nghttp2 */
	uint32_t *done;    /* request slots whose streams ended whole, oldest first */
	uint32_t n_done, cap_done;
};

/* ---- callbacks ----------------------------------------------------------- */

static ssize_t on_send(nghttp2_session *session, const uint8_t *data, size_t length, int flags,
                       void *user_data)
{
	struct rconn_h2 *h = user_data;
	struct rconn *c = &h->n->conns[h->conn];
	unsigned want = 0;
	bool peer_gone = false;
	ssize_t r = sockio_write(c->fd, c->ssl, (const char *)data, length, &want, &peer_gone);
	if (r > 0)
		return r;
	if (r == SOCKIO_AGAIN) {
		h->blocked = true;
		return NGHTTP2_ERR_WOULDBLOCK;
	}
	h->fail_why = (uint16_t)(peer_gone ? rconn_why_closed(h->n, h->conn, false) : R_IO_ERROR);
	return NGHTTP2_ERR_CALLBACK_FAILURE;
}

/* The stream of request slot `slot` on this conn, or NULL: the slot moved on to another. */
static struct h2_stream_at *stream_of(struct rconn_h2 *h, uintptr_t slot_plus_1, int32_t id)
{
	struct realnet *n = h->n;
	if (slot_plus_1 == 0 || slot_plus_1 > n->cap_h2_streams)
		return NULL;
	struct h2_stream_at *at = &n->h2_streams[slot_plus_1 - 1];
	if (at->stream_id != id || at->conn != h->conn || at->gen != n->conns[h->conn].gen)
		return NULL;
	return at;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
	struct rconn_h2 *h = user_data;
	struct h2_stream_at *at = stream_of(h, (uintptr_t)source->ptr, stream_id);
	if (!at)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	int64_t left = h->n->sc->loads[at->load].request_body - at->body_sent;
	size_t k = left < (int64_t)length ? (size_t)left : length;
	memset(buf, 'x', k); /* the body build_request writes for HTTP/1.1 */
	at->body_sent += (int64_t)k;
	if (at->body_sent == h->n->sc->loads[at->load].request_body)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)k;
}

/* A stream ends: whole (both sides ended it) goes on the done list; reset fails the conn. */
static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
	struct rconn_h2 *h = user_data;
	uintptr_t slot_plus_1 = (uintptr_t)nghttp2_session_get_stream_user_data(session, stream_id);
	if (!stream_of(h, slot_plus_1, stream_id))
		return 0;
	if (error_code != NGHTTP2_NO_ERROR) {
		/* The loopback server never resets a stream the pool may open; one it refused
		 * anyway (after its GOAWAY) ends the conn, a counted failure. */
		if (h->fail_why == R_NONE)
			h->fail_why = (uint16_t)rconn_why_closed(h->n, h->conn, true);
		return 0;
	}
	if (h->n_done == h->cap_done)
		h->done = grow_to_hold(h->done, &h->cap_done, sizeof *h->done, h->n_done, 16, NULL);
	h->done[h->n_done++] = (uint32_t)(slot_plus_1 - 1);
	return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
	struct rconn_h2 *h = user_data;
	if (frame->hd.type == NGHTTP2_GOAWAY)
		h->goaway = true;
	return 0;
}

static nghttp2_session_callbacks *client_callbacks(void)
{
	nghttp2_session_callbacks *cb;
	if (nghttp2_session_callbacks_new(&cb) != 0)
		return NULL;
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	return cb;
}

/* ---- the conn ------------------------------------------------------------ */

/* flush: write what nghttp2 has; the reason the conn failed, or R_NONE. */
static enum ev_reason flush(struct realnet *n, uint32_t conn)
{
	struct rconn_h2 *h = n->conns[conn].h2;
	h->blocked = false;
	int rv = nghttp2_session_send(h->session);
	if (h->fail_why != R_NONE)
		return (enum ev_reason)h->fail_why;
	if (rv != 0)
		return R_IO_ERROR;
	rconn_set_want(n, conn, POLLER_READ | (h->blocked ? POLLER_WRITE : 0u));
	return R_NONE;
}

bool rconn_h2_chosen(const struct rconn *c)
{
	const unsigned char *proto = NULL;
	unsigned len = 0;
	SSL_get0_alpn_selected(c->ssl, &proto, &len);
	return len == 2 && memcmp(proto, "h2", 2) == 0;
}

void rconn_h2_offer(struct rconn *c)
{
	static const unsigned char protos[] = "\x02h2\x08http/1.1"; /* Go's NextProtos */
	SSL_set_alpn_protos(c->ssl, protos, sizeof protos - 1);
}

int rconn_h2_start(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	if (!n->h2_callbacks && !(n->h2_callbacks = client_callbacks()))
		return -1;
	struct rconn_h2 *h = calloc(1, sizeof *h);
	if (!h)
		return -1;
	h->n = n;
	h->conn = conn;
	c->h2 = h;
	nghttp2_option *opt;
	if (nghttp2_option_new(&opt) != 0)
		return -1;
	nghttp2_option_set_peer_max_concurrent_streams(
	    opt, (uint32_t)n->sc->hosts[c->host].max_concurrent_streams);
	int rv = nghttp2_session_client_new2(&h->session, n->h2_callbacks, h, opt);
	nghttp2_option_del(opt);
	if (rv != 0)
		return -1;
	nghttp2_settings_entry settings[] = {
	    {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
	    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW},
	};
	if (nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, settings, 2) != 0 ||
	    nghttp2_session_set_local_window_size(h->session, NGHTTP2_FLAG_NONE, 0,
	                                          H2_CONN_WINDOW) != 0)
		return -1;
	c->state = RC_H2;
	return flush(n, conn) == R_NONE ? 0 : -1;
}

/*
 * The request of `load` as HTTP/2 headers: what build_request writes for
 * HTTP/1.1, with a replay row's own service time (`own`, or NULL) as
 * HTTP_SERVICE_HEADER.
 */
static size_t request_headers(const struct realnet *n, uint32_t load, const char *own,
                              nghttp2_nv *nv, char *length, size_t length_size)
{
	const struct load_spec *l = &n->sc->loads[load];
	const char *method = http_method_names[l->method];
	const char *authority = n->sc->hosts[l->host].name;
	size_t k = 0;
#define NV(name, value)                                                                            \
	(nv[k++] = (nghttp2_nv){(uint8_t *)(name), (uint8_t *)(value), sizeof(name) - 1,           \
	                        strlen(value), NGHTTP2_NV_FLAG_NONE})
	NV(":method", method);
	NV(":scheme", "https");
	NV(":authority", authority);
	NV(":path", "/");
	NV("user-agent", "poolsim");
	if (l->idempotency_key)
		NV("idempotency-key", "poolsim");
	if (l->request_body > 0 || l->method == METHOD_POST || l->method == METHOD_PUT ||
	    l->method == METHOD_PATCH) {
		snprintf(length, length_size, "%lld", (long long)l->request_body);
		NV("content-length", length);
	}
	if (own)
		NV(H2_SERVICE_HEADER, own);
#undef NV
	return k;
}

void rconn_h2_send_stream(void *ctx, uint32_t conn, uint32_t host, uint32_t load, uint32_t req_slot,
                          uint32_t req_id)
{
	struct realnet *n = ctx;
	if (conn >= n->cap_conns)
		return;
	struct rconn *c = &n->conns[conn];
	if (c->state != RC_H2) {
		/* The server closed it and we already said so, or a report is on its way. */
		if (c->state != RC_DEAD)
			rconn_defer_broken(n, conn, R_IO_ERROR, true);
		return;
	}
	if (req_slot >= n->cap_h2_streams)
		n->h2_streams = grow_to_hold(n->h2_streams, &n->cap_h2_streams,
		                             sizeof *n->h2_streams, req_slot, 64, NULL);
	nghttp2_nv nv[8];
	char length[24], own[24];
	ps_time service = client_service_of_request(n->client, req_slot);
	snprintf(own, sizeof own, "%lld", (long long)service);
	size_t k = request_headers(n, load, service >= 0 ? own : NULL, nv, length, sizeof length);
	nghttp2_data_provider body = {.source.ptr = (void *)(uintptr_t)(req_slot + 1),
	                              .read_callback = read_body};
	bool has_body = n->sc->loads[load].request_body > 0;
	int32_t id = nghttp2_submit_request(c->h2->session, NULL, nv, k, has_body ? &body : NULL,
	                                    (void *)(uintptr_t)(req_slot + 1));
	if (id < 0) {
		rconn_defer_broken(n, conn, R_IO_ERROR, true);
		return;
	}
	n->h2_streams[req_slot] = (struct h2_stream_at){
	    .conn = conn, .gen = c->gen, .req_id = req_id, .load = load, .stream_id = id};
	enum ev_reason why = flush(n, conn);
	if (why != R_NONE)
		rconn_defer_broken(n, conn, why, false);
}

/*
 * rconn_h2_on_ready: read what came, write what nghttp2 answers, then report:
 * each stream that ended, in order, a GOAWAY, then the conn's end if it ended. A report
 * may close the conn (H3, H9) or open a stream on it, so each is checked
 * against the conn's generation, and the done list is taken first.
 */
void rconn_h2_on_ready(struct realnet *n, uint32_t conn)
{
	struct rconn *c = &n->conns[conn];
	struct rconn_h2 *h = c->h2;
	uint32_t gen = c->gen;
	enum ev_reason broken = R_NONE;
	for (;;) {
		unsigned want = 0;
		bool peer_gone = false;
		ssize_t r =
		    sockio_read(c->fd, c->ssl, n->scratch, sizeof n->scratch, &want, &peer_gone);
		if (r == SOCKIO_AGAIN)
			break;
		if (r <= 0) { /* H8: the server closed (restart, idle timeout) or failed */
			broken =
			    peer_gone ? rconn_why_closed(n, conn, r == SOCKIO_EOF) : R_IO_ERROR;
			break;
		}
		if (nghttp2_session_mem_recv(h->session, (const uint8_t *)n->scratch, (size_t)r) !=
		    r) {
			broken = R_IO_ERROR;
			break;
		}
	}
	if (broken == R_NONE)
		broken = flush(n, conn);
	uint32_t k = h->n_done;
	if (k > n->cap_h2_done)
		n->h2_done =
		    grow_to_hold(n->h2_done, &n->cap_h2_done, sizeof *n->h2_done, k - 1, 64, NULL);
	if (k > 0)
		memcpy(n->h2_done, h->done, k * sizeof *h->done);
	h->n_done = 0;
	bool goaway = h->goaway;
	h->goaway = false;
	if (broken != R_NONE) {
		rconn_set_want(n, conn, 0);
		c->state = RC_DEAD;
	}
	for (uint32_t i = 0; i < k && rconn_current(n, conn, gen); i++)
		client_on_stream_response(n->client, conn, n->h2_done[i],
		                          n->h2_streams[n->h2_done[i]].req_id);
	if (goaway && rconn_current(n, conn, gen)) /* H8: named by the server's published reason */
		client_on_goaway(n->client, conn, rconn_why_closed(n, conn, true));
	if (broken != R_NONE && rconn_current(n, conn, gen))
		client_on_conn_broken(n->client, conn, broken, false);
}

void rconn_h2_free(struct rconn *c)
{
	if (!c->h2)
		return;
	nghttp2_session_del(c->h2->session);
	free(c->h2->done);
	free(c->h2);
	c->h2 = NULL;
}

void realnet_h2_free(struct realnet *n)
{
	nghttp2_session_callbacks_del(n->h2_callbacks);
	n->h2_callbacks = NULL;
	free(n->h2_streams);
	free(n->h2_done);
}
