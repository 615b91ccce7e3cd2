/*
 * capture.c: see capture.h. Each line is one flat JSON object; the reader
 * knows exactly the value types the records use (strings, integers,
 * booleans, and the list of flag words) and refuses anything else.
 */
#include "capture.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "events.h"
#include "scenario.h"

/* Past the simulator's and real mode's live limit (4,000,000 requests and conns, client.h). */
#define CAPTURE_MAX_CONN_SLOT (1 << 22)

#define FIELDS_MAX     32
#define KEY_MAX        32
#define STR_MAX        256
#define LINE_MAX_BYTES (64 * 1024)
#define REQ_SLOTS      65536 /* req_slot = req mod this: requests in flight at once, at most */

enum jtype { J_STR, J_NUM, J_BOOL, J_FLAGS };

struct jfield {
	char key[KEY_MAX];
	enum jtype type;
	char str[STR_MAX];
	int64_t num;
	uint32_t flags;
};

struct jobject {
	struct jfield f[FIELDS_MAX];
	int n;
};

static int fail(struct capture *c, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct capture *c, long line, const char *fmt, ...)
{
	char msg[CAPTURE_MSG_MAX - 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(c->error, sizeof c->error, "%s:%ld: %s", c->path, line, msg);
	else
		snprintf(c->error, sizeof c->error, "%s: %s", c->path, msg);
	return -1;
}

/* copy: src into dst, cut to fit. */
static void copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* parse_string: a JSON string at p (after its opening quote) into out; the end, or NULL. */
static const char *parse_string(const char *p, char *out, size_t size)
{
	size_t n = 0;
	for (; *p && *p != '"'; p++) {
		char ch = *p;
		if ((unsigned char)ch < 0x20)
			return NULL;
		if (ch == '\\') {
			p++;
			switch (*p) {
			case '"':
			case '\\':
			case '/':
				ch = *p;
				break;
			case 'n':
				ch = '\n';
				break;
			case 't':
				ch = '\t';
				break;
			case 'u': /* only what the writers produce: \u00XX */
				if (strncmp(p + 1, "00", 2) || !isxdigit((unsigned char)p[3]) ||
				    !isxdigit((unsigned char)p[4]))
					return NULL;
				ch = (char)strtol((char[]){p[3], p[4], 0}, NULL, 16);
				p += 4;
				break;
			default:
				return NULL;
			}
		}
		if (n + 1 >= size)
			return NULL;
		out[n++] = ch;
	}
	if (*p != '"')
		return NULL;
	out[n] = '\0';
	return p + 1;
}

static uint32_t flag_bit(const char *word)
{
	for (uint32_t bit = 1; bit < (1u << EVENTS_FLAG_BITS); bit <<= 1)
		if (events_flag_name(bit) && !strcmp(events_flag_name(bit), word))
			return bit;
	return 0;
}

/* parse_value: one value into f; the end, or NULL with *why set. */
static const char *parse_value(const char *p, struct jfield *f, const char **why)
{
	if (*p == '"') {
		f->type = J_STR;
		if (!(p = parse_string(p + 1, f->str, sizeof f->str)))
			*why = "a bad or too long string";
		return p;
	}
	if (*p == '[') {
		f->type = J_FLAGS;
		f->flags = 0;
		p = skip_ws(p + 1);
		while (*p == '"') {
			char word[KEY_MAX];
			if (!(p = parse_string(p + 1, word, sizeof word))) {
				*why = "a bad flag word";
				return NULL;
			}
			uint32_t bit = flag_bit(word);
			if (!bit) {
				*why = "an unknown flag word";
				return NULL;
			}
			f->flags |= bit;
			p = skip_ws(p);
			if (*p == ',')
				p = skip_ws(p + 1);
		}
		if (*p != ']') {
			*why = "a list that is not of flag words";
			return NULL;
		}
		return p + 1;
	}
	if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
		f->type = J_BOOL;
		f->num = *p == 't';
		return p + (*p == 't' ? 4 : 5);
	}
	if (*p == '-' || isdigit((unsigned char)*p)) {
		char *end;
		errno = 0;
		f->type = J_NUM;
		f->num = strtoll(p, &end, 10);
		if (errno || *end == '.' || *end == 'e' || *end == 'E') {
			*why = "a number that is not a 64-bit integer";
			return NULL;
		}
		return end;
	}
	*why = "a value that is not a string, integer, boolean or flag list";
	return NULL;
}

/* parse_object: one line; 0, or -1 with *why set. */
static int parse_object(const char *p, struct jobject *o, const char **why)
{
	o->n = 0;
	p = skip_ws(p);
	if (*p++ != '{') {
		*why = "not a JSON object";
		return -1;
	}
	p = skip_ws(p);
	while (*p == '"') {
		if (o->n == FIELDS_MAX) {
			*why = "too many keys";
			return -1;
		}
		struct jfield *f = &o->f[o->n++];
		if (!(p = parse_string(p + 1, f->key, sizeof f->key))) {
			*why = "a bad or too long key";
			return -1;
		}
		p = skip_ws(p);
		if (*p++ != ':') {
			*why = "no ':' after a key";
			return -1;
		}
		if (!(p = parse_value(skip_ws(p), f, why)))
			return -1;
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
	}
	if (*p++ != '}' || *skip_ws(p) != '\0') {
		*why = "not one JSON object";
		return -1;
	}
	return 0;
}

static const struct jfield *field(const struct jobject *o, const char *key, enum jtype type)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->f[i].key, key))
			return o->f[i].type == type ? &o->f[i] : NULL;
	return NULL;
}

static int64_t num_or(const struct jobject *o, const char *key, int64_t dflt)
{
	const struct jfield *f = field(o, key, J_NUM);
	return f ? f->num : dflt;
}

/* each_line: calls fn for every non-empty line's object; stops at the first error. */
static int each_line(struct capture *c,
                     int (*fn)(struct capture *, long, const struct jobject *, void *), void *ctx)
{
	FILE *f = scenario_open_regular(c->path);
	if (!f)
		return fail(c, 0, "cannot open: %s",
		            errno == EINVAL ? "not a regular file" : strerror(errno));
	char *buf = malloc(LINE_MAX_BYTES);
	struct jobject *o = malloc(sizeof *o);
	int rc = 0;
	if (!buf || !o)
		rc = fail(c, 0, "out of memory");
	for (long line = 1; !rc && fgets(buf, LINE_MAX_BYTES, f); line++) {
		size_t n = strlen(buf);
		if (n == LINE_MAX_BYTES - 1 && buf[n - 1] != '\n') {
			rc = fail(c, line, "a line longer than %d bytes", LINE_MAX_BYTES - 2);
			break;
		}
		if (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (!*skip_ws(buf))
			continue;
		const char *why = NULL;
		if (parse_object(buf, o, &why))
			rc = fail(c, line, "%s", why);
		else
			rc = fn(c, line, o, ctx);
	}
	if (!rc && ferror(f))
		rc = fail(c, 0, "read error: %s", strerror(errno));
	free(buf);
	free(o);
	fclose(f);
	return rc;
}

static int kind_of(const char *name)
{
	for (int k = 0; k < EV_KIND_COUNT; k++)
		if (!strcmp(ev_kind_name((enum ev_kind)k), name))
			return k;
	return -1;
}

static int transport_record(struct capture *c, long line, const struct jobject *o,
                            struct transport_config *t)
{
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {{"MaxIdleConns", offsetof(struct transport_config, MaxIdleConns)},
	            {"MaxIdleConnsPerHost", offsetof(struct transport_config, MaxIdleConnsPerHost)},
	            {"MaxConnsPerHost", offsetof(struct transport_config, MaxConnsPerHost)}},
	  durs[] = {
	      {"IdleConnTimeout", offsetof(struct transport_config, IdleConnTimeout)},
	      {"TLSHandshakeTimeout", offsetof(struct transport_config, TLSHandshakeTimeout)},
	      {"ResponseHeaderTimeout", offsetof(struct transport_config, ResponseHeaderTimeout)},
	      {"DialTimeout", offsetof(struct transport_config, DialTimeout)}};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		const struct jfield *f = field(o, nums[i].key, J_NUM);
		if (f)
			*(int64_t *)((char *)t + nums[i].off) = f->num;
	}
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		const struct jfield *f = field(o, durs[i].key, J_STR);
		if (f && parse_duration(f->str, (ps_time *)((char *)t + durs[i].off)))
			return fail(c, line, "%s: '%s' is not a duration", durs[i].key, f->str);
	}
	const struct jfield *ka = field(o, "DisableKeepAlives", J_BOOL);
	if (ka)
		t->DisableKeepAlives = ka->num != 0;
	return 0;
}

/* host_name: a pool target ("127.0.0.1:8080") as a [host] name: [A-Za-z0-9_.-], others '_'. */
static void host_name(const char *in, char *out, size_t size)
{
	size_t n = 0;
	for (; *in && n + 1 < size; in++)
		out[n++] = isalnum((unsigned char)*in) || strchr("_.-", *in) ? *in : '_';
	out[n] = '\0';
	if (!n)
		snprintf(out, size, "host");
}

static int scan_line(struct capture *c, long line, const struct jobject *o, void *ctx)
{
	struct scenario *sc = ctx;
	const struct jfield *kind = field(o, "kind", J_STR);
	if (!kind)
		return fail(c, line, "a record without a \"kind\"");
	if (line == 1 || !c->source[0]) {
		const struct jfield *fmt = field(o, "format", J_STR);
		if (strcmp(kind->str, "stream") || !fmt || strcmp(fmt->str, "poolsim-events"))
			return fail(c, line,
			            "not a poolsim event capture: the first record must be "
			            "{\"kind\":\"stream\",\"format\":\"poolsim-events\",...}");
		const struct jfield *src = field(o, "source", J_STR);
		copy(c->source, sizeof c->source, src ? src->str : "probe");
		const struct jfield *go = field(o, "go", J_STR);
		int minor = go && !strncmp(go->str, "go1.", 4) ? atoi(go->str + 4) : 0;
		if (100 + minor >= GO_RELEASE_OLDEST && 100 + minor <= GO_RELEASE_CURRENT)
			c->go_release = 100 + minor;
		const struct jfield *title = field(o, "scenario", J_STR);
		copy(sc->title, sizeof sc->title, title ? title->str : "capture");
		return 0;
	}
	if (!strcmp(kind->str, "transport")) {
		if (c->has_transport)
			return 0; /* the first Transport's settings stand for the capture */
		c->has_transport = true;
		return transport_record(c, line, o, &sc->transport);
	}
	if (!strcmp(kind->str, "host")) {
		int64_t h = num_or(o, "host", -1);
		const struct jfield *name = field(o, "name", J_STR);
		if (h != (int64_t)sc->n_hosts || !name)
			return fail(c, line,
			            "host records must number the hosts 0, 1, 2... in order "
			            "and name each");
		if (sc->n_hosts == 4096)
			return fail(c, line, "more than 4096 hosts");
		struct host_spec *hs = realloc(sc->hosts, (sc->n_hosts + 1) * sizeof *hs);
		if (!hs)
			return fail(c, line, "out of memory");
		sc->hosts = hs;
		memset(&hs[h], 0, sizeof hs[h]);
		host_name(name->str, hs[h].name, sizeof hs[h].name);
		hs[h].line = (int)line;
		sc->n_hosts++;
		return 0;
	}
	if (!strcmp(kind->str, "dropped")) {
		c->dropped += num_or(o, "value", 0);
		return 0;
	}
	if (kind_of(kind->str) < 0)
		return 0; /* a kind this reader does not know: skipped (docs/format.md) */
	int64_t t = num_or(o, "t", -1);
	if (t < 0)
		return fail(c, line, "an event record without a time \"t\" of 0 or more");
	int64_t h = num_or(o, "host", -1);
	if (h >= (int64_t)sc->n_hosts)
		return fail(c, line, "host %" PRId64 " was not declared by a host record before",
		            h);
	/* A conn is a slot its producer numbers among the conns open at once (poolsim's, the
	 * probe's), and the summary keeps a byte per slot: a wild one would be gigabytes. */
	int64_t conn = num_or(o, "conn", -1);
	if (conn >= CAPTURE_MAX_CONN_SLOT && strcmp(kind->str, "kernel_sample"))
		return fail(c, line, "conn %" PRId64 " is not a conn slot (at most %d)", conn,
		            CAPTURE_MAX_CONN_SLOT - 1);
	c->n_records++;
	c->last_t = t > c->last_t ? t : c->last_t;
	if (!strcmp(kind->str, "run_end"))
		c->ended = true;
	return 0;
}

/* stand_in: every default a scenario file gets (base default, time_wait, ports...), without
 * hosts or loads: the capture's own hosts and Transport go in place of the stand-in's. */
static int stand_in(struct capture *c, struct scenario *sc)
{
	static const char text[] =
	    "[scenario]\nduration = 1s\n[host h]\n[load l]\nhost = h\ncount = 1\n";
	struct scenario_error serr;
	if (scenario_load_string(text, c->path, sc, &serr))
		return fail(c, 0, "out of memory");
	sc->n_hosts = 0;
	sc->n_loads = 0;
	return 0;
}

int capture_scan(const char *path, struct capture *c, struct scenario *sc)
{
	memset(c, 0, sizeof *c);
	c->path = path;
	if (stand_in(c, sc))
		return -1;
	copy(sc->path, sizeof sc->path, path);
	if (each_line(c, scan_line, sc)) {
		scenario_free(sc);
		return -1;
	}
	if (!c->source[0]) {
		scenario_free(sc);
		return fail(c, 0, "empty: no stream header");
	}
	sc->duration = c->last_t > 0 ? c->last_t : 1;
	return 0;
}

static enum ev_reason reason_of(const struct jobject *o)
{
	const struct jfield *cat = field(o, "reason", J_STR);
	const struct jfield *cause = field(o, "cause", J_STR);
	if (!cat)
		return R_NONE;
	for (int r = R_NONE + 1; cause && r < R_REASON_COUNT; r++)
		if (!strcmp(ev_reason_go_name((enum ev_reason)r), cause->str) &&
		    !strcmp(ev_reason_category_name((enum ev_reason)r), cat->str))
			return (enum ev_reason)r;
	for (int r = R_NONE + 1; r < R_CLOSE_CATEGORY_COUNT; r++)
		if (!strcmp(ev_reason_category_name((enum ev_reason)r), cat->str))
			return (enum ev_reason)r;
	return R_ERROR;
}

static uint32_t run_stop_of(const struct jobject *o)
{
	const struct jfield *why = field(o, "stopped", J_STR);
	for (int s = 0; why && s < RUN_STOP_COUNT; s++)
		if (run_stop_name((enum run_stop)s) &&
		    !strcmp(run_stop_name((enum run_stop)s), why->str))
			return (uint32_t)s;
	return RUN_COMPLETE;
}

struct replay_ctx {
	const struct scenario *sc;
	struct ev_sink sink;
};

static uint32_t id_or_none(const struct jobject *o, const char *key)
{
	int64_t v = num_or(o, key, -1);
	return v < 0 || v > UINT32_MAX - 1 ? PS_NONE : (uint32_t)v;
}

/* to_event: an event record's object as a struct ps_event; false if its kind is not one. */
static bool to_event(const struct jobject *o, struct ps_event *out)
{
	const struct jfield *kind = field(o, "kind", J_STR);
	int k = kind ? kind_of(kind->str) : -1;
	if (k < 0)
		return false; /* declarations, dropped, unknown kinds */
	struct ps_event ev = ev_make((enum ev_kind)k, num_or(o, "t", 0));
	ev.host = id_or_none(o, "host");
	ev.value = num_or(o, "value", 0);
	if (k == EV_KERNEL_SAMPLE) {
		ev.value = num_or(o, "established", 0);
		ev.conn = (uint32_t)num_or(o, "time_wait", 0);
		ev.flags = (uint32_t)num_or(o, "fds", 0);
	} else {
		ev.conn = id_or_none(o, "conn");
		ev.conn_id = (uint32_t)num_or(o, "conn_id", 0);
		ev.req = (uint32_t)num_or(o, "req", 0);
		ev.req_slot = ev.req ? ev.req % REQ_SLOTS : PS_NONE;
		ev.reason = (uint16_t)reason_of(o);
		const struct jfield *fl = field(o, "flags", J_FLAGS);
		ev.flags = fl ? fl->flags : 0;
	}
	if (k == EV_CONN_IDLE && !field(o, "value", J_NUM))
		ev.value = PS_TIME_NEVER;
	if (k == EV_RUN_END)
		ev.flags = run_stop_of(o);
	*out = ev;
	return true;
}

static int replay_line(struct capture *c, long line, const struct jobject *o, void *ctx)
{
	(void)c;
	(void)line;
	struct replay_ctx *rc = ctx;
	struct ps_event ev;
	if (to_event(o, &ev))
		rc->sink.on_event(rc->sink.ctx, &ev);
	return 0;
}

int capture_begin(struct capture *c, const char *name, struct scenario *sc)
{
	memset(c, 0, sizeof *c);
	c->path = name;
	if (stand_in(c, sc))
		return -1;
	return 0;
}

int capture_line(struct capture *c, long line, const char *text, struct scenario *sc,
                 struct ps_event *ev, bool *host_added)
{
	struct jobject o;
	const char *why = NULL;
	*host_added = false;
	if (!*skip_ws(text))
		return 0;
	if (parse_object(text, &o, &why))
		return fail(c, line, "%s", why);
	uint32_t hosts = sc->n_hosts;
	if (scan_line(c, line, &o, sc))
		return -1;
	*host_added = sc->n_hosts != hosts;
	return to_event(&o, ev) ? 1 : 0;
}

int capture_replay(struct capture *c, const struct scenario *sc, struct ev_sink sink)
{
	struct replay_ctx rc = {.sc = sc, .sink = sink};
	if (each_line(c, replay_line, &rc))
		return -1;
	if (!c->ended) {
		struct ps_event end = ev_make(EV_RUN_END, c->last_t);
		sink.on_event(sink.ctx, &end);
	}
	return 0;
}
