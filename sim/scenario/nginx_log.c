/*
 * nginx_log.c: nginx access-log fields and values (nginx_log.h).
 */
#include "nginx_log.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nginx_split(char *s, char **out, int max)
{
	int n = 0;
	while (*s && n < max) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		char close = *s == '"' ? '"' : *s == '[' ? ']' : 0;
		if (close)
			s++;
		out[n++] = s;
		char *end = close ? strchr(s, close) : s + strcspn(s, " \t");
		if (!end)
			end = s + strlen(s);
		if (*end)
			*end++ = '\0';
		s = end;
	}
	return n;
}

/* format_string: the format of a log_format directive (its quoted parts joined, without
 * the quotes and the final ';'), or the string itself when it is only a format. */
static int format_string(const char *s, char *buf, size_t size)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(s, "log_format", 10) && (s[10] == ' ' || s[10] == '\t')) {
		s = strchr(s, '\'');
		if (!s)
			return -1;
	}
	size_t n = 0;
	for (; *s && n + 1 < size; s++)
		if (*s != '\'')
			buf[n++] = *s;
	while (n && (buf[n - 1] == ';' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return 0;
}

int nginx_positions_from_format(const char *log_format, struct nginx_positions *pos)
{
	char buf[4096];
	char *f[NGINX_FIELDS_MAX];
	*pos = (struct nginx_positions){0};
	if (format_string(log_format, buf, sizeof buf))
		return -1;
	int n = nginx_split(buf, f, NGINX_FIELDS_MAX);
	int request_time = 0;
	for (int i = 0; i < n; i++) {
		if (strstr(f[i], "$msec"))
			pos->msec = i + 1;
		else if (strstr(f[i], "$upstream_response_time"))
			pos->time = i + 1;
		else if (strstr(f[i], "$request_time"))
			request_time = i + 1;
		else if (strstr(f[i], "$upstream_addr") || strstr(f[i], "$host"))
			pos->host = i + 1;
	}
	if (!pos->time)
		pos->time = request_time;
	return pos->msec && pos->time ? 0 : -1;
}

bool nginx_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return !errno && end != s && !*end && isfinite(*out) && *out >= 0 && !strpbrk(s, "xXnNiI");
}

int nginx_parse(char *line, const struct nginx_positions *pos, struct nginx_request *req, char *err,
                size_t size)
{
	char *f[NGINX_FIELDS_MAX];
	int n = nginx_split(line, f, NGINX_FIELDS_MAX);
	int need = pos->msec > pos->time ? pos->msec : pos->time;
	if (pos->host > need)
		need = pos->host;
	if (n < need) {
		snprintf(err, size, "%d fields, the $msec/request time/host fields need %d", n,
		         need);
		return -1;
	}
	if (!nginx_number(f[pos->msec - 1], &req->end)) {
		snprintf(err, size,
		         "bad $msec '%.40s' (seconds since the epoch, like 1764600000.125)",
		         f[pos->msec - 1]);
		return -1;
	}
	if (!nginx_number(f[pos->time - 1], &req->time)) {
		snprintf(err, size, "bad request time '%.40s' (seconds, like 0.012)",
		         f[pos->time - 1]);
		return -1;
	}
	if (req->time > req->end) {
		snprintf(err, size, "request time %.40s is longer than $msec %.40s",
		         f[pos->time - 1], f[pos->msec - 1]);
		return -1;
	}
	req->host = pos->host ? f[pos->host - 1] : "";
	return 0;
}
