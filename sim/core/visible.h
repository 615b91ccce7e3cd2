/*
 * visible.h: text from outside (a file name, a path) made safe to show: on a
 * terminal, in an SVG, in JSON. Pure string work, no I/O.
 *
 * utf8_valid_prefix is the one UTF-8 decoder: the JSON writer and
 * visible_text both use it, so an invalid byte is never passed through.
 */
#ifndef POOLSIM_VISIBLE_H
#define POOLSIM_VISIBLE_H

#include <stddef.h>

/* The length (1-4) of the valid UTF-8 sequence at s, or 0 if the byte at s starts none
 * (a stray continuation, an overlong form, a surrogate, past U+10FFFF, a cut sequence). */
size_t utf8_sequence_length(const char *s);

/*
 * visible_text: `src` into dst (always NUL-terminated, cut at a whole
 * character when it does not fit): control bytes (below 0x20, and 0x7f)
 * become "\xNN", every byte of invalid UTF-8 becomes U+FFFD; everything else
 * is copied. Returns dst.
 */
char *visible_text(char *dst, size_t size, const char *src);

#endif
