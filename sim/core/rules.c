/*
 * rules.c: the rule of each record (rules.h). One table per kind of
 * decision; the ids and Go functions are those of docs/go-transport-pool.md.
 */
#include "rules.h"

#include <stdio.h>

enum {
	RULE_G1,
	RULE_G2C,
	RULE_G2E,
	RULE_G4_DIAL,
	RULE_G4_WAIT,
	RULE_G5,
	RULE_G6,
	RULE_G6_FAIL,
	RULE_G8,
	RULE_P1,
	RULE_P5,
	RULE_P7,
	RULE_P8_IDLE,
	RULE_P8_EVICT,
	RULE_P9,
	RULE_P10,
	RULE_P14,
	RULE_S1,
	RULE_S1_ACTION,
	RULE_S3,
	RULE_T1,
	RULE_T2,
	RULE_T3,
	RULE_T4,
	RULE_B1,
	RULE_C1,
	RULE_H2,
	RULE_H3,
	RULE_H4,
	RULE_H5B,
	RULE_H6,
	RULE_H7,
	RULE_H8,
	RULE_H8_GOAWAY,
	RULE_COUNT
};

_Static_assert(RULE_COUNT <= 64, "struct rule_tracker has a bit per rule");

static const struct ev_rule rules[RULE_COUNT] = {
    [RULE_G1] = {"G1", "Transport.roundTrip", "a request starts and asks getConn for a conn", "",
                 false},
    [RULE_G2C] = {"G2c", "Transport.queueForIdleConn",
                  "the request takes the NEWEST idle conn of its host (LIFO): no dial",
                  "reuse is the point of the pool: dials and TLS handshakes are saved", true},
    [RULE_G2E] = {"G2e", "Transport.queueForIdleConn",
                  "nothing idle for this host: the request queues as an idle waiter",
                  "it also asks for a dial (G4); whichever comes first serves it (G5)", false},
    [RULE_G4_DIAL] = {"G4", "Transport.queueForDial",
                      "below MaxConnsPerHost (or no limit): a dial starts for the request",
                      "the dial runs on its own; the request may still get another conn first",
                      false},
    [RULE_G4_WAIT] = {"G4", "Transport.queueForDial",
                      "MaxConnsPerHost conns already exist: the request queues for a permit",
                      "no dial now; it waits for a conn to come back (P5) or to close (G7)", true},
    [RULE_G5] = {"G5", "Transport.getConn",
                 "the waiting request takes the first conn that reaches it",
                 "a conn freed by another request (P5) can beat the request's own dial", false},
    [RULE_G6] = {"G6", "Transport.dialConnFor",
                 "the dial finished: the conn goes to its waiter, or to the pool",
                 "a dial nobody waits for any more is pooled (or closed by P7)", false},
    [RULE_G6_FAIL] = {"G6", "Transport.dialConnFor",
                      "the dial failed: the request that waited for it fails with its error",
                      "there is no fall-back to an idle conn", true},
    [RULE_G8] = {"G8", "Transport.getConn",
                 "the request's context ended while it waited for a conn",
                 "Go 1.19 aborts its dial; newer Go lets the dial finish and pools it", true},
    [RULE_P1] = {"P1", "Transport.tryPutIdleConn",
                 "keep-alives are off: the conn is closed after one request "
                 "(errKeepAlivesDisabled)",
                 "every request pays a dial (and a TLS handshake)", true},
    [RULE_P5] = {"P5", "Transport.tryPutIdleConn",
                 "the returning conn is handed straight to a waiting request",
                 "it never becomes idle, so no idle limit applies to it", true},
    [RULE_P7] = {"P7", "Transport.tryPutIdleConn",
                 "MaxIdleConnsPerHost conns are already idle: the conn coming back is CLOSED "
                 "(errTooManyIdleHost)",
                 "the default 0 means 2: a burst wider than that dials again every time and "
                 "leaves TIME_WAIT",
                 true},
    [RULE_H2] = {"H2", "http2clientConnPool.getClientConn",
                 "HTTP/2: a conn of the host has a free stream: the request takes it at once",
                 "one conn multiplexes every request, up to the server's stream limit", true},
    [RULE_H3] = {"H3", "http2clientConnPool.addConnIfNeeded",
                 "HTTP/2: the pool already had a conn with a free stream: the new one is closed",
                 "requests that all missed at once each dialed; only one conn is kept", true},
    [RULE_H4] = {"H4", "Transport.tryPutIdleConn",
                 "HTTP/2: the new conn is handed to every waiting request",
                 "it stays in the idle list while in use, for requests to come", true},
    [RULE_H5B] = {"H5b", "http2ClientConn.awaitOpenSlotForStreamLocked",
                  "HTTP/2, StrictMaxConcurrentRequests: every stream of the conn is taken: the "
                  "request waits for one",
                  "no new conn is dialed; the oldest waiter gets the next stream that ends", true},
    [RULE_H6] = {"H6", "http2ClientConn.forgetStreamID",
                 "HTTP/2: a stream ended (response read, or body closed: a reset)",
                 "the conn stays; with no stream left its idle timer runs", false},
    [RULE_H7] = {"H7", "http2ClientConn.closeIfIdle",
                 "HTTP/2: the conn had no stream for IdleConnTimeout: it is closed",
                 "its pconn stays listed (and holds its permit) until a request finds it", true},
    [RULE_H8] = {"H8", "http2ClientConn readLoop cleanup",
                 "HTTP/2: the server closed the conn: every stream in flight fails",
                 "a hard close is not retried (io.ErrUnexpectedEOF)", true},
    [RULE_H8_GOAWAY] = {"H8", "http2clientConnReadLoop.processGoAway",
                        "HTTP/2: the server sent GOAWAY: the conn takes no new request (MarkDead)",
                        "its streams run to their end; the server closes it goAwayTimeout (1 s) "
                        "later, and meanwhile new requests dial",
                        true},
    [RULE_P8_IDLE] = {"P8", "Transport.tryPutIdleConn",
                      "the conn goes back into its host's idle list (newest at the end)",
                      "the next request to this host will take it (G2c)", false},
    [RULE_P8_EVICT] = {"P8", "Transport.tryPutIdleConn",
                       "MaxIdleConns is exceeded: the oldest idle conn of ANY host is closed "
                       "(errTooManyIdle)",
                       "the limit is for the whole Transport, across hosts", true},
    [RULE_P9] = {"P9", "persistConn.closeConnIfStillIdle",
                 "the conn sat idle for IdleConnTimeout: its timer closes it "
                 "(errIdleConnTimeout)",
                 "the timer restarts at each put; a reused conn is not closed", true},
    [RULE_P10] = {"P10", "persistConn.readLoop",
                  "the response said Connection: close: the conn is not kept",
                  "the server decides here (server_max_requests)", true},
    [RULE_P14] = {"P14", "persistConn.readLoop",
                  "the body was closed before EOF: the conn cannot be reused",
                  "read the body to EOF (io.Copy(io.Discard, ...)) to keep it", true},
    [RULE_S1] = {"S1", "persistConn.readLoop",
                 "the server closed the conn: its readLoop sees EOF and drops it",
                 "an idle conn the server closed is never handed out", true},
    [RULE_S1_ACTION] = {"S1", "persistConn.readLoop", "the lesson's [event] acts on the server now",
                        "watch what the pool does with the conns the server drops", true},
    [RULE_S3] = {"S3", "persistConn.shouldRetryRequest",
                 "the conn broke under the request; it is retried on another conn",
                 "only requests that can be replayed (GET, nothing written) are retried", true},
    [RULE_T1] = {"T1", "net.Dialer.DialContext", "the dial timed out (Dialer.Timeout)",
                 "the request that waited for it fails; its permit is released (G6)", true},
    [RULE_T2] = {"T2", "persistConn.addTLS", "the TLS handshake timed out (TLSHandshakeTimeout)",
                 "the raw conn is closed and the request fails", true},
    [RULE_T3] = {"T3", "persistConn.roundTrip", "no response header within ResponseHeaderTimeout",
                 "the conn is closed: a slow server costs a new dial next time", true},
    [RULE_T4] = {"T4", "Client.do (setRequestCancel)",
                 "Client.Timeout ended the request; its conn is closed",
                 "a conn closed this way is not reused: the next request dials", true},
    [RULE_B1] = {"B1", "persistConn.readLoop",
                 "the caller never closed the body: the conn stays held",
                 "it counts against MaxConnsPerHost and never returns to the pool", true},
    [RULE_C1] = {"C1", "Transport.CloseIdleConnections",
                 "CloseIdleConnections closed the idle conns (errCloseIdleConns)",
                 "conns coming back are closed too until the next request (C2)", true},
};

static int failed_rule(enum ev_reason r)
{
	switch (r) {
	case R_DIAL_TIMEOUT:
		return RULE_T1;
	case R_TLS_TIMEOUT:
		return RULE_T2;
	case R_HEADER_TIMEOUT:
		return RULE_T3;
	case R_CLIENT_TIMEOUT:
		return RULE_T4;
	case R_CANCELED:
	case R_DIAL_CANCELED:
		return RULE_G8;
	case R_CONN_BROKEN:
		return RULE_S3;
	default:
		return RULE_G6_FAIL;
	}
}

static int closed_rule(enum ev_reason r)
{
	switch (r) {
	case R_IDLE_TIMEOUT:
		return RULE_P9;
	case R_MAX_IDLE_PER_HOST:
		return RULE_P7;
	case R_MAX_IDLE_TOTAL:
		return RULE_P8_EVICT;
	case R_KEEPALIVES_DISABLED:
		return RULE_P1;
	case R_BODY_NOT_READ:
		return RULE_P14;
	case R_SERVER_CONN_CLOSE:
		return RULE_P10;
	case R_SERVER:
	case R_SERVER_IDLE_TIMEOUT:
	case R_SERVER_CLOSE_IDLE:
	case R_SERVER_RESTART:
	case R_SERVER_408:
	case R_SERVER_HANGUP:
		return RULE_S1;
	case R_CLOSE_IDLE_CONNS:
		return RULE_C1;
	case R_CONN_BROKEN:
		return RULE_S3;
	default:
		return failed_rule(r);
	}
}

static int rule_index(const struct ps_event *ev)
{
	switch ((enum ev_kind)ev->kind) {
	case EV_REQ_START:
		return RULE_G1;
	case EV_REQ_WAIT:
		return (ev->flags & EVF_H2_SLOT) ? RULE_H5B : RULE_G2E;
	case EV_PERMIT_WAIT:
		return RULE_G4_WAIT;
	case EV_REQ_GOT_CONN:
		if (ev->flags & EVF_H2_SLOT)
			return RULE_H5B;
		if (ev->flags & EVF_H2)
			return (ev->flags & EVF_WAITED) ? RULE_H4 : RULE_H2;
		return (ev->flags & EVF_WAS_IDLE) ? RULE_G2C : RULE_G5;
	case EV_STREAM_END:
		return RULE_H6;
	case EV_H2_GOAWAY:
		return RULE_H8_GOAWAY;
	case EV_REQ_RETRY:
		return RULE_S3;
	case EV_REQ_FAILED:
		return failed_rule((enum ev_reason)ev->reason);
	case EV_BODY_LEAKED:
		return RULE_B1;
	case EV_DIAL_START:
		return RULE_G4_DIAL;
	case EV_CONN_READY:
		return RULE_G6;
	case EV_CONN_IDLE:
		return (ev->flags & EVF_H2) ? RULE_H6 : RULE_P8_IDLE;
	case EV_CONN_HANDOFF:
		return RULE_P5;
	case EV_CONN_CLOSED:
		if (ev->reason == R_H2_UNNEEDED)
			return RULE_H3;
		if ((ev->flags & EVF_H2) && ev->reason == R_IDLE_TIMEOUT)
			return RULE_H7;
		if ((ev->flags & EVF_H2) && ev->value > 0)
			return RULE_H8;
		return closed_rule((enum ev_reason)ev->reason);
	case EV_SERVER_ACTION:
		if (ev->value == CLIENT_CLOSE_IDLE_CONNECTIONS)
			return RULE_C1;
		if (ev->value == CLIENT_CANCEL)
			return RULE_G8;
		return RULE_S1_ACTION;
	default:
		return -1;
	}
}

const struct ev_rule *ev_rule_of(const struct ps_event *ev)
{
	int i = rule_index(ev);
	return i < 0 ? NULL : &rules[i];
}

const char *ev_rule_id(const struct ps_event *ev)
{
	const struct ev_rule *r = ev_rule_of(ev);
	return r ? r->id : "-";
}

char *ev_rule_teach_text(const struct ps_event *ev, char *buf, size_t size)
{
	const struct ev_rule *r = ev_rule_of(ev);

	if (!r) {
		snprintf(buf, size, "-");
		return buf;
	}
	if (ev->kind == EV_SERVER_ACTION)
		snprintf(buf, size, "[event] %s: %s\n  %s",
		         ev_server_action_name((enum ev_server_action)ev->value), r->line1,
		         r->line2);
	else
		snprintf(buf, size, "%s in %s: %s\n  %s", r->id, r->go_func, r->line1, r->line2);
	return buf;
}

const struct ev_rule *rule_tracker_first(struct rule_tracker *t, const struct ps_event *ev)
{
	int i = rule_index(ev);
	if (i < 0 || !rules[i].teach)
		return NULL;
	if (ev->kind == EV_SERVER_ACTION)
		return &rules[i];
	if (t->seen & (1ull << i))
		return NULL;
	t->seen |= 1ull << i;
	return &rules[i];
}
