/*
 * sections.c: the sections and keys of the format: the key tables, what each
 * key sets (the handler inih calls), the checks when a section ends, and
 * opening a section header.
 */
#include "reader.h"
#include "replay.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

const char *const section_words[SEC_COUNT] = {
    "", "scenario", "transport", "client", "host", "load", "event",
};
const char *const scenario_keys[] = {"name", "duration",  "seed",           "base",
                                     "go",   "time_wait", "ephemeral_ports"};
const char *const transport_keys[] = {
    "MaxIdleConns",      "MaxIdleConnsPerHost",         "MaxConnsPerHost",       "IdleConnTimeout",
    "DisableKeepAlives", "TLSHandshakeTimeout",         "ResponseHeaderTimeout", "DialTimeout",
    "ForceAttemptHTTP2", "StrictMaxConcurrentRequests",
};
const char *const client_keys[] = {"Timeout"};
const char *const host_keys[] = {
    "tls",
    "dial_latency",
    "tls_latency",
    "service_time",
    "server_idle_timeout",
    "server_max_requests",
    "rtt",
    "close_after_response",
    "h2",
    "max_concurrent_streams",
};
const char *const load_keys[] = {
    "host",
    "workers",
    "think",
    "requests",
    "rate",
    "arrival",
    "count",
    "start",
    "stop",
    "body",
    "client",
    "method",
    "idempotency_key",
    "request_body",
    "replay",
    "replay_speed",
    "request_close",
    "replay_format",
    "replay_fields",
    "replay_log_format",
    "replay_upstream",
    "replay_window",
};
const char *const action_keys[] = {"at", "host", "action", "for", "load", "phase"};

const struct key_table key_tables[SEC_COUNT] = {
    {NULL, 0},         {scenario_keys, SK_N}, {transport_keys, TK_N}, {client_keys, CK_N},
    {host_keys, HK_N}, {load_keys, LK_N},     {action_keys, AK_N},
};

/* -------------------------------------------------------------- sections */

/* get_port_range: "32768-60999" (or "32768 60999", as sysctl writes it), 1..65535. */
static bool get_port_range(struct reader *r, const char *value, int64_t *lo, int64_t *hi)
{
	char a[32], b[32];
	size_t cut = strcspn(value, "- \t");
	if (!value[cut] || cut >= sizeof a || strlen(value + cut + 1) >= sizeof b)
		return fail(r, r->line, "bad ephemeral_ports '%s' (use LOW-HIGH, e.g. 32768-60999)",
		            value);
	memcpy(a, value, cut);
	a[cut] = '\0';
	const char *rest = value + cut + strspn(value + cut, "- \t");
	snprintf(b, sizeof b, "%s", rest);
	if (!get_int(r, "ephemeral_ports", a, 1, 65535, lo) ||
	    !get_int(r, "ephemeral_ports", b, 1, 65535, hi))
		return false;
	return *lo <= *hi ||
	       fail(r, r->line, "ephemeral_ports %s: the low end is above the high end", value);
}

static bool set_scenario_key(struct reader *r, int key, const char *value)
{
	static const char *const bases[] = {"default", "zero"};
	struct scenario *sc = r->sc;
	int choice;
	int64_t seed;
	switch (key) {
	case SK_NAME:
		snprintf(sc->title, sizeof sc->title, "%s", value);
		return true;
	case SK_DURATION:
		if (!get_time(r, "duration", value, &sc->duration))
			return false;
		return sc->duration > 0 || fail(r, r->line, "duration must be greater than 0");
	case SK_SEED:
		if (value[0] == '-')
			return fail(r, r->line, "seed must not be negative (got %s)", value);
		/* get_int covers 0..2^63-1; a seed beyond that is rare enough to refuse. */
		if (!get_int(r, "seed", value, 0, INT64_MAX, &seed))
			return false;
		sc->seed = (uint64_t)seed;
		return true;
	case SK_BASE:
		choice = get_choice(r, "base", value, bases, 2);
		sc->base_zero = choice == 1;
		return choice >= 0;
	case SK_GO:
		if (!scenario_parse_go(value, &sc->go, &sc->go_key))
			return fail(r, r->line,
			            "bad value '%s' for go (use 1.%d .. %s, or current = Go %s)",
			            value, GO_RELEASE_OLDEST % 100, GO_RELEASE_CURRENT_NAME,
			            GO_RELEASE_CURRENT_NAME);
		return true;
	case SK_TIME_WAIT:
		return get_time(r, "time_wait", value, &sc->time_wait);
	case SK_PORTS:
		return get_port_range(r, value, &sc->ephemeral_lo, &sc->ephemeral_hi);
	}
	return false;
}

/* warn_negative_duration: what a negative Transport time means in Go (go-transport-pool.md §1). */
static void warn_negative_duration(struct reader *r, int key, const char *value)
{
	if (key == TK_TLSHandshakeTimeout)
		warn(r, "TLSHandshakeTimeout = %s fails every TLS handshake at once", value);
	else if (key == TK_DialTimeout)
		warn(r,
		     "DialTimeout = %s fails every dial at once (net.Dialer uses a negative "
		     "timeout as is)",
		     value);
	else
		warn(r, "%s = %s means no limit, like 0", transport_keys[key], value);
}

static bool set_transport_key(struct reader *r, int key, const char *value)
{
	struct transport_config *t = r->transport;
	const char *name = transport_keys[key];
	int64_t *ints[] = {&t->MaxIdleConns, &t->MaxIdleConnsPerHost, &t->MaxConnsPerHost};
	ps_time *times[] = {NULL,
	                    NULL,
	                    NULL,
	                    &t->IdleConnTimeout,
	                    NULL,
	                    &t->TLSHandshakeTimeout,
	                    &t->ResponseHeaderTimeout,
	                    &t->DialTimeout};
	if (key == TK_DisableKeepAlives)
		return get_bool(r, name, value, &t->DisableKeepAlives);
	if (key == TK_ForceAttemptHTTP2)
		return get_bool(r, name, value, &t->ForceAttemptHTTP2);
	if (key == TK_StrictMaxConcurrentRequests)
		return get_bool(r, name, value, &t->StrictMaxConcurrentRequests);
	if (key <= TK_MaxConnsPerHost) {
		if (!get_int(r, name, value, INT64_MIN, INT64_MAX, ints[key]))
			return false;
		if (*ints[key] < 0 && key == TK_MaxConnsPerHost)
			warn(r, "MaxConnsPerHost = %s means no limit, like 0", value);
		else if (*ints[key] < 0)
			warn(r, "%s = %s keeps no connection idle (pooling off)", name, value);
		return true;
	}
	if (!get_duration(r, name, value, times[key]))
		return false;
	if (*times[key] < 0)
		warn_negative_duration(r, key, value);
	return true;
}

static bool set_client_key(struct reader *r, int key, const char *value)
{
	if (!get_duration(r, "Timeout", value, &r->sc->client_timeout))
		return false;
	return r->sc->client_timeout >= 0 ||
	       fail(r, r->line, "Timeout must not be negative (got %s)", value);
}

static bool set_host_key(struct reader *r, int key, const char *value)
{
	struct host_spec *h = &r->sc->hosts[r->cur_index];
	const char *name = host_keys[key];
	switch (key) {
	case HK_TLS:
		return get_bool(r, name, value, &h->tls);
	case HK_DIAL:
		return get_time(r, name, value, &h->dial_latency);
	case HK_TLS_LAT:
		return get_time(r, name, value, &h->tls_latency);
	case HK_SERVICE:
		return get_dist(r, name, value, &h->service_time);
	case HK_IDLE:
		return get_time(r, name, value, &h->server_idle_timeout);
	case HK_MAXREQ:
		return get_int(r, name, value, 0, INT64_MAX, &h->server_max_requests);
	case HK_RTT:
		return get_time(r, name, value, &h->rtt);
	case HK_CLOSE_AFTER:
		return get_bool(r, name, value, &h->close_after_response);
	case HK_H2:
		return get_bool(r, name, value, &h->h2);
	case HK_MAX_STREAMS: /* SETTINGS_MAX_CONCURRENT_STREAMS: 31 bits, as stream ids */
		return get_int(r, name, value, 1, INT32_MAX, &h->max_concurrent_streams);
	}
	return false;
}

/* get_replay_path: the file, relative to the scenario's own folder unless absolute. */
static bool get_replay_path(struct reader *r, const char *value, char **out)
{
	const char *slash = value[0] == '/' || !r->path ? NULL : strrchr(r->path, '/');
	size_t dir = slash ? (size_t)(slash - r->path) + 1 : 0;
	char *p = malloc(dir + strlen(value) + 1);
	if (!p)
		return fail(r, r->line, "out of memory");
	memcpy(p, r->path, dir);
	strcpy(p + dir, value);
	free(*out);
	*out = p;
	return true;
}

/* get_speed: a positive decimal, at most 1000000. */
static bool get_speed(struct reader *r, const char *value, double *out)
{
	char *end;
	double v = strtod(value, &end);
	if (end == value || *end || !(v > 0) || v > 1e6)
		return fail(r, r->line, "bad replay_speed '%s' (a number above 0, e.g. 2)", value);
	*out = v;
	return true;
}

/* get_replay_fields: "MSEC,TIME[,HOST]", 1-based nginx field numbers. */
static bool get_replay_fields(struct reader *r, const char *value, struct nginx_positions *out)
{
	int v[3] = {0, 0, 0}, n = 0;
	const char *s = value;
	while (n < 3) {
		char *end;
		long x = strtol(s, &end, 10);
		if (end == s || x < 1 || x > NGINX_FIELDS_MAX)
			break;
		v[n++] = (int)x;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != ',') {
			s = end;
			break;
		}
		s = end + 1;
	}
	if (n < 2 || *s)
		return fail(r, r->line,
		            "bad replay_fields '%s' (the 1-based fields of $msec, the request time "
		            "and optionally the host, e.g. 4,5 or 4,5,6)",
		            value);
	*out = (struct nginx_positions){v[0], v[1], v[2]};
	return true;
}

static bool set_replay_key(struct reader *r, struct load_spec *l, int key, const char *value)
{
	struct replay_options *o = &l->replay_opt;
	int choice;
	switch (key) {
	case LK_REPLAY_FORMAT:
		choice = get_choice(r, load_keys[key], value, replay_format_names + 1, 3);
		o->format = (enum replay_format)(choice + 1);
		return choice >= 0;
	case LK_REPLAY_FIELDS:
		return get_replay_fields(r, value, &o->fields);
	case LK_REPLAY_LOG_FORMAT:
		if (nginx_positions_from_format(value, &o->fields))
			return fail(r, r->line,
			            "replay_log_format has no $msec or no $request_time / "
			            "$upstream_response_time");
		return true;
	case LK_REPLAY_WINDOW:
		return get_time(r, load_keys[key], value, &o->window);
	case LK_REPLAY_UPSTREAM:
		if (strlen(value) >= sizeof o->upstream)
			return fail(r, r->line, "replay_upstream is longer than %zu bytes",
			            sizeof o->upstream - 1);
		snprintf(o->upstream, sizeof o->upstream, "%s", value);
		return true;
	}
	return false;
}

static bool set_load_key(struct reader *r, int key, const char *value)
{
	static const char *const arrivals[] = {"poisson", "uniform"};
	static const char *const bodies[] = {"close", "early_close", "leak"};
	static const char *const clients[] = {"shared", "new_per_request"};
	struct load_spec *l = &r->sc->loads[r->cur_index];
	const char *name = load_keys[key];
	int choice;
	switch (key) {
	case LK_HOST:
		return get_host_ref(r, value, r->load_extra[r->cur_index].host);
	case LK_WORKERS:
		return get_int(r, name, value, 1, WORKERS_MAX, &l->workers);
	case LK_THINK:
		return get_time(r, name, value, &l->think);
	case LK_REQUESTS:
		return get_int(r, name, value, 0, REQUESTS_MAX, &l->requests);
	case LK_RATE:
		return get_rate(r, value, &l->rate);
	case LK_ARRIVAL:
		choice = get_choice(r, name, value, arrivals, 2);
		l->arrival = choice == 1 ? ARRIVAL_UNIFORM : ARRIVAL_POISSON;
		return choice >= 0;
	case LK_COUNT:
		return get_int(r, name, value, 1, COUNT_MAX, &l->count);
	case LK_START:
		return get_time(r, name, value, &l->start);
	case LK_STOP:
		return get_time(r, name, value, &l->stop);
	case LK_BODY:
		choice = get_choice(r, name, value, bodies, 3);
		l->body = choice == 2 ? BODY_LEAK : choice == 1 ? BODY_EARLY_CLOSE : BODY_CLOSE;
		return choice >= 0;
	case LK_CLIENT:
		choice = get_choice(r, name, value, clients, 2);
		l->new_client_per_request = choice == 1;
		return choice >= 0;
	case LK_METHOD:
		if (!strcmp(value, "HEAD"))
			return fail(r, r->line,
			            "method HEAD is not modelled (its response has no body: P12); "
			            "use GET, POST, PUT, PATCH, DELETE, OPTIONS or TRACE");
		choice = get_choice(r, name, value, http_method_names, METHOD_COUNT);
		l->method = choice > 0 ? (enum http_method)choice : METHOD_GET;
		return choice >= 0;
	case LK_IDEMPOTENCY_KEY:
		return get_bool(r, name, value, &l->idempotency_key);
	case LK_REQUEST_BODY:
		return get_int(r, name, value, 0, REQUEST_BODY_MAX, &l->request_body);
	case LK_REPLAY:
		return get_replay_path(r, value, &l->replay);
	case LK_REPLAY_SPEED:
		return get_speed(r, value, &l->replay_speed);
	case LK_REQUEST_CLOSE:
		return get_bool(r, name, value, &l->request_close);
	default:
		return set_replay_key(r, l, key, value);
	}
	return false;
}

static bool set_action_key(struct reader *r, int key, const char *value)
{
	static const char *const actions[] = {
	    "close_idle", "restart", "down", "send_408", "close_idle_connections", "cancel"};
	static const enum ev_server_action action_values[] = {
	    SRV_CLOSE_IDLE, SRV_RESTART, SRV_DOWN, SRV_SEND_408, CLIENT_CLOSE_IDLE_CONNECTIONS,
	    CLIENT_CANCEL};
	static const char *const phases[] = {"any", "dialing", "waiting", "awaiting_headers"};
	struct server_action_spec *e = &r->sc->actions[r->cur_index];
	int choice;
	switch (key) {
	case AK_AT:
		return get_time(r, "at", value, &e->at);
	case AK_HOST:
		return get_host_ref(r, value, r->action_extra[r->cur_index].host);
	case AK_ACTION:
		choice = get_choice(r, "action", value, actions, 6);
		e->action = action_values[choice > 0 ? choice : 0];
		return choice >= 0;
	case AK_LOAD:
		if (strlen(value) >= SCENARIO_NAME_MAX)
			return fail(r, r->line, "load name is longer than %d characters",
			            SCENARIO_NAME_MAX - 1);
		snprintf(r->action_extra[r->cur_index].load, SCENARIO_NAME_MAX, "%s", value);
		return true;
	case AK_PHASE:
		choice = get_choice(r, "phase", value, phases, 4);
		e->phase = (uint8_t)(choice > 0 ? choice : 0);
		return choice >= 0;
	case AK_FOR:
		if (!get_time(r, "for", value, &e->down_for))
			return false;
		return e->down_for > 0 || fail(r, r->line, "for must be greater than 0");
	}
	return false;
}

struct key_lines *current_keys(struct reader *r)
{
	switch (r->cur) {
	case SEC_HOST:
		return &r->host_keys[r->cur_index];
	case SEC_LOAD:
		return &r->load_extra[r->cur_index].keys;
	case SEC_ACTION:
		return &r->action_extra[r->cur_index].keys;
	default:
		return &r->singleton_keys[r->cur];
	}
}

bool (*const key_setters[SEC_COUNT])(struct reader *, int, const char *) = {
    NULL,         set_scenario_key, set_transport_key, set_client_key,
    set_host_key, set_load_key,     set_action_key,
};

/* on_key: inih's handler. inih's own section name is ignored (see the file comment). */
int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	if (r->failed)
		return 1;
	if (r->cur == SEC_NONE) {
		enum section_kind owner = owning_section(SEC_NONE, name);
		if (owner != SEC_NONE)
			fail(r, r->line, "key '%s' comes before any section; it belongs in [%s%s]",
			     name, section_words[owner], owner >= SEC_HOST ? " NAME" : "");
		else
			fail(r, r->line, "key '%s' comes before any section", name);
		return 1;
	}
	int key = key_lookup(r->cur, name);
	if (key < 0) {
		unknown_key(r, name);
		return 1;
	}
	struct key_lines *lines = current_keys(r);
	if (lines->line[key]) {
		char label[SCENARIO_NAME_MAX + 16];
		section_label(r, r->cur, r->cur_index, label, sizeof label);
		fail(r, r->line, "'%s' given twice in %s (first on line %d)", name, label,
		     lines->line[key]);
		return 1;
	}
	lines->line[key] = r->line;
	if (!*value) {
		fail(r, r->line, "'%s' has no value", name);
		return 1;
	}
	key_setters[r->cur](r, key, value);
	return 1;
}

/* -------------------------------------------------- end-of-section checks */

/* first_misfit: the earliest key given that a load of this kind does not take, or -1. */
static int first_misfit(const struct key_lines *k, enum load_kind kind)
{
	static const int workers_only[] = {LK_THINK, LK_REQUESTS};
	int best = -1;
	for (int i = 0; i < 2; i++)
		if (kind != LOAD_WORKERS && k->line[workers_only[i]] &&
		    (best < 0 || k->line[workers_only[i]] < k->line[best]))
			best = workers_only[i];
	if (kind != LOAD_RATE && k->line[LK_ARRIVAL] &&
	    (best < 0 || k->line[LK_ARRIVAL] < k->line[best]))
		best = LK_ARRIVAL;
	if (kind == LOAD_COUNT && k->line[LK_STOP] &&
	    (best < 0 || k->line[LK_STOP] < k->line[best]))
		best = LK_STOP;
	for (int key = LK_REPLAY_SPEED; key < LK_N; key++)
		if (kind != LOAD_REPLAY && key != LK_REQUEST_CLOSE && k->line[key] &&
		    (best < 0 || k->line[key] < k->line[best]))
			best = key;
	return best;
}

const char *const kind_names[LOAD_KINDS] = {"workers", "rate", "count", "replay"};
const int kind_keys[LOAD_KINDS] = {LK_WORKERS, LK_RATE, LK_COUNT, LK_REPLAY};

/* check_replay: the whole file read once: every row well formed, and how many. */
static bool check_replay(struct reader *r, struct load_spec *l, const struct key_lines *k)
{
	char err[SCENARIO_MSG_MAX];
	ps_time last;
	struct replay_options *o = &l->replay_opt;
	int nginx_key = k->line[LK_REPLAY_FIELDS] ? LK_REPLAY_FIELDS : LK_REPLAY_LOG_FORMAT;
	if (k->line[LK_REPLAY_FIELDS] && k->line[LK_REPLAY_LOG_FORMAT])
		return fail(
		    r, k->line[LK_REPLAY_LOG_FORMAT],
		    "[load %s] has both replay_fields (line %d) and replay_log_format; give "
		    "one",
		    l->name, k->line[LK_REPLAY_FIELDS]);
	if (o->format == REPLAY_DETECT && k->line[nginx_key])
		o->format = REPLAY_NGINX; /* the nginx keys say what the file is */
	static const int nginx_only[] = {LK_REPLAY_FIELDS, LK_REPLAY_LOG_FORMAT, LK_REPLAY_UPSTREAM,
	                                 LK_REPLAY_WINDOW};
	for (int j = 0; j < 4 && o->format != REPLAY_NGINX; j++)
		if (k->line[nginx_only[j]])
			return fail(r, k->line[nginx_only[j]],
			            "'%s' goes with replay_format = nginx",
			            load_keys[nginx_only[j]]);
	if (!k->line[LK_REPLAY_WINDOW])
		o->window = REPLAY_WINDOW_DEFAULT;
	if (o->format == REPLAY_NGINX && !k->line[nginx_key])
		return fail(r, k->line[LK_REPLAY_FORMAT],
		            "replay_format = nginx needs replay_fields (e.g. 4,5: the fields of "
		            "$msec and $request_time) or replay_log_format (the log_format line)");
	if (o->format == REPLAY_NGINX && o->upstream[0] && !o->fields.host)
		return fail(r, k->line[LK_REPLAY_UPSTREAM],
		            "replay_upstream needs a host field ($upstream_addr or $host in "
		            "replay_log_format, or a third number in replay_fields)");
	if (replay_scan(l->replay, o, &l->replay_rows, &last, err, sizeof err))
		return fail(r, k->line[LK_REPLAY], "%s", err);
	if (l->replay_speed == 0)
		l->replay_speed = 1;
	return true;
}
static bool end_load(struct reader *r, uint32_t i)
{
	struct load_spec *l = &r->sc->loads[i];
	const struct key_lines *k = &r->load_extra[i].keys;
	if (!k->line[LK_HOST])
		return fail(r, l->line, "[load %s] needs 'host'", l->name);
	int first = -1;
	for (int j = 0; j < LOAD_KINDS; j++) {
		if (!k->line[kind_keys[j]])
			continue;
		if (first < 0) {
			first = j;
			continue;
		}
		int a = first, b = j;
		if (k->line[kind_keys[a]] > k->line[kind_keys[b]])
			a = j, b = first;
		return fail(r, k->line[kind_keys[b]],
		            "[load %s] has both '%s' (line %d) and '%s'; give exactly one", l->name,
		            kind_names[a], k->line[kind_keys[a]], kind_names[b]);
	}
	if (first < 0)
		return fail(r, l->line,
		            "[load %s] needs one of 'workers', 'rate', 'count' or 'replay'",
		            l->name);
	l->kind = (enum load_kind)first;
	int bad = first_misfit(k, l->kind);
	if (bad >= 0)
		return fail(r, k->line[bad], "'%s' does not fit a %s load (it goes with %s)",
		            load_keys[bad], kind_names[first],
		            bad == LK_ARRIVAL        ? "rate"
		            : bad == LK_STOP         ? "workers, rate or replay"
		            : bad >= LK_REPLAY_SPEED ? "replay"
		                                     : "workers");
	return l->kind != LOAD_REPLAY || check_replay(r, l, k);
}

static bool end_action(struct reader *r, uint32_t i)
{
	struct server_action_spec *e = &r->sc->actions[i];
	const struct key_lines *k = &r->action_extra[i].keys;
	static const int required[] = {AK_AT, AK_ACTION, AK_HOST};
	bool client = k->line[AK_ACTION] && ev_action_is_client(e->action);
	for (int j = 0; j < (client ? 2 : 3); j++)
		if (!k->line[required[j]])
			return fail(r, e->line, "[event %s] needs '%s'", e->name,
			            action_keys[required[j]]);
	if (client && k->line[AK_HOST])
		return fail(r, k->line[AK_HOST],
		            "'host' does not go with action = %s (a client action: the whole "
		            "Transport)",
		            ev_server_action_name(e->action));
	if (e->action == CLIENT_CANCEL && !k->line[AK_LOAD])
		return fail(r, e->line, "[event %s] with action = cancel needs 'load'", e->name);
	if (e->action != CLIENT_CANCEL && k->line[AK_LOAD])
		return fail(r, k->line[AK_LOAD], "'load' only goes with action = cancel");
	if (e->action != CLIENT_CANCEL && k->line[AK_PHASE])
		return fail(r, k->line[AK_PHASE], "'phase' only goes with action = cancel");
	if (e->action == SRV_DOWN && !k->line[AK_FOR])
		return fail(r, e->line, "[event %s] with action = down needs 'for'", e->name);
	if (e->action != SRV_DOWN && k->line[AK_FOR])
		return fail(r, k->line[AK_FOR], "'for' only goes with action = down");
	return true;
}

bool end_section(struct reader *r)
{
	if (r->cur == SEC_SCENARIO && !r->singleton_keys[SEC_SCENARIO].line[SK_DURATION])
		return fail(r, r->singleton_line[SEC_SCENARIO], "[scenario] needs 'duration'");
	if (r->cur == SEC_LOAD)
		return end_load(r, r->cur_index);
	if (r->cur == SEC_ACTION)
		return end_action(r, r->cur_index);
	return true;
}

/* ------------------------------------------------------- opening sections */

static void host_defaults(struct host_spec *h)
{
	h->dial_latency = 1 * PS_MS;
	h->tls_latency = 2 * PS_MS;
	h->service_time.kind = DIST_CONST;
	h->service_time.lo = 10 * PS_MS;
	h->max_concurrent_streams = H2_DEFAULT_MAX_STREAMS;
}

/* grow: make room for one more element in *arr (and its side array *extra). */
static bool grow(void **arr, size_t size, void **extra, size_t extra_size, uint32_t n,
                 uint32_t *cap)
{
	if (n < *cap)
		return true;
	uint32_t ncap = *cap ? *cap * 2 : 8;
	void *a = realloc(*arr, (size_t)ncap * size);
	if (!a)
		return false;
	*arr = a;
	void *x = realloc(*extra, (size_t)ncap * extra_size);
	if (!x)
		return false;
	*extra = x;
	*cap = ncap;
	return true;
}

/* open_named: a [host NAME], [load NAME] or [event NAME] header. */
static bool open_named(struct reader *r, enum section_kind kind, const char *name, size_t n)
{
	struct scenario *sc = r->sc;
	if (!valid_name(name, n))
		return fail(r, r->line, "[%s %.*s]: the name must match [A-Za-z0-9_.-]+",
		            section_words[kind], (int)n, name);
	if (n >= SCENARIO_NAME_MAX)
		return fail(r, r->line, "[%s] name is longer than %d characters",
		            section_words[kind], SCENARIO_NAME_MAX - 1);
	char key[SCENARIO_NAME_MAX];
	memcpy(key, name, n);
	key[n] = '\0';
	/* name is the first member of each spec, so these three agree in layout. */
	void **arr = kind == SEC_HOST   ? (void **)&sc->hosts
	             : kind == SEC_LOAD ? (void **)&sc->loads
	                                : (void **)&sc->actions;
	uint32_t *count = kind == SEC_HOST   ? &sc->n_hosts
	                  : kind == SEC_LOAD ? &sc->n_loads
	                                     : &sc->n_actions;
	size_t stride = kind == SEC_HOST   ? sizeof(struct host_spec)
	                : kind == SEC_LOAD ? sizeof(struct load_spec)
	                                   : sizeof(struct server_action_spec);
	struct name_index *ix = kind == SEC_HOST   ? &r->host_names
	                        : kind == SEC_LOAD ? &r->load_names
	                                           : &r->action_names;
	uint32_t limit = kind == SEC_HOST ? HOSTS_MAX : kind == SEC_LOAD ? LOADS_MAX : ACTIONS_MAX;
	uint32_t found = index_find(ix, *arr, stride, key);
	if (found != PS_NONE) {
		int first = kind == SEC_HOST   ? sc->hosts[found].line
		            : kind == SEC_LOAD ? sc->loads[found].line
		                               : sc->actions[found].line;
		return fail(r, r->line, "[%s %s] given twice (first on line %d)",
		            section_words[kind], key, first);
	}
	if (*count >= limit)
		return fail(r, r->line, "more than %u [%s] sections", limit, section_words[kind]);
	bool ok = kind == SEC_HOST ? grow(arr, stride, (void **)&r->host_keys, sizeof *r->host_keys,
	                                  *count, &r->host_cap)
	          : kind == SEC_LOAD ? grow(arr, stride, (void **)&r->load_extra,
	                                    sizeof *r->load_extra, *count, &r->load_cap)
	                             : grow(arr, stride, (void **)&r->action_extra,
	                                    sizeof *r->action_extra, *count, &r->action_cap);
	if (!ok)
		return fail(r, r->line, "out of memory");
	uint32_t i = (*count)++;
	char *spec = (char *)*arr + (size_t)i * stride;
	memset(spec, 0, stride);
	memcpy(spec, key, n + 1);
	if (kind == SEC_HOST) {
		host_defaults(&sc->hosts[i]);
		sc->hosts[i].line = r->line;
		memset(&r->host_keys[i], 0, sizeof r->host_keys[i]);
	} else if (kind == SEC_LOAD) {
		sc->loads[i].line = r->line;
		sc->loads[i].host = PS_NONE;
		memset(&r->load_extra[i], 0, sizeof r->load_extra[i]);
	} else {
		sc->actions[i].line = r->line;
		sc->actions[i].host = PS_NONE;
		memset(&r->action_extra[i], 0, sizeof r->action_extra[i]);
	}
	if (!index_add(ix, *arr, stride, i))
		return fail(r, r->line, "out of memory");
	r->cur = kind;
	r->cur_index = i;
	return true;
}

static bool unknown_section(struct reader *r, const char *in, size_t inn, size_t wn,
                            const char *name, size_t nn)
{
	char w[64];
	snprintf(w, sizeof w, "%.*s", (int)(wn < 63 ? wn : 63), in);
	int near = nearest(w, section_words, SEC_COUNT);
	if (near < 0)
		return fail(r, r->line,
		            "unknown section [%.*s]; sections are [scenario], [transport], "
		            "[client], [host NAME], "
		            "[load NAME], [event NAME]",
		            (int)(inn < 80 ? inn : 80), in);
	if (near >= SEC_HOST)
		return fail(r, r->line, "unknown section [%.*s]; did you mean [%s %.*s]?",
		            (int)(inn < 80 ? inn : 80), in, section_words[near],
		            nn ? (int)(nn < 64 ? nn : 64) : 4, nn ? name : "NAME");
	return fail(r, r->line, "unknown section [%.*s]; did you mean [%s]?",
	            (int)(inn < 80 ? inn : 80), in, section_words[near]);
}

/* open_section: the reader found "[...]" at s[0..n) (comments and blanks already gone). */
bool open_section(struct reader *r, const char *s, size_t n)
{
	if (!end_section(r))
		return false;
	if (s[n - 1] != ']') {
		const char *close = memchr(s, ']', n);
		if (close)
			return fail(r, r->line, "text after ']' in a section header");
		return fail(r, r->line, "section header has no closing ']'");
	}
	const char *in = s + 1;
	size_t inn = n - 2;
	trim(&in, &inn);
	if (!inn)
		return fail(r, r->line, "empty section header []");
	size_t wn = 0;
	while (wn < inn && in[wn] != ' ' && in[wn] != '\t')
		wn++;
	const char *name = in + wn;
	size_t nn = inn - wn;
	trim(&name, &nn);
	int kind = SEC_NONE;
	for (int k = SEC_SCENARIO; k < SEC_COUNT; k++)
		if (strlen(section_words[k]) == wn && memcmp(section_words[k], in, wn) == 0)
			kind = k;
	if (kind == SEC_NONE)
		return unknown_section(r, in, inn, wn, name, nn);
	if (kind >= SEC_HOST) {
		if (!nn)
			return fail(r, r->line, "[%s] needs a name, like [%s %s]",
			            section_words[kind], section_words[kind],
			            kind == SEC_HOST   ? "api"
			            : kind == SEC_LOAD ? "workers"
			                               : "restart");
		return open_named(r, (enum section_kind)kind, name, nn);
	}
	if (nn)
		return fail(r, r->line, "[%s] takes no name (got '%.*s')", section_words[kind],
		            (int)(nn < 64 ? nn : 64), name);
	if (r->singleton_line[kind])
		return fail(r, r->line, "[%s] given twice (first on line %d)", section_words[kind],
		            r->singleton_line[kind]);
	r->singleton_line[kind] = r->line;
	r->cur = (enum section_kind)kind;
	r->cur_index = 0;
	return true;
}
