/*
 * http.c: see http.h. Lines may end in "\r\n" or "\n".
 */
#include "http.h"

#include <string.h>
#include <strings.h>

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
