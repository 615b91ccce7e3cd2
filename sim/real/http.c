/*
 * http.c: see http.h. Lines may end in "\r\n" or "\n".
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where the response parser is (struct http_response.phase). */
enum http_phase {
	PH_HEAD,
	PH_BODY_LENGTH,
	PH_BODY_EOF,
	PH_CHUNK_LINE,
	PH_CHUNK_DATA,
	PH_TRAILER,
	PH_DONE
};

const char *http_find_header(const char *head, size_t len, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = head; p + nl < head + len;) {
		const char *eol = memchr(p, '\n', (size_t)(head + len - p));
		if (!eol)
			return NULL;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			return p + nl + 1;
		p = eol + 1;
	}
	return NULL;
}

bool http_header_has_token(const char *head, size_t len, const char *name, const char *token)
{
	const char *v = http_find_header(head, len, name);
	if (!v)
		return false;
	const char *eol = memchr(v, '\n', (size_t)(head + len - v));
	size_t tl = strlen(token);
	for (const char *p = v; eol && p + tl <= eol; p++)
		if (strncasecmp(p, token, tl) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------- the client's response parser */

/* The head is complete: decide how the body is framed. -1 if it is not a response we read. */
static int parse_head(struct http_response *c)
{
	int status = 0;
	if (sscanf(c->line, "HTTP/1.%*d %d", &status) != 1 || status < 100)
		return -1;
	c->close = http_header_has_token(c->line, c->line_len, "connection", "close");
	const char *cl = http_find_header(c->line, c->line_len, "content-length");
	if (http_header_has_token(c->line, c->line_len, "transfer-encoding", "chunked")) {
		c->phase = PH_CHUNK_LINE;
	} else if (cl) {
		c->remaining = strtoll(cl, NULL, 10);
		if (c->remaining < 0)
			return -1;
		c->phase = c->remaining > 0 ? PH_BODY_LENGTH : PH_DONE;
	} else if (status == 204 || status == 304 || status < 200) {
		c->phase = PH_DONE;
	} else {
		c->phase = PH_BODY_EOF; /* read to EOF: the close is the end */
		c->close = true;
	}
	c->line_len = 0;
	return 0;
}

/* A chunk-size or trailer line is complete in c->line. -1 if malformed. */
static int parse_line(struct http_response *c)
{
	if (c->phase == PH_TRAILER) {
		if (c->line_len == 2) /* the empty line ends the trailer */
			c->phase = PH_DONE;
		c->line_len = 0;
		return 0;
	}
	char *end;
	c->line[c->line_len] = 0;
	if (c->line_len == 2 && c->remaining == -1) { /* the CRLF after a chunk's data */
		c->remaining = 0;
		c->line_len = 0;
		return 0;
	}
	long long size = strtoll(c->line, &end, 16);
	if (end == c->line || size < 0)
		return -1;
	c->line_len = 0;
	c->remaining = size;
	c->phase = size > 0 ? PH_CHUNK_DATA : PH_TRAILER;
	return 0;
}

/* Appends to the line buffer up to and including '\n'. Returns bytes taken; *line_done. */
static size_t take_line(struct http_response *c, const char *p, size_t len, bool *line_done,
                        bool *overflow)
{
	const char *nl = memchr(p, '\n', len);
	size_t take = nl ? (size_t)(nl - p) + 1 : len;
	if (c->line_len + take >= sizeof c->line) {
		*overflow = true;
		return len;
	}
	memcpy(c->line + c->line_len, p, take);
	c->line_len += take;
	*line_done = nl != NULL;
	return take;
}

int http_response_feed(struct http_response *c, const char *p, size_t len)
{
	while (len > 0 && c->phase != PH_DONE) {
		bool line_done = false, overflow = false;
		size_t used;
		switch (c->phase) {
		case PH_HEAD: {
			used = take_line(c, p, len, &line_done, &overflow);
			if (overflow)
				return -1;
			c->line[c->line_len] = 0;
			if (line_done && c->line_len >= 4 &&
			    memcmp(c->line + c->line_len - 4, "\r\n\r\n", 4) == 0 &&
			    parse_head(c) < 0)
				return -1;
			break;
		}
		case PH_BODY_LENGTH:
		case PH_CHUNK_DATA:
			used = (int64_t)len < c->remaining ? len : (size_t)c->remaining;
			c->remaining -= (int64_t)used;
			if (c->remaining == 0) {
				if (c->phase == PH_BODY_LENGTH) {
					c->phase = PH_DONE;
				} else {
					c->phase = PH_CHUNK_LINE;
					c->remaining =
					    -1; /* expect the CRLF that closes the chunk */
				}
			}
			break;
		case PH_BODY_EOF:
			used = len;
			break;
		case PH_CHUNK_LINE:
		case PH_TRAILER:
			used = take_line(c, p, len, &line_done, &overflow);
			if (overflow || (line_done && parse_line(c) < 0))
				return -1;
			break;
		default:
			used = len;
			break;
		}
		p += used;
		len -= used;
	}
	return c->phase == PH_DONE;
}

void http_response_begin(struct http_response *c)
{
	c->phase = PH_HEAD;
	c->close = false;
	c->remaining = 0;
	c->line_len = 0;
}

bool http_response_ends_at_eof(const struct http_response *c)
{
	return c->phase == PH_BODY_EOF;
}
