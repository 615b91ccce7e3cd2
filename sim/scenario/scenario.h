/*
 * scenario.h: a scenario file, parsed (docs/format.md; the contract is the
 * shared scenario-format.md).
 *
 * scenario_load reads an INI file with inih and fills struct scenario, or
 * reports the first problem as a line number and a message; the caller (the
 * CLI) prints "FILE:LINE: message" and exits 2. Nothing here prints or exits.
 * Every duration is in ns (ps_time); every default of the format is applied,
 * including the `base = default | zero` Transport values.
 */
#ifndef POOLSIM_SCENARIO_H
#define POOLSIM_SCENARIO_H

#include <limits.h>
#include <stdio.h>

#include "common.h"
#include "config.h"
#include "event.h"
#include "replay.h"

#define SCENARIO_NAME_MAX  64
#define SCENARIO_TITLE_MAX 256
/* The progress rule: a worker's request takes at least this much simulated time on its
 * quickest path (think + fastest end), or the file is refused (docs/format.md, "Progress"). */
#define SCENARIO_PROGRESS_MIN PS_US
#define SCENARIO_MSG_MAX      512
/* Go's http2 server announces 250 streams (http2defaultMaxStreams in h2_bundle.go). */
#define H2_DEFAULT_MAX_STREAMS 250

struct host_spec {
	char name[SCENARIO_NAME_MAX];
	bool tls;
	ps_time dial_latency;
	ps_time tls_latency;
	struct dist service_time;
	ps_time server_idle_timeout; /* 0 = never */
	int64_t server_max_requests; /* 0 = no limit */
	bool close_after_response;   /* keep-alive promised, then the server hangs up at once */
	ps_time rtt; /* a round trip: requests, responses, closes take half; 0 = instant */
	bool h2;     /* the server offers h2 in ALPN (needs tls) */
	int64_t max_concurrent_streams; /* its SETTINGS_MAX_CONCURRENT_STREAMS */
	int line;                       /* line of the [host] header */
};

enum load_kind { LOAD_WORKERS, LOAD_RATE, LOAD_COUNT, LOAD_REPLAY };
enum arrival_kind { ARRIVAL_POISSON, ARRIVAL_UNIFORM };
enum body_mode { BODY_CLOSE, BODY_EARLY_CLOSE, BODY_LEAK };

/* The largest [load] request_body, in bytes (real mode sends it whole from one buffer per load). */
#define REQUEST_BODY_MAX (1 << 20)

/* A worker's requests (`requests`): the client counts them in 32 bits. */
#define REQUESTS_MAX UINT32_MAX

struct load_spec {
	char name[SCENARIO_NAME_MAX];
	uint32_t host; /* index into scenario.hosts */
	enum load_kind kind;
	int64_t workers;
	ps_time think;
	int64_t requests; /* per worker; 0 = until stop; at most REQUESTS_MAX */
	double rate;      /* arrivals per second */
	enum arrival_kind arrival;
	int64_t count;
	ps_time start;
	ps_time stop; /* defaults to the scenario duration */
	enum body_mode body;
	bool new_client_per_request;
	enum http_method method; /* GET unless [load] method says otherwise */
	bool idempotency_key;    /* the request carries an Idempotency-Key header */
	int64_t request_body;    /* bytes of request body; 0 = none */
	char *replay;        /* replay = FILE, resolved against the scenario's folder (replay.h) */
	double replay_speed; /* replay_speed: 2 plays it twice as fast */
	struct replay_options replay_opt; /* replay_format, replay_fields, ... (replay.h) */
	int64_t replay_rows;              /* rows the file holds (read when the scenario is) */
	bool request_close; /* Request.Close: asks Connection: close; the conn is not reused */
	int line;
};

/* Which requests in flight an [event] cancel ends: all, or those in one phase. */
enum cancel_phase { CANCEL_ANY, CANCEL_DIALING, CANCEL_WAITING, CANCEL_AWAITING_HEADERS };

/*
 * A server action: what a scenario's [event] section does to a host's server
 * at a time (close_idle, restart, down for a while, send_408), or the
 * client's own action, which has no host (close_idle_connections, cancel of
 * a load's requests). "Event" in the code means only a record of the event
 * stream (event.h).
 */
struct server_action_spec {
	char name[SCENARIO_NAME_MAX];
	ps_time at;
	uint32_t host;
	enum ev_server_action action; /* any but SRV_UP */
	ps_time down_for;             /* the `for` key, with down */
	uint32_t load;                /* cancel: the load whose requests it cancels */
	uint8_t phase;                /* cancel: enum cancel_phase */
	int line;
};

/* How the Go release was chosen: no `go` key (current), `go = current`, or `go = 1.N`. */
enum go_key { GO_KEY_DEFAULT, GO_KEY_CURRENT, GO_KEY_RELEASE };

struct scenario {
	char title[SCENARIO_TITLE_MAX]; /* [scenario] name, else the file name */
	char path[PATH_MAX];            /* the file as opened, whole: open() refuses a longer one */
	ps_time duration;
	ps_time time_wait;                  /* [scenario] time_wait: how long TIME_WAIT lasts */
	int64_t ephemeral_lo, ephemeral_hi; /* [scenario] ephemeral_ports: the local port range */
	uint64_t seed;
	bool base_zero; /* base = zero */
	int go;         /* the Go release modelled (config.h): 119 for `go = 1.19` */
	enum go_key go_key;
	struct transport_config transport;
	ps_time client_timeout; /* [client] Timeout; 0 = none */
	struct host_spec *hosts;
	uint32_t n_hosts;
	struct load_spec *loads;
	uint32_t n_loads;
	struct server_action_spec *actions; /* the [event] sections */
	uint32_t n_actions;
	/* Warnings `poolsim check` prints (negative Transport values); lines separated by '\n'. */
	char warnings[SCENARIO_MSG_MAX * 4];
};

struct scenario_error {
	int line; /* 0 when the problem is not on one line (missing section, unreadable file) */
	int set;  /* 1-based: the --set the problem is in (then line is 0); 0 = the file */
	char message[SCENARIO_MSG_MAX];
};

/* scenario_open_regular: fopen(path, "r") for a regular file only: a FIFO, a device or a
 * terminal is refused at once (NULL, errno EINVAL or EISDIR), never waited on. Every file
 * poolsim reads (scenarios, replay loads, captures, lesson texts) is opened so. */
FILE *scenario_open_regular(const char *path);

/* scenario_load: 0 on success, -1 with *err filled. On failure *out holds nothing to free. */
int scenario_load(const char *path, struct scenario *out, struct scenario_error *err);

/*
 * scenario_read_text: the whole file, NUL-terminated, in a buffer the caller
 * frees; NULL with err->message filled. Only a regular file of at most 1 MiB
 * is read; a FIFO, a device or a directory is refused without waiting on it.
 */
char *scenario_read_text(const char *path, size_t *len, struct scenario_error *err);

/* scenario_load_string: the same from memory (tests, fuzzing); `name` stands for the file name. */
int scenario_load_string(const char *text, const char *name, struct scenario *out,
                         struct scenario_error *err);

/*
 * scenario_load_with_sets: the file with `KEY=VALUE` overrides (the --set flag)
 * read as if they were lines of the named section after the file's own:
 * `MaxIdleConnsPerHost=10` or `Timeout=5s` ([transport]/[client]),
 * `scenario.duration=2m`, `transport.IdleConnTimeout=1m`,
 * `host.api.service_time=exp:30ms`, `load.web.rate=800/s`, `event.NAME.at=5s`
 * (NAME `*`: every one). The same parsers, section checks and defaults apply;
 * a --set may change a load's workers/rate/count but not its kind.
 */
int scenario_load_with_sets(const char *path, const char *const *sets, int n_sets,
                            struct scenario *out, struct scenario_error *err);
int scenario_load_string_with_sets(const char *text, const char *name, const char *const *sets,
                                   int n_sets, struct scenario *out, struct scenario_error *err);

/*
 * scenario_parse_go: a `go` value (`current`, or `1.19` up to the release
 * `current` stands for) into *release and *key; false if it is not one.
 * The file key and --go share it.
 */
bool scenario_parse_go(const char *value, int *release, enum go_key *key);

/* scenario_go_key: the `go` value as a file would say it: "1.19" or "current". */
const char *scenario_go_key(const struct scenario *sc, char *buf, size_t size);

/* scenario_go_name: "Go 1.19", "current = Go 1.26", or (no `go` key) "current = Go 1.26, by
 * default". */
const char *scenario_go_name(const struct scenario *sc, char *buf, size_t size);

/* scenario_scale: multiply every duration by `factor` (real mode's --time-scale). */
void scenario_scale(struct scenario *sc, double factor);

/*
 * scenario_host_speaks_h2 (H1): the conns to `host` speak HTTP/2: the server
 * offers h2 and the Transport attempts it. The format's Transport always has
 * a custom TLSClientConfig (the RootCAs that trust the loopback certificate)
 * and a custom DialContext, so without ForceAttemptHTTP2 Go stays on HTTP/1.1.
 */
bool scenario_host_speaks_h2(const struct scenario *sc, uint32_t host);

/*
 * scenario_release_conflict: what the Go release modelled cannot do that the
 * file asks for, or NULL: StrictMaxConcurrentRequests exists in net/http only
 * as Transport.HTTP2.StrictMaxConcurrentRequests, since Go 1.24 (H5b). The
 * reader checks it against the file's `go`; a `--go` option must check again.
 */
const char *scenario_release_conflict(const struct scenario *sc);

void scenario_free(struct scenario *sc);

/* Durations in Go's time.ParseDuration syntax ("1.5s", "2m30s", "500us", "0"). 0 or -1. */
int parse_duration(const char *text, ps_time *out);
/* Formats like Go's Duration.String ("1m30s", "250ms"); returns buf. */
char *format_duration(ps_time d, char *buf, size_t size);

#endif
