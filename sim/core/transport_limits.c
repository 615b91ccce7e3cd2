/*
 * transport_limits.c: Go's meaning of the Transport's limit values (transport_limits.h).
 */
#include "transport_limits.h"

/* maxIdleConnsPerHost: Go returns any non-zero value as is; P1 stops the negatives first. */
static int64_t max_idle_per_host(const struct transport_config *tc)
{
	if (tc->MaxIdleConnsPerHost == 0)
		return GO_DEFAULT_MAX_IDLE_CONNS_PER_HOST;
	return tc->MaxIdleConnsPerHost;
}

struct transport_limits transport_limits_of(const struct transport_config *tc)
{
	struct transport_limits l;
	l.keep_alives_off = tc->DisableKeepAlives || tc->MaxIdleConnsPerHost < 0;
	l.max_idle_per_host = l.keep_alives_off ? 0 : max_idle_per_host(tc);
	if (l.keep_alives_off || tc->MaxIdleConns < 0)
		l.max_idle_total = 0;
	else
		l.max_idle_total = tc->MaxIdleConns == 0 ? LIMIT_NONE : tc->MaxIdleConns;
	l.max_conns_per_host = tc->MaxConnsPerHost > 0 ? tc->MaxConnsPerHost : LIMIT_NONE;
	l.idle_timeout = tc->IdleConnTimeout > 0 ? tc->IdleConnTimeout : PS_TIME_NEVER;
	return l;
}

bool limit_allows(int64_t limit, int64_t count)
{
	return limit == LIMIT_NONE || count < limit;
}
