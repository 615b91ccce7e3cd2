/*
 * http.h: the little of HTTP/1.1 header parsing that both ends of real mode
 * need (the servers of server.c and the client network of realnet.c).
 * Pure functions over a buffer; nothing here allocates or does I/O.
 */
#ifndef POOLSIM_HTTP_H
#define POOLSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* The value of header `name` (case-insensitive) in head[0..len), just after the ':'; NULL if
 * absent. */
const char *http_find_header(const char *head, size_t len, const char *name);

/* Does header `name` carry `token` (case-insensitive), as in "Connection: close"? */
bool http_header_has_token(const char *head, size_t len, const char *name, const char *token);

#endif
