/*
 * event.c: the event stream's ring buffer and the names of kinds and reasons.
 * The names are part of the trace format: changing one changes every trace.
 */
#include "event.h"

#include <stdlib.h>
#include <string.h>

void ev_stream_init(struct ev_stream *s)
{
	memset(s, 0, sizeof(*s));
}

void ev_stream_free(struct ev_stream *s)
{
	free(s->ring);
	free(s->retired);
	memset(s, 0, sizeof(*s));
}

int ev_stream_add_sink(struct ev_stream *s, struct ev_sink sink)
{
	if (s->n_sinks >= EV_STREAM_MAX_SINKS)
		return -1;
	if (sink.kinds == 0)
		sink.kinds = EV_ALL_KINDS;
	for (int k = 0; k < EV_KIND_COUNT; k++)
		if (sink.kinds & EV_KIND_BIT(k))
			s->sinks_for[k][s->n_for[k]++] = (uint8_t)s->n_sinks;
	s->sinks[s->n_sinks++] = sink;
	return 0;
}

void ev_stream_grow(struct ev_stream *s)
{
	size_t cap = s->cap ? s->cap * 2 : 256;
	struct ps_event *ring = malloc(cap * sizeof(*ring));
	if (!ring)
		abort(); /* the stream is the record of the run: losing a record would lie */
	for (size_t i = 0; i < s->count; i++)
		ring[i] = s->ring[(s->head + i) & (s->cap - 1)];
	/* The popped record may still be in use in the old ring: it goes at the next pop. Only
	 * the first ring of a record's handling can hold it. */
	if (s->retired)
		free(s->ring);
	else
		s->retired = s->ring;
	s->ring = ring;
	s->cap = cap;
	s->head = 0;
}

void ev_stream_drop_retired(struct ev_stream *s)
{
	free(s->retired);
	s->retired = NULL;
}

const char *ev_kind_name(enum ev_kind kind)
{
	static const char *const names[EV_KIND_COUNT] = {
	    [EV_REQ_START] = "req_start",
	    [EV_REQ_WAIT] = "req_wait",
	    [EV_PERMIT_WAIT] = "permit_wait",
	    [EV_REQ_GOT_CONN] = "got_conn",
	    [EV_REQ_RETRY] = "req_retry",
	    [EV_REQ_DONE] = "req_done",
	    [EV_REQ_FAILED] = "req_failed",
	    [EV_BODY_LEAKED] = "body_leaked",
	    [EV_DIAL_START] = "dial_start",
	    [EV_TLS_START] = "tls_start",
	    [EV_CONN_READY] = "conn_ready",
	    [EV_CONN_IDLE] = "conn_idle",
	    [EV_CONN_HANDOFF] = "conn_handoff",
	    [EV_CONN_CLOSED] = "conn_closed",
	    [EV_SERVER_ACTION] = "server_action",
	    [EV_KERNEL_SAMPLE] = "kernel_sample",
	    [EV_RUN_END] = "run_end",
	    [EV_STREAM_END] = "stream_end",
	    [EV_H2_GOAWAY] = "conn_goaway",
	};
	if ((unsigned)kind >= EV_KIND_COUNT || !names[kind])
		return "unknown";
	return names[kind];
}

struct reason_info {
	const char *go_name;
	enum ev_reason category;
	const char *text;
};

static const struct reason_info *reason_info(enum ev_reason r)
{
	static const struct reason_info table[R_REASON_COUNT] = {
	    [R_NONE] = {"-", R_NONE, "no reason"},
	    [R_IDLE_TIMEOUT] = {"errIdleConnTimeout", R_IDLE_TIMEOUT, "idle for IdleConnTimeout"},
	    [R_MAX_IDLE_PER_HOST] = {"errTooManyIdleHost", R_MAX_IDLE_PER_HOST,
	                             "no room in the host's idle pool (MaxIdleConnsPerHost)"},
	    [R_MAX_IDLE_TOTAL] = {"errTooManyIdle", R_MAX_IDLE_TOTAL,
	                          "oldest idle conn evicted (MaxIdleConns)"},
	    [R_SERVER] = {"errServerClosedIdle", R_SERVER, "closed by the server"},
	    [R_BODY_NOT_READ] = {"bodyClosedBeforeEOF", R_BODY_NOT_READ,
	                         "body closed before EOF: the conn cannot be reused"},
	    [R_KEEPALIVES_DISABLED] = {"errKeepAlivesDisabled", R_KEEPALIVES_DISABLED,
	                               "keep-alives disabled: one request per conn"},
	    [R_ERROR] = {"error", R_ERROR, "error"},
	    [R_DIAL_REFUSED] = {"connectionRefused", R_ERROR, "dial refused: the server is down"},
	    [R_DIAL_TIMEOUT] = {"dialTimeout", R_ERROR, "dial timed out (Dialer.Timeout)"},
	    [R_TLS_TIMEOUT] = {"tlsHandshakeTimeoutError", R_ERROR,
	                       "TLS handshake timeout (TLSHandshakeTimeout)"},
	    [R_HEADER_TIMEOUT] = {"timeoutAwaitingResponseHeaders", R_ERROR,
	                          "timeout awaiting response headers (ResponseHeaderTimeout)"},
	    [R_CLIENT_TIMEOUT] = {"clientTimeout", R_ERROR, "Client.Timeout exceeded"},
	    [R_DIAL_CANCELED] = {"dialCanceled", R_ERROR,
	                         "dial aborted: its request's context ended (Go 1.19)"},
	    [R_SERVER_IDLE_TIMEOUT] = {"errServerClosedIdle", R_SERVER,
	                               "the server closed it after its idle timeout"},
	    [R_SERVER_CONN_CLOSE] = {"connectionClose", R_SERVER,
	                             "the response said Connection: close (server_max_requests)"},
	    [R_SERVER_CLOSE_IDLE] = {"errServerClosedIdle", R_SERVER,
	                             "the server closed its idle conns (close_idle)"},
	    [R_SERVER_RESTART] = {"serverRestart", R_SERVER, "the server restarted"},
	    [R_CONN_BROKEN] = {"connBroken", R_ERROR, "the conn broke under a request"},
	    [R_IO_ERROR] = {"ioError", R_ERROR, "socket or TLS error"},
	    [R_RESOURCE] = {"tooManyOpenFiles", R_ERROR, "out of file descriptors"},
	    [R_CLOSE_IDLE_CONNS] = {"errCloseIdleConns", R_ERROR, "closed by CloseIdleConnections"},
	    [R_SERVER_408] = {"errServerClosedIdle", R_SERVER,
	                      "the server sent 408 on the idle conn and closed it (send_408)"},
	    [R_SERVER_HANGUP] = {"errServerClosedIdle", R_SERVER,
	                         "the server hung up after a keep-alive response "
	                         "(close_after_response)"},
	    [R_CANCELED] = {"context.Canceled", R_ERROR,
	                    "the request was canceled ([event] cancel)"},
	    [R_ADDR_NOT_AVAIL] = {"EADDRNOTAVAIL", R_ERROR,
	                          "dial failed: every ephemeral port to this destination is in use "
	                          "(open or TIME_WAIT)"},
	    [R_H2_UNNEEDED] = {"h2ConnNotNeeded", R_ERROR,
	                       "HTTP/2: the pool already had a conn with a free stream "
	                       "(addConnIfNeeded closed the new one)"},
	};
	if ((unsigned)r >= R_REASON_COUNT)
		r = R_ERROR;
	return &table[r];
}

const char *ev_reason_go_name(enum ev_reason reason)
{
	return reason_info(reason)->go_name;
}

enum ev_reason ev_reason_category(enum ev_reason reason)
{
	return reason_info(reason)->category;
}

const char *ev_reason_category_name(enum ev_reason reason)
{
	static const char *const names[R_CLOSE_CATEGORY_COUNT] = {
	    [R_NONE] = "none",
	    [R_IDLE_TIMEOUT] = "idle_timeout",
	    [R_MAX_IDLE_PER_HOST] = "max_idle_per_host",
	    [R_MAX_IDLE_TOTAL] = "max_idle_total",
	    [R_SERVER] = "server",
	    [R_BODY_NOT_READ] = "body_not_read",
	    [R_KEEPALIVES_DISABLED] = "keepalives_disabled",
	    [R_ERROR] = "error",
	};
	return names[ev_reason_category(reason)];
}

const char *ev_reason_text(enum ev_reason reason)
{
	return reason_info(reason)->text;
}

const char *ev_server_action_name(enum ev_server_action action)
{
	switch (action) {
	case SRV_CLOSE_IDLE:
		return "close_idle";
	case SRV_RESTART:
		return "restart";
	case SRV_DOWN:
		return "down";
	case SRV_UP:
		return "up";
	case SRV_SEND_408:
		return "send_408";
	case CLIENT_CLOSE_IDLE_CONNECTIONS:
		return "close_idle_connections";
	case CLIENT_CANCEL:
		return "cancel";
	}
	return "unknown";
}

const char *run_stop_name(enum run_stop why)
{
	static const char *const names[RUN_STOP_COUNT] = {
	    [RUN_INTERRUPTED] = "interrupted",
	    [RUN_LIVE_LIMIT] = "live_limit",
	    [RUN_NO_PROGRESS] = "no_progress",
	};
	return (unsigned)why < RUN_STOP_COUNT ? names[why] : "unknown";
}
