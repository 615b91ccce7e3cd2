/*
 * visible.c: see visible.h.
 */
#include "visible.h"

#include <stdio.h>
#include <string.h>

size_t utf8_sequence_length(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80)
		return 1;
	size_t n = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC2 ? 2 : 0;
	if (n == 0 || u[0] > 0xF4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((u[i] & 0xC0) != 0x80)
			return 0;
	/* overlong 3- and 4-byte forms, UTF-16 surrogates, and past U+10FFFF */
	if ((u[0] == 0xE0 && u[1] < 0xA0) || (u[0] == 0xED && u[1] >= 0xA0) ||
	    (u[0] == 0xF0 && u[1] < 0x90) || (u[0] == 0xF4 && u[1] >= 0x90))
		return 0;
	return n;
}

char *visible_text(char *dst, size_t size, const char *src)
{
	static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
	size_t out = 0;
	if (size == 0)
		return dst;
	while (*src) {
		unsigned char ch = (unsigned char)*src;
		size_t n = utf8_sequence_length(src);
		char piece[8];
		size_t len;
		if (ch < 0x20 || ch == 0x7f) {
			len = (size_t)snprintf(piece, sizeof piece, "\\x%02x", ch);
			n = 1;
		} else if (n == 0) {
			memcpy(piece, replacement, len = 3);
			n = 1;
		} else {
			memcpy(piece, src, len = n);
		}
		if (out + len >= size)
			break;
		memcpy(dst + out, piece, len);
		out += len;
		src += n;
	}
	dst[out] = '\0';
	return dst;
}
