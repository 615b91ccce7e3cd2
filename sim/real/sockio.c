/*
 * sockio.c: see sockio.h.
 */
#include "sockio.h"

#include <errno.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "poller.h"

static bool is_peer_gone(int err)
{
	return err == ECONNRESET || err == EPIPE || err == ECONNABORTED;
}

static bool is_again(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

ssize_t sockio_tls_result(SSL *ssl, int r, unsigned *want, bool *peer_gone)
{
	int sys = errno; /* before anything else can change it */
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*want = POLLER_READ;
		return SOCKIO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want = POLLER_WRITE;
		return SOCKIO_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		*peer_gone = true;
		return SOCKIO_EOF;
	case SSL_ERROR_SYSCALL:
		*peer_gone = is_peer_gone(sys) || ERR_peek_error() == 0;
		ERR_clear_error();
		return SOCKIO_FAIL;
	default:
		ERR_clear_error();
		*peer_gone = false;
		return SOCKIO_FAIL;
	}
}

ssize_t sockio_read(int fd, SSL *ssl, char *buf, size_t len, unsigned *want, bool *peer_gone)
{
	if (ssl) {
		ERR_clear_error();
		int r = SSL_read(ssl, buf, (int)len);
		return r > 0 ? r : sockio_tls_result(ssl, r, want, peer_gone);
	}
	ssize_t r = recv(fd, buf, len, 0);
	if (r > 0)
		return r;
	if (r == 0) {
		*peer_gone = true;
		return SOCKIO_EOF;
	}
	if (is_again(errno)) {
		*want = POLLER_READ;
		return SOCKIO_AGAIN;
	}
	*peer_gone = is_peer_gone(errno);
	return SOCKIO_FAIL;
}

ssize_t sockio_write(int fd, SSL *ssl, const char *buf, size_t len, unsigned *want, bool *peer_gone)
{
	if (ssl) {
		ERR_clear_error();
		int r = SSL_write(ssl, buf, (int)len);
		return r > 0 ? r : sockio_tls_result(ssl, r, want, peer_gone);
	}
	ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);
	if (r > 0)
		return r;
	if (r < 0 && is_again(errno)) {
		*want = POLLER_WRITE;
		return SOCKIO_AGAIN;
	}
	*peer_gone = r == 0 || is_peer_gone(errno);
	return SOCKIO_FAIL;
}
