/*
 * cmd_import_log.c: `poolsim import LOG --format nginx|csv --out FILE.ini
 * [--msec-field N] [--time-field N] [--host-field N] [--log-format 'FORMAT']`:
 * a ready-to-run scenario from a log of requests: one [host] per upstream
 * found in the log, with its service time fitted from the log, and one replay
 * load per host reading a CSV written beside FILE.ini (FILE-HOST.csv).
 * (Without --format, `poolsim import CAPTURE` reads a probe capture: cmd_import.c.)
 *
 * nginx: the lines are read by nginx_log.h (shared with a replay_format =
 * nginx load): $msec (the request's end) and the request time give each
 * request's start and service time, an optional host field its upstream. The
 * positions come from --log-format (the log_format line or its format string)
 * or the --*-field options (1-based). csv: the columns
 * `start`, `service` and optional `host`. The rows are sorted by start (the
 * log is written in end order), so import holds the log in memory, 24 bytes
 * a row; only the run streams.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "nginx_log.h"

#define IMPORT_HOSTS_MAX 1000
#define IMPORT_LINE_MAX  65536

struct row {
	double start, service; /* seconds */
	uint32_t host;
};

struct import {
	const char *log, *format, *out, *log_format;
	int msec_field, time_field, host_field; /* 1-based; 0 = none */
	struct row *rows;
	size_t n, cap;
	char (*hosts)[64];
	uint32_t n_hosts;
};

static int import_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "poolsim import: ");
	fprintf(stderr, msg, arg);
	fprintf(stderr,
	        "\nusage: poolsim import LOG --format nginx|csv --out FILE.ini [--msec-field N] "
	        "[--time-field N] [--host-field N] [--log-format 'FORMAT']\n");
	return PS_EXIT_USAGE;
}

/* host_index: the upstream's index, as a [host] name ([A-Za-z0-9_.-], others as '_'). */
static int host_index(struct import *im, const char *name, uint32_t *out)
{
	char clean[64];
	size_t n = 0;
	for (; *name && n + 1 < sizeof clean; name++)
		clean[n++] =
		    isalnum((unsigned char)*name) || *name == '.' || *name == '-' ? *name : '_';
	clean[n] = '\0';
	if (!n)
		snprintf(clean, sizeof clean, "backend");
	for (uint32_t h = 0; h < im->n_hosts; h++)
		if (!strcmp(im->hosts[h], clean)) {
			*out = h;
			return 0;
		}
	if (im->n_hosts == IMPORT_HOSTS_MAX)
		return -1;
	snprintf(im->hosts[im->n_hosts], sizeof im->hosts[0], "%s", clean);
	*out = im->n_hosts++;
	return 0;
}

static int add_row(struct import *im, double start, double service, uint32_t host)
{
	if (im->n == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 4096;
		struct row *r = realloc(im->rows, cap * sizeof *r);
		if (!r)
			return -1;
		im->rows = r;
		im->cap = cap;
	}
	im->rows[im->n++] = (struct row){start, service, host};
	return 0;
}

/* parse_csv: a CSV row's start, service and host fields (cols: 1-based). */
static int parse_csv(char *line, const int *cols, struct nginx_request *req, char *err, size_t size)
{
	char *f[NGINX_FIELDS_MAX];
	int n = 0;
	for (char *s = line; s && n < NGINX_FIELDS_MAX; n++) {
		f[n] = s;
		s = strchr(s, ',');
		if (s)
			*s++ = '\0';
	}
	int need = cols[0] > cols[1] ? cols[0] : cols[1];
	if (cols[2] > need)
		need = cols[2];
	if (n < need) {
		snprintf(err, size, "%d fields, the start/service/host fields need %d", n, need);
		return -1;
	}
	if (!nginx_number(f[cols[0] - 1], &req->end)) {
		snprintf(err, size, "bad start '%.40s'", f[cols[0] - 1]);
		return -1;
	}
	const char *sv = f[cols[1] - 1];
	ps_time d;
	if (parse_duration(sv, &d) == 0)
		req->time = (double)d / 1e9;
	else if (!nginx_number(sv, &req->time)) {
		snprintf(err, size, "bad service '%.40s'", sv);
		return -1;
	}
	req->host = cols[2] ? f[cols[2] - 1] : "";
	return 0;
}

/* parse_line: one log line into a row; 0, or -1 with a message. */
static int parse_line(struct import *im, char *line, bool csv, const int *cols, char *err,
                      size_t size)
{
	struct nginx_request req;
	struct nginx_positions pos = {cols[0], cols[1], cols[2]};
	if (csv ? parse_csv(line, cols, &req, err, size) : nginx_parse(line, &pos, &req, err, size))
		return -1;
	uint32_t h = 0;
	if (host_index(im, req.host, &h)) {
		snprintf(err, size, "more than %d hosts", IMPORT_HOSTS_MAX);
		return -1;
	}
	/* nginx writes the line when the request ends: it started request_time earlier. */
	double start = csv ? req.end : req.end - req.time;
	if (add_row(im, start, req.time, h)) {
		snprintf(err, size, "out of memory");
		return -1;
	}
	return 0;
}

static int csv_columns(char *header, int *cols)
{
	int i = 1;
	for (char *s = header; s; i++) {
		char *c = strchr(s, ',');
		if (c)
			*c = '\0';
		if (!strcmp(s, "start"))
			cols[0] = i;
		else if (!strcmp(s, "service"))
			cols[1] = i;
		else if (!strcmp(s, "host"))
			cols[2] = i;
		s = c ? c + 1 : NULL;
	}
	return cols[0] && cols[1] ? 0 : -1;
}

static int read_log(struct import *im)
{
	FILE *in = fopen(im->log, "r");
	if (!in) {
		fprintf(stderr, "%s: cannot open: %s\n", im->log, strerror(errno));
		return PS_EXIT_USAGE;
	}
	bool csv = !strcmp(im->format, "csv");
	int cols[3] = {im->msec_field, im->time_field, im->host_field};
	static char line[IMPORT_LINE_MAX];
	int no = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, in)) {
		no++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		char err[200];
		if (csv && no == 1) {
			if (csv_columns(line, cols)) {
				fprintf(stderr,
				        "%s:1: the header needs 'start' and 'service' columns\n",
				        im->log);
				rc = PS_EXIT_USAGE;
			}
			continue;
		}
		if (!len)
			continue;
		bool binary = strlen(line) != len; /* a NUL byte: the split would cut the line */
		for (size_t i = 0; i < len && !binary; i++)
			binary = (unsigned char)line[i] < 0x20 && line[i] != '\t';
		if (binary || parse_line(im, line, csv, cols, err, sizeof err)) {
			fprintf(stderr, "%s:%d: %s\n", im->log, no, binary ? "binary data" : err);
			rc = PS_EXIT_USAGE;
		}
	}
	fclose(in);
	if (rc == 0 && im->n == 0) {
		fprintf(stderr, "%s: no requests in the log\n", im->log);
		rc = PS_EXIT_USAGE;
	}
	return rc;
}

static int by_start(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	return (x->start > y->start) - (x->start < y->start);
}

/* fit: the host's service_time: constant when the times hardly vary (cv < 0.2), else
 * exponential with their mean. */
static void fit(const struct import *im, uint32_t h, char *buf, size_t size)
{
	double sum = 0, sq = 0;
	size_t n = 0;
	for (size_t i = 0; i < im->n; i++)
		if (im->rows[i].host == h) {
			sum += im->rows[i].service;
			sq += im->rows[i].service * im->rows[i].service;
			n++;
		}
	double mean = n ? sum / (double)n : 0, var = n ? sq / (double)n - mean * mean : 0;
	double cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
	char d[40];
	format_duration((ps_time)(mean * 1e6 + 0.5) * 1000, d, sizeof d); /* to the microsecond */
	snprintf(buf, size, "%s%s", cv < 0.2 ? "" : "exp:", d);
}

static int write_out(struct import *im)
{
	qsort(im->rows, im->n, sizeof *im->rows, by_start);
	double origin = im->rows[0].start, last = im->rows[im->n - 1].start - origin;
	size_t len = strlen(im->out);
	char stem[4096];
	snprintf(stem, sizeof stem, "%.*s",
	         (int)(len > 4 && !strcmp(im->out + len - 4, ".ini") ? len - 4 : len), im->out);
	const char *base = strrchr(stem, '/') ? strrchr(stem, '/') + 1 : stem;
	FILE *ini = fopen(im->out, "w");
	if (!ini) {
		perror(im->out);
		return PS_EXIT_USAGE;
	}
	fprintf(
	    ini,
	    "# Imported by poolsim import from %s (%zu requests, %u host%s); service times "
	    "fitted\n# from the log, each request replayed with its own.\n[scenario]\nname     = "
	    "imported from %s\nduration = %.0fs\n",
	    im->log, im->n, im->n_hosts, im->n_hosts == 1 ? "" : "s", im->log, ceil(last) + 60);
	int rc = 0;
	for (uint32_t h = 0; h < im->n_hosts && rc == 0; h++) {
		char fitted[64], csv_path[4200];
		fit(im, h, fitted, sizeof fitted);
		fprintf(ini,
		        "\n[host %s]\nservice_time = %s\n\n[load %s]\nhost   = %s\nreplay = "
		        "%s-%s.csv\n",
		        im->hosts[h], fitted, im->hosts[h], im->hosts[h], base, im->hosts[h]);
		snprintf(csv_path, sizeof csv_path, "%s-%s.csv", stem, im->hosts[h]);
		FILE *c = fopen(csv_path, "w");
		if (!c) {
			perror(csv_path);
			rc = PS_EXIT_USAGE;
			break;
		}
		fprintf(c, "start,service\n");
		for (size_t i = 0; i < im->n; i++)
			if (im->rows[i].host == h)
				fprintf(c, "%.6f,%.0fus\n", im->rows[i].start - origin,
				        im->rows[i].service * 1e6);
		if (fclose(c)) {
			perror(csv_path);
			rc = PS_EXIT_FAIL;
		}
	}
	if (fclose(ini) && !rc) {
		perror(im->out);
		rc = PS_EXIT_FAIL;
	}
	if (!rc)
		printf("%s: %zu requests, %u host%s; run it with: poolsim run %s\n", im->out, im->n,
		       im->n_hosts, im->n_hosts == 1 ? "" : "s", im->out);
	return rc;
}

static int field_number(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > 256)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_import_log(int argc, char **argv)
{
	struct import im = {0};
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int *field = !strcmp(a, "--msec-field")   ? &im.msec_field
		             : !strcmp(a, "--time-field") ? &im.time_field
		             : !strcmp(a, "--host-field") ? &im.host_field
		                                          : NULL;
		if (field || !strcmp(a, "--format") || !strcmp(a, "--out") ||
		    !strcmp(a, "--log-format")) {
			if (!v)
				return import_usage("option '%s' needs a value", a);
			i++;
			if (field && field_number(v, field))
				return import_usage("%s wants a field number from 1", a);
			if (!strcmp(a, "--format"))
				im.format = v;
			else if (!strcmp(a, "--out"))
				im.out = v;
			else if (!strcmp(a, "--log-format"))
				im.log_format = v;
		} else if (a[0] == '-') {
			return import_usage("unknown option '%s'", a);
		} else if (im.log) {
			return import_usage("one log at a time: unexpected '%s'", a);
		} else {
			im.log = a;
		}
	}
	if (!im.log || !im.format || !im.out)
		return import_usage("%s", "give LOG, --format and --out");
	if (strcmp(im.format, "nginx") && strcmp(im.format, "csv"))
		return import_usage("--format wants nginx or csv, not '%s'", im.format);
	struct nginx_positions pos;
	if (im.log_format && nginx_positions_from_format(im.log_format, &pos))
		return import_usage("--log-format '%s' has no $msec or no $request_time",
		                    im.log_format);
	if (im.log_format) {
		im.msec_field = pos.msec;
		im.time_field = pos.time;
		im.host_field = pos.host;
	}
	if (!strcmp(im.format, "nginx") && (!im.msec_field || !im.time_field))
		return import_usage(
		    "%s", "nginx logs need --log-format, or --msec-field and --time-field");
	im.hosts = calloc(IMPORT_HOSTS_MAX, sizeof *im.hosts);
	if (!im.hosts)
		return import_usage("%s", "out of memory");
	int rc = read_log(&im);
	if (rc == 0)
		rc = write_out(&im);
	free(im.rows);
	free(im.hosts);
	return rc;
}
