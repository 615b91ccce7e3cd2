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
#include "capture_fit.h"
#include "cli.h"
#include "commands.h"
#include "config.h"

static const char *dur(ps_time d, char *buf, size_t size)
{
	return format_duration(d, buf, size);
}

/* write_host: the [host] with its fitted times. Service: constant when the samples hardly vary
 * (coefficient of variation under 0.1), else uniform over the range with their mean and
 * standard deviation (mean +- sqrt(3) sd), cut at the shortest one measured. */
static void write_host(FILE *out, const struct scenario *sc, uint32_t i, const struct fit_host *h)
{
	char a[48], b[48];
	fprintf(out, "\n[host %s]\n", sc->hosts[i].name);
	fprintf(out,
	        "# %" PRId64 " dials, %" PRId64 " handshakes, %" PRId64
	        " responses measured in the capture\n",
	        h->dial.n, h->tls.n, h->service.n);
	if (h->tls_seen)
		fprintf(out, "tls          = true\ntls_latency  = %s\n",
		        dur((ps_time)llround(fit_mean_of(&h->tls)), a, sizeof a));
	fprintf(out, "dial_latency = %s\n",
	        dur((ps_time)llround(fit_mean_of(&h->dial)), a, sizeof a));
	double m = fit_mean_of(&h->service);
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
static int write_replay(const char *path, const struct fit_host *h)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "poolsim: '%s': cannot open for writing: %s\n", path,
		        strerror(errno));
		return PS_EXIT_USAGE;
	}
	ps_time fallback = (ps_time)llround(fit_mean_of(&h->service));
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
                          struct capture_fit *im)
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
	struct capture_fit im;
	if (capture_fit_init(&im, sc.n_hosts)) {
		fprintf(stderr, "poolsim: out of memory\n");
		rc = PS_EXIT_FAIL;
	}
	if (!rc && capture_replay(&c, &sc, capture_fit_sink(&im))) {
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
	capture_fit_free(&im);
	scenario_free(&sc);
	return rc;
}
