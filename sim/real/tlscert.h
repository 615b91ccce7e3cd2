/*
 * tlscert.h: the one TLS identity of real mode, made in memory at start-up.
 *
 * tlscert_create generates a fresh P-256 key and a self-signed certificate for
 * the IP 127.0.0.1 (OpenSSL 3), then builds two SSL_CTX: one the loopback
 * servers present (server.c), one the client trusts it with (realnet.c, the
 * tests): peer verification on, the certificate as the only trust anchor and
 * an IP SAN check against 127.0.0.1. It writes no file and reads no system
 * trust store, so real mode can never trust or reach anything else.
 */
#ifndef POOLSIM_TLSCERT_H
#define POOLSIM_TLSCERT_H

#include <openssl/ssl.h>

struct tlscert;

/* NULL on failure (OpenSSL's error queue says why). */
struct tlscert *tlscert_create(void);
void tlscert_destroy(struct tlscert *t);

/* Borrowed: valid until tlscert_destroy. Both ignore an EOF without close_notify. */
SSL_CTX *tlscert_server_ctx(const struct tlscert *t);
SSL_CTX *tlscert_client_ctx(const struct tlscert *t);

#endif
