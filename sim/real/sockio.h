/*
 * sockio.h: one read or write on a non-blocking socket, plain or TLS, for
 * both ends of real mode (the loopback servers of server.c and the client
 * network of realnet.c). It reports what the socket wants next instead of
 * touching a poller, and never blocks, prints or allocates.
 */
#ifndef POOLSIM_SOCKIO_H
#define POOLSIM_SOCKIO_H

#include <stdbool.h>
#include <sys/types.h>

#include <openssl/ssl.h>

/* What a call returns besides a byte count (> 0). */
#define SOCKIO_EOF   0    /* the peer closed in order */
#define SOCKIO_AGAIN (-1) /* try again once *want (POLLER_READ or POLLER_WRITE) is ready */
#define SOCKIO_FAIL  (-2) /* the connection failed */

/*
 * On SOCKIO_AGAIN, *want is the poller interest to wait for. On SOCKIO_EOF or
 * SOCKIO_FAIL, *peer_gone says whether it looks like the peer went away (an
 * orderly close, a reset) rather than a local error. `ssl` NULL: plain TCP on `fd`.
 */
ssize_t sockio_read(int fd, SSL *ssl, char *buf, size_t len, unsigned *want, bool *peer_gone);
ssize_t sockio_write(int fd, SSL *ssl, const char *buf, size_t len, unsigned *want,
                     bool *peer_gone);

/* The outcome of an SSL call that returned r <= 0 (SSL_connect, SSL_accept, ...), as above. */
ssize_t sockio_tls_result(SSL *ssl, int r, unsigned *want, bool *peer_gone);

#endif
