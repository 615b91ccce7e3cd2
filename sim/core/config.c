/*
 * config.c: the two starting points of a Transport's settings (config.h).
 */
#include <string.h>

#include "config.h"

const char *const http_method_names[METHOD_COUNT] = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
};

bool request_is_replayable(enum http_method method, bool idempotency_key)
{
	return method == METHOD_GET || method == METHOD_OPTIONS || method == METHOD_TRACE ||
	       idempotency_key;
}

struct transport_config transport_config_default(void)
{
	struct transport_config t = {
	    .MaxIdleConns = 100,
	    .IdleConnTimeout = 90 * PS_SEC,
	    .TLSHandshakeTimeout = 10 * PS_SEC,
	    .DialTimeout = 30 * PS_SEC,
	    .ForceAttemptHTTP2 = true,
	};
	return t;
}

struct transport_config transport_config_zero(void)
{
	struct transport_config t;
	memset(&t, 0, sizeof t);
	return t;
}

static ps_time deadline_after(ps_time now, ps_time timeout)
{
	if (timeout == 0)
		return PS_TIME_NEVER;
	return timeout > 0 ? ps_time_add(now, timeout) : now + timeout;
}

ps_time transport_dial_deadline(const struct transport_config *t, ps_time now)
{
	return deadline_after(now, t->DialTimeout);
}

ps_time transport_tls_deadline(const struct transport_config *t, ps_time now)
{
	return deadline_after(now, t->TLSHandshakeTimeout);
}
