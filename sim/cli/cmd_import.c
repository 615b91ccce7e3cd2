/*
 * cmd_import.c: `poolsim import CAPTURE --out FILE.ini`: a scenario from a file
 * of event records (a Go program's capture by the probe, or a run's --events),
 * so its traffic can be re-run and swept under other settings. It holds the
 * capture's hosts, the Transport settings the probe reported, per host the
 * mean dial (and TLS) time measured and a service time fitted (for real
 * mode, which serves with the host's), and per host a replay load reading
 * FILE-HOST.csv, written beside FILE.ini: every captured request at its start
 * with its own service time, got_conn to req_done (docs/format.md, "poolsim
 * import CAPTURE"). With --format, a request log instead: cmd_import_log.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "commands.h"
#include "config.h"

#define IMPORT_SLOTS 65536 /* by req or conn number mod this, as the summary's reader */

struct mean {
	double sum, sum_sq;
	int64_t n;
};

static void mean_add(struct mean *m, double v)
{
	m->sum += v;
	m->sum_sq += v * v;
	m->n++;
}

static double mean_of(const struct mean *m)
{
	return m->n ? m->sum / (double)m->n : 0;
}

struct arrival {
	ps_time start, service; /* service -1: not measured (the request failed or never ended) */
};

struct host_fit {
	struct mean dial, tls, service;
	double service_min;
	bool tls_seen;
	struct arrival *arrivals;
	int64_t n_arrivals, cap;
};

struct importer {
	const struct scenario *sc;
	struct host_fit *hosts;
	ps_time *conn_t;  /* per conn slot: dial_start, then tls_start */
	uint8_t *conn_ph; /* 0 none, 1 dialing, 2 in TLS */
	ps_time *req_t;   /* per request: got_conn */
	int64_t *req_at;  /* per request: its arrival's index in its host's list */
	int64_t arrivals;
	bool out_of_memory;
};

static void on_record(void *ctx, const struct ps_event *ev)
{
	struct importer *im = ctx;
	if (ev->host >= im->sc->n_hosts)
		return;
	struct host_fit *h = &im->hosts[ev->host];
	uint32_t cs = ev->conn % IMPORT_SLOTS, rs = ev->req % IMPORT_SLOTS;
	switch (ev->kind) {
	case EV_REQ_START:
		if (h->n_arrivals == h->cap) {
			int64_t cap = h->cap ? h->cap * 2 : 256;
			struct arrival *a = realloc(h->arrivals, (size_t)cap * sizeof *a);
			if (!a) {
				im->out_of_memory = true;
				return;
			}
			h->arrivals = a;
			h->cap = cap;
		}
		im->req_at[rs] = h->n_arrivals;
		h->arrivals[h->n_arrivals++] = (struct arrival){ev->t, -1};
		im->arrivals++;
		break;
	case EV_DIAL_START:
		im->conn_t[cs] = ev->t;
		im->conn_ph[cs] = 1;
		break;
	case EV_TLS_START:
		if (im->conn_ph[cs] == 1)
			mean_add(&h->dial, (double)(ev->t - im->conn_t[cs]));
		im->conn_t[cs] = ev->t;
		im->conn_ph[cs] = 2;
		h->tls_seen = true;
		break;
	case EV_CONN_READY:
		if (im->conn_ph[cs] == 1)
			mean_add(&h->dial, (double)(ev->t - im->conn_t[cs]));
		else if (im->conn_ph[cs] == 2)
			mean_add(&h->tls, (double)(ev->t - im->conn_t[cs]));
		im->conn_ph[cs] = 0;
		break;
	case EV_REQ_GOT_CONN:
		im->req_t[rs] = ev->t;
		break;
	case EV_REQ_DONE:
		if (ev->req && im->req_t[rs] >= 0) {
			double v = (double)(ev->t - im->req_t[rs]);
			if (!h->service.n || v < h->service_min)
				h->service_min = v;
			mean_add(&h->service, v);
			int64_t at = im->req_at[rs];
			if (at >= 0 && at < h->n_arrivals)
				h->arrivals[at].service = (ps_time)v;
		}
		im->req_t[rs] = -1;
		break;
	default:
		break;
	}
}

static const char *dur(ps_time d, char *buf, size_t size)
{
	return format_duration(d, buf, size);
}

/* write_host: the [host] with its fitted times. Service: constant when the samples hardly vary
 * (coefficient of variation under 0.1), else uniform over the range with their mean and
 * standard deviation (mean +- sqrt(3) sd), cut at the shortest one measured. */
static void write_host(FILE *out, const struct scenario *sc, uint32_t i, const struct host_fit *h)
{
	char a[48], b[48];
	fprintf(out, "\n[host %s]\n", sc->hosts[i].name);
	fprintf(out,
	        "# %" PRId64 " dials, %" PRId64 " handshakes, %" PRId64
	        " responses measured in the capture\n",
	        h->dial.n, h->tls.n, h->service.n);
	if (h->tls_seen)
		fprintf(out, "tls          = true\ntls_latency  = %s\n",
		        dur((ps_time)llround(mean_of(&h->tls)), a, sizeof a));
	fprintf(out, "dial_latency = %s\n", dur((ps_time)llround(mean_of(&h->dial)), a, sizeof a));
	double m = mean_of(&h->service);
	double var = h->service.n > 1 ? h->service.sum_sq / (double)h->service.n - m * m : 0;
	double sd = sqrt(var > 0 ? var : 0);
	if (m <= 0 || sd / m < 0.1) {
		fprintf(out, "service_time = %s\n", dur((ps_time)llround(m), a, sizeof a));
		return;
	}
	double lo = m - sqrt(3) * sd, hi = m + sqrt(3) * sd;
	if (lo < h->service_min)
		lo = h->service_min;
	fprintf(out, "service_time = uniform:%s..%s\n", dur((ps_time)llround(lo), a, sizeof a),
	        dur((ps_time)llround(hi), b, sizeof b));
}

/* write_replay: the host's requests as a replay file: start (seconds), own service time. */
static int write_replay(const char *path, const struct host_fit *h)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "poolsim: '%s': cannot open for writing: %s\n", path,
		        strerror(errno));
		return PS_EXIT_USAGE;
	}
	ps_time fallback = (ps_time)llround(mean_of(&h->service));
	char a[48];
	fprintf(f, "start,service\n");
	for (int64_t j = 0; j < h->n_arrivals; j++) {
		ps_time s = h->arrivals[j].service >= 0 ? h->arrivals[j].service : fallback;
		fprintf(f, "%" PRId64 ".%09" PRId64 ",%s\n", h->arrivals[j].start / PS_SEC,
		        h->arrivals[j].start % PS_SEC, dur(s, a, sizeof a));
	}
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "poolsim: '%s': the write failed\n", path);
		return PS_EXIT_FAIL;
	}
	return 0;
}

static void write_transport(FILE *out, const struct transport_config *t)
{
	char a[48];
	fprintf(out,
	        "\n[transport]\nMaxIdleConns = %" PRId64 "\nMaxIdleConnsPerHost = %" PRId64
	        "\nMaxConnsPerHost = %" PRId64 "\n",
	        t->MaxIdleConns, t->MaxIdleConnsPerHost, t->MaxConnsPerHost);
	fprintf(out, "IdleConnTimeout = %s\n", dur(t->IdleConnTimeout, a, sizeof a));
	fprintf(out, "DisableKeepAlives = %s\n", t->DisableKeepAlives ? "true" : "false");
	fprintf(out, "TLSHandshakeTimeout = %s\n", dur(t->TLSHandshakeTimeout, a, sizeof a));
	fprintf(out, "ResponseHeaderTimeout = %s\n", dur(t->ResponseHeaderTimeout, a, sizeof a));
	fprintf(out, "DialTimeout = %s\n", dur(t->DialTimeout, a, sizeof a));
}

/* write_scenario: FILE.ini, and beside it FILE-HOST.csv per host. */
static int write_scenario(const char *out_path, const struct capture *c, const struct scenario *sc,
                          struct importer *im)
{
	size_t len = strlen(out_path);
	char stem[4096], csv[4200];
	snprintf(stem, sizeof stem, "%.*s",
	         (int)(len > 4 && !strcmp(out_path + len - 4, ".ini") ? len - 4 : len), out_path);
	const char *base = strrchr(stem, '/') ? strrchr(stem, '/') + 1 : stem;
	FILE *out = fopen(out_path, "w");
	if (!out) {
		fprintf(stderr, "poolsim: --out '%s': cannot open for writing: %s\n", out_path,
		        strerror(errno));
		return PS_EXIT_USAGE;
	}
	char a[48];
	fprintf(out,
	        "# Imported by `poolsim import` from %s: %" PRId64
	        " requests on %u hosts, the Transport settings the capture reported,\n"
	        "# each host's dial and TLS times measured, every request replayed at its start "
	        "with its own service time.\n",
	        c->path, im->arrivals, sc->n_hosts);
	if (c->dropped)
		fprintf(out, "# The capture lost %" PRId64 " records: the arrivals are short.\n",
		        c->dropped);
	fprintf(out, "\n[scenario]\nname = replay of %s\n", c->path);
	/* A little past the last record, so the last requests can finish. */
	fprintf(out, "duration = %s\nbase = zero\n", dur(sc->duration + PS_SEC, a, sizeof a));
	if (c->go_release)
		fprintf(out, "go = 1.%d\n", c->go_release % 100);
	write_transport(out, &sc->transport);
	int rc = 0;
	for (uint32_t i = 0; i < sc->n_hosts; i++) {
		write_host(out, sc, i, &im->hosts[i]);
		if (!im->hosts[i].n_arrivals)
			continue;
		fprintf(out, "\n[load h%" PRIu32 "]\nhost   = %s\nreplay = %s-%s.csv\n", i,
		        sc->hosts[i].name, base, sc->hosts[i].name);
		snprintf(csv, sizeof csv, "%s-%s.csv", stem, sc->hosts[i].name);
		if (!rc)
			rc = write_replay(csv, &im->hosts[i]);
	}
	if ((ferror(out) | fclose(out)) && !rc) {
		fprintf(stderr, "poolsim: --out '%s': the write failed\n", out_path);
		rc = PS_EXIT_FAIL;
	}
	return rc;
}

static void importer_free(struct importer *im, uint32_t n_hosts)
{
	for (uint32_t i = 0; im->hosts && i < n_hosts; i++)
		free(im->hosts[i].arrivals);
	free(im->hosts);
	free(im->conn_t);
	free(im->conn_ph);
	free(im->req_t);
	free(im->req_at);
}

int cmd_import(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i],
		            "--format")) /* a request log, not a capture: cmd_import_log.c */
			return cmd_import_log(argc, argv);
	const char *out_path = NULL;
	char *rest[4] = {NULL};
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out_path = argv[++i];
		else if (argv[i][0] != '-' && n < 1)
			rest[n++] = argv[i];
		else {
			fprintf(stderr, "usage: poolsim import CAPTURE --out FILE.ini\n");
			return PS_EXIT_USAGE;
		}
	}
	if (n != 1 || !out_path) {
		fprintf(stderr, "usage: poolsim import CAPTURE --out FILE.ini\n");
		return PS_EXIT_USAGE;
	}
	struct capture c;
	struct scenario sc;
	if (capture_scan(rest[0], &c, &sc)) {
		fprintf(stderr, "poolsim: %s\n", c.error);
		return PS_EXIT_USAGE;
	}
	int rc = 0;
	struct importer im = {.sc = &sc};
	im.hosts = calloc(sc.n_hosts ? sc.n_hosts : 1, sizeof *im.hosts);
	im.conn_t = calloc(IMPORT_SLOTS, sizeof *im.conn_t);
	im.conn_ph = calloc(IMPORT_SLOTS, 1);
	im.req_t = malloc(IMPORT_SLOTS * sizeof *im.req_t);
	im.req_at = malloc(IMPORT_SLOTS * sizeof *im.req_at);
	if (!im.hosts || !im.conn_t || !im.conn_ph || !im.req_t || !im.req_at) {
		fprintf(stderr, "poolsim: out of memory\n");
		rc = PS_EXIT_FAIL;
	}
	for (uint32_t i = 0; !rc && i < IMPORT_SLOTS; i++)
		im.req_t[i] = im.req_at[i] = -1;
	if (!rc && capture_replay(&c, &sc, (struct ev_sink){.on_event = on_record, .ctx = &im})) {
		fprintf(stderr, "poolsim: %s\n", c.error);
		rc = PS_EXIT_USAGE;
	}
	if (!rc && im.out_of_memory) {
		fprintf(stderr, "poolsim: out of memory\n");
		rc = PS_EXIT_FAIL;
	}
	if (!rc && im.arrivals == 0) {
		fprintf(stderr, "poolsim: %s: no requests to replay\n", c.path);
		rc = PS_EXIT_USAGE;
	}
	if (!rc)
		rc = write_scenario(out_path, &c, &sc, &im);
	importer_free(&im, sc.n_hosts);
	scenario_free(&sc);
	return rc;
}
