/*
 * reader.c: the line reader inih is fed through (see reader.h), one parse from
 * text to struct scenario, and scenario_load / scenario_load_string.
 */
#include "reader.h"

#include "timewait.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ the reader */

/* utf8_length: bytes of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t min, cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* check_text: a line is UTF-8 text: no NUL, no control byte but tab. */
static bool check_text(struct reader *r, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		if (u[i] == 0)
			return fail(r, r->line, "NUL byte in the file (not a text file?)");
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			return fail(r, r->line,
			            "control byte 0x%02x in the file (not a text file?)", u[i]);
		size_t len = utf8_length(u + i, n - i);
		if (!len)
			return fail(r, r->line, "invalid UTF-8 (byte 0x%02x; not a text file?)",
			            u[i]);
		i += len;
	}
	return true;
}

/* strip_comment: the line without its comment: `#` or `;` at the start or after a blank. */
static size_t strip_comment(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] == '#' || s[i] == ';') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
			return i;
	return n;
}

/* key_line: hand inih "key=value" in buf; false (after failing) if it is no such line or too long.
 */
static bool key_line(struct reader *r, const char *s, size_t n, char *buf, int num)
{
	const char *eq = memchr(s, '=', n);
	const char *colon = memchr(s, ':', n);
	if (colon && (!eq || colon < eq))
		return fail(r, r->line, "use '=' between key and value");
	if (!eq)
		return fail(r, r->line, "expected 'KEY = VALUE' or a [section] header, got '%.*s'",
		            (int)(n < 60 ? n : 60), s);
	const char *k = s, *v = eq + 1;
	size_t kn = (size_t)(eq - s), vn = n - kn - 1;
	trim(&k, &kn);
	trim(&v, &vn);
	if (!kn)
		return fail(r, r->line, "missing key before '='");
	if (kn + vn + 2 > (size_t)num)
		return fail(r, r->line, "key and value are longer than %d characters together",
		            num - 2);
	memcpy(buf, k, kn);
	buf[kn] = '=';
	memcpy(buf + kn + 1, v, vn);
	buf[kn + 1 + vn] = '\0';
	return true;
}

/* next_line: inih's ini_reader; one call per line of the file, so r->line stays exact. */
char *next_line(char *buf, int num, void *stream)
{
	struct reader *r = stream;
	if (r->failed || r->pos >= r->end)
		return NULL;
	const char *s = r->pos;
	const char *nl = memchr(s, '\n', (size_t)(r->end - s));
	size_t n = (size_t)((nl ? nl : r->end) - s);
	r->pos = nl ? nl + 1 : r->end;
	r->line++;
	if (n && s[n - 1] == '\r')
		n--;
	if (n > LINE_MAX_BYTES)
		return fail(r, r->line, "line is longer than %d bytes", LINE_MAX_BYTES), NULL;
	if (r->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3, n -= 3;
	if (!check_text(r, s, n))
		return NULL;
	n = strip_comment(s, n);
	trim(&s, &n);
	buf[0] = '\0';
	if (n && s[0] == '[') {
		if (!open_section(r, s, n))
			return NULL;
	} else if (n && !key_line(r, s, n, buf, num)) {
		return NULL;
	}
	return buf;
}

static void reader_free(struct reader *r)
{
	free(r->host_keys);
	free(r->load_extra);
	free(r->action_extra);
	free(r->host_names.slot);
	free(r->load_names.slot);
	free(r->action_names.slot);
}

/* parse_text: the one path behind scenario_load and scenario_load_string. */
static int parse_text(const char *text, size_t len, const char *path, const char *const *sets,
                      int n_sets, struct scenario *out, struct scenario_error *err)
{
	struct reader r;
	memset(&r, 0, sizeof r);
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	r.sc = out;
	r.err = err;
	r.path = path;
	r.pos = text;
	r.end = text + len;
	r.transport = &r.transport_given;
	r.sets = sets;
	r.n_sets = n_sets;
	out->seed = 1;
	out->time_wait = TIMEWAIT_LINUX_HOLD;
	out->ephemeral_lo = TIMEWAIT_LINUX_PORT_LO;
	out->ephemeral_hi = TIMEWAIT_LINUX_PORT_HI;
	out->go = GO_RELEASE_CURRENT;
	out->go_key = GO_KEY_DEFAULT;
	snprintf(out->path, sizeof out->path, "%s", path);
	int rc = ini_parse_stream(next_line, &r, on_key, &r);
	if (!r.failed && rc != 0)
		fail(&r, rc > 0 ? rc : 0, rc > 0 ? "cannot parse this line" : "out of memory");
	if (!r.failed && n_sets)
		apply_sets(&r);
	if (!r.failed)
		finish(&r);
	reader_free(&r);
	if (r.failed && is_set_line(err->line)) {
		err->set = err->line - SET_LINE + 1;
		err->line = 0;
	}
	if (r.failed) {
		scenario_free(out);
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- public API */

int scenario_load_string_with_sets(const char *text, const char *name, const char *const *sets,
                                   int n_sets, struct scenario *out, struct scenario_error *err)
{
	size_t len = strlen(text);
	if (len > FILE_MAX) {
		memset(out, 0, sizeof *out);
		memset(err, 0, sizeof *err);
		snprintf(err->message, sizeof err->message, "file is larger than 1 MiB");
		return -1;
	}
	return parse_text(text, len, name, sets, n_sets, out, err);
}

int scenario_load_string(const char *text, const char *name, struct scenario *out,
                         struct scenario_error *err)
{
	return scenario_load_string_with_sets(text, name, NULL, 0, out, err);
}

FILE *scenario_open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

char *scenario_read_text(const char *path, size_t *len, struct scenario_error *err)
{
	err->line = 0;
	/* O_NONBLOCK: opening a FIFO or a terminal must not wait for a writer; only a regular
	 * file is read, so nothing below can block either. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(err->message, sizeof err->message, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st)) {
		snprintf(err->message, sizeof err->message, "cannot read: %s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		snprintf(err->message, sizeof err->message, "cannot read: it is a directory");
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err->message, sizeof err->message,
		         "cannot read: not a regular file (a %s)",
		         S_ISFIFO(st.st_mode)   ? "FIFO or pipe"
		         : S_ISCHR(st.st_mode)  ? "character device"
		         : S_ISSOCK(st.st_mode) ? "socket"
		                                : "device");
	} else if ((uint64_t)st.st_size > FILE_MAX) {
		snprintf(err->message, sizeof err->message, "file is larger than 1 MiB");
	} else if (!(buf = malloc(FILE_MAX + 2))) {
		snprintf(err->message, sizeof err->message, "out of memory");
	} else {
		/* Read one byte past the limit, so a growing file or a pipe is caught too. */
		size_t got = 0;
		ssize_t n;
		while (got <= FILE_MAX && (n = read(fd, buf + got, FILE_MAX + 1 - got)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(err->message, sizeof err->message, "cannot read: %s",
				         strerror(errno));
				break;
			}
			got += (size_t)n;
		}
		if (got > FILE_MAX)
			snprintf(err->message, sizeof err->message, "file is larger than 1 MiB");
		if (err->message[0]) {
			free(buf);
			buf = NULL;
		} else {
			buf[got] = '\0';
			*len = got;
		}
	}
	close(fd);
	return buf;
}

int scenario_load_with_sets(const char *path, const char *const *sets, int n_sets,
                            struct scenario *out, struct scenario_error *err)
{
	size_t len = 0;
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	char *text = scenario_read_text(path, &len, err);
	if (!text)
		return -1;
	int rc = parse_text(text, len, path, sets, n_sets, out, err);
	free(text);
	return rc;
}

int scenario_load(const char *path, struct scenario *out, struct scenario_error *err)
{
	return scenario_load_with_sets(path, NULL, 0, out, err);
}
