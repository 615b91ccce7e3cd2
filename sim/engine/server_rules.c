/*
 * server_rules.c: see server_rules.h.
 */
#include "server_rules.h"

bool server_response_closes(const struct host_spec *h, uint64_t served, bool asked_close)
{
	int64_t max = h->server_max_requests;
	return asked_close || (max > 0 && served + 1 >= (uint64_t)max);
}

bool server_idle_clock_starts(const struct host_spec *h, uint64_t served)
{
	return served > 0 && h->server_idle_timeout > 0;
}

bool server_is_idle(enum server_conn_phase phase, uint64_t served)
{
	return phase == SERVER_CONN_WAITING && served > 0;
}

enum server_verdict server_action_verdict(enum ev_server_action action,
                                          enum server_conn_phase phase, uint64_t served)
{
	switch (action) {
	case SRV_CLOSE_IDLE:
	case SRV_SEND_408: /* Go's client ignores the 408 and closes the conn (S1) */
		return server_is_idle(phase, served) ? SERVER_CLOSE : SERVER_SPARE;
	case SRV_RESTART:
		return phase == SERVER_CONN_HANDSHAKE ? SERVER_FAIL_HANDSHAKE : SERVER_CLOSE;
	default:
		return SERVER_SPARE;
	}
}
