/*
 * reader.h: private to sim/scenario/: the state of one parse and the
 * functions the reader's files share. Nothing outside this folder includes it.
 *
 * The reader reads a scenario file (docs/format.md; the contract is the
 * shared scenario-format.md) into struct scenario, applies every default and
 * checks every rule, and owns the duration syntax (Go's ParseDuration and
 * Duration.String).
 *
 * It must not print, exit, or keep state outside the structs it is handed:
 * the first problem goes back in struct scenario_error (line + message),
 * warnings in scenario.warnings; the CLI prints them.
 *
 * Debian's inih is built with a 200-byte stack line buffer, `;` as the only
 * inline comment, indented lines continuing the previous value, and no line
 * number for the handler. So inih is fed through ini_parse_stream by our own
 * line reader, which counts lines, refuses binary text and over-long lines,
 * strips `#`/`;` comments and indentation (continuation never triggers), and
 * reads section headers itself (inih would cut a long name at 49 bytes);
 * inih only ever sees blank lines and normalised `key=value` lines.
 *
 * The files: errors.c (fail, warn, suggestions), names.c (the name index),
 * duration.c, values.c (value parsers), sections.c (keys and sections),
 * reader.c (the line reader, scenario_load), checks.c (whole-file checks),
 * set.c (--set), scenario.c (--time-scale, free).
 */
#ifndef POOLSIM_SCENARIO_READER_H
#define POOLSIM_SCENARIO_READER_H

#include "scenario.h"

/* Limits, so that no scenario can ask for absurd memory (docs/format.md). */
#define FILE_MAX       ((size_t)1 << 20)
#define LINE_MAX_BYTES 4096
#define HOSTS_MAX      10000
#define LOADS_MAX      100000
#define ACTIONS_MAX    100000
#define WORKERS_MAX    1000000                /* per load and in total */
#define COUNT_MAX      10000000               /* per load and in total */
#define RATE_MAX       10000000.0             /* arrivals per second, per load */
#define TIME_MAX       (1000 * 3600 * PS_SEC) /* 1000h: duration and every [host]/[load]/[event] time */

#define U63 ((uint64_t)1 << 63)

enum section_kind {
	SEC_NONE,
	SEC_SCENARIO,
	SEC_TRANSPORT,
	SEC_CLIENT,
	SEC_HOST,
	SEC_LOAD,
	SEC_ACTION,
	SEC_COUNT
};

extern const char *const section_words[SEC_COUNT];

enum { SK_NAME, SK_DURATION, SK_SEED, SK_BASE, SK_GO, SK_TIME_WAIT, SK_PORTS, SK_N };
extern const char *const scenario_keys[];

enum {
	TK_MaxIdleConns,
	TK_MaxIdleConnsPerHost,
	TK_MaxConnsPerHost,
	TK_IdleConnTimeout,
	TK_DisableKeepAlives,
	TK_TLSHandshakeTimeout,
	TK_ResponseHeaderTimeout,
	TK_DialTimeout,
	TK_ForceAttemptHTTP2,
	TK_StrictMaxConcurrentRequests,
	TK_N
};
extern const char *const transport_keys[];

enum { CK_Timeout, CK_N };
extern const char *const client_keys[];

enum {
	HK_TLS,
	HK_DIAL,
	HK_TLS_LAT,
	HK_SERVICE,
	HK_IDLE,
	HK_MAXREQ,
	HK_RTT,
	HK_CLOSE_AFTER,
	HK_H2,
	HK_MAX_STREAMS,
	HK_N
};
extern const char *const host_keys[];

enum {
	LK_HOST,
	LK_WORKERS,
	LK_THINK,
	LK_REQUESTS,
	LK_RATE,
	LK_ARRIVAL,
	LK_COUNT,
	LK_START,
	LK_STOP,
	LK_BODY,
	LK_CLIENT,
	LK_METHOD,
	LK_IDEMPOTENCY_KEY,
	LK_REQUEST_BODY,
	LK_REPLAY,
	LK_REPLAY_SPEED,
	LK_REQUEST_CLOSE,
	LK_REPLAY_FORMAT,
	LK_REPLAY_FIELDS,
	LK_REPLAY_LOG_FORMAT,
	LK_REPLAY_UPSTREAM,
	LK_REPLAY_WINDOW,
	LK_N
};
extern const char *const load_keys[];

enum { AK_AT, AK_HOST, AK_ACTION, AK_FOR, AK_LOAD, AK_PHASE, AK_N };
extern const char *const action_keys[];

#define KEYS_MAX LK_N

struct key_table {
	const char *const *names;
	int n;
};

extern const struct key_table key_tables[SEC_COUNT];

/* The line each key of one section instance was given on; 0 = not given. */
struct key_lines {
	int line[KEYS_MAX];
};

/* What a [load] or [event] needs until every [host] has been read. */
struct ref_extra {
	char host[SCENARIO_NAME_MAX];
	char load[SCENARIO_NAME_MAX]; /* [event] cancel's `load` */
	struct key_lines keys;
};

/* Open-addressing set of section names; a slot holds index + 1 (0 = empty). */
struct name_index {
	uint32_t *slot;
	uint32_t cap; /* power of two, kept at least twice the entries */
};

/*
 * The whole state of one parse. `pos`/`end` walk the text; `line` is the line
 * the reader handed inih last, so the handler always reports the right one.
 */
struct reader {
	struct scenario *sc;
	struct scenario_error *err;
	const char *path;        /* for warnings */
	const char *const *sets; /* the --set assignments, applied after the file's lines */
	int n_sets;
	const char *pos, *end;
	int line;
	bool failed;

	enum section_kind cur;
	uint32_t cur_index;
	int singleton_line[SEC_COUNT]; /* header line of [scenario] / [transport] / [client] */
	struct key_lines singleton_keys[SEC_COUNT];

	struct transport_config *transport; /* where [transport] values go */
	struct transport_config transport_given;

	struct key_lines *host_keys;
	struct ref_extra *load_extra;
	struct ref_extra *action_extra;
	uint32_t host_cap, load_cap, action_cap;
	struct name_index host_names, load_names, action_names;
};

/*
 * A --set is read as if the file had its line in the named section, after the
 * file's own lines. It carries the line number SET_LINE + its index, so a
 * problem any later check finds still names the --set it came from.
 */
#define SET_LINE (1 << 28)

static inline bool is_set_line(int line)
{
	return line >= SET_LINE;
}

/* errors.c: fail records the first problem and returns false; warn appends to sc->warnings. */
__attribute__((format(printf, 3, 4))) bool fail(struct reader *r, int line, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void warn(struct reader *r, const char *fmt, ...);
int edit_distance(const char *a, const char *b);
bool close_enough(int dist, const char *candidate);
int nearest(const char *word, const char *const *names, int n);
void section_label(const struct reader *r, enum section_kind kind, uint32_t index, char *buf,
                   size_t size);
void join_keys(enum section_kind kind, char *buf, size_t size);
int key_lookup(enum section_kind kind, const char *name);
enum section_kind owning_section(enum section_kind not_this, const char *name);
bool unknown_key(struct reader *r, const char *name);

/* names.c */
uint32_t index_find(const struct name_index *ix, const void *base, size_t stride, const char *name);
bool index_add(struct name_index *ix, const void *base, size_t stride, uint32_t i);

/* duration.c: why duration_scan refused a text. */
enum dur_err { DUR_OK, DUR_INVALID, DUR_NO_UNIT, DUR_BAD_UNIT, DUR_RANGE };
enum dur_err duration_scan(const char *s, size_t n, ps_time *out, size_t *unit_at,
                           size_t *unit_len);

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* values.c */
bool get_duration(struct reader *r, const char *key, const char *value, ps_time *out);
bool get_time(struct reader *r, const char *key, const char *value, ps_time *out);
bool get_int(struct reader *r, const char *key, const char *value, int64_t min, int64_t max,
             int64_t *out);
bool get_bool(struct reader *r, const char *key, const char *value, bool *out);
int get_choice(struct reader *r, const char *key, const char *value, const char *const *choices,
               int n);
void trim(const char **s, size_t *n);
bool get_rate(struct reader *r, const char *value, double *out);
bool get_dist(struct reader *r, const char *key, const char *value, struct dist *out);
bool valid_name(const char *s, size_t n);
bool get_host_ref(struct reader *r, const char *value, char *out);

/* sections.c */
/* The setter of each section's keys, by enum section_kind. */
extern bool (*const key_setters[SEC_COUNT])(struct reader *r, int key, const char *value);
/* The key that makes a load of each kind, in enum load_kind order, and its name. */
#define LOAD_KINDS 4
extern const int kind_keys[LOAD_KINDS];
extern const char *const kind_names[LOAD_KINDS];
struct key_lines *current_keys(struct reader *r);
int on_key(void *user, const char *section, const char *name, const char *value);
bool end_section(struct reader *r);
bool open_section(struct reader *r, const char *s, size_t n);

/* reader.c */
char *next_line(char *buf, int num, void *stream);

/* set.c: every --set in order, once the file's last section has ended. */
bool apply_sets(struct reader *r);

/* checks.c */
bool finish(struct reader *r);

#endif
