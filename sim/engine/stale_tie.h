/*
 * stale_tie.h: the stale-connection tie's three outcomes and their split,
 * for both engines (simnet.c, realnet_conn.c).
 *
 * The tie: a request leaves on an idle conn at the very instant the server's
 * FIN reaches it (a server idle timeout equal to the client's think, rtt > 0).
 * In Go the caller's getConn and write race the readLoop's EOF, and each
 * outcome happens (docs/model.md, "The tie", measured with the oracle): the
 * write wins (the request is lost: a POST fails, a GET is retried) 1/2, the
 * EOF closes the conn before the write (nothingWrittenError: retried, S3 rule
 * 4) 1/3, the EOF before getConn looked (the conn is skipped: a fresh dial, no
 * retry) 1/6. Drawn from the host's own stream (rng_stream_of_tie), and only
 * at such a tie, so no other run's trace changes.
 */
#ifndef POOLSIM_STALE_TIE_H
#define POOLSIM_STALE_TIE_H

#include "rng.h"

enum stale_tie { TIE_UNDRAWN, TIE_WRITTEN, TIE_NOT_WRITTEN, TIE_FIN_FIRST };

/* stale_tie_draw: one tie's outcome, from the host's tie stream. */
static inline enum stale_tie stale_tie_draw(struct rng *host_ties)
{
	uint64_t sixth = ((rng_next(host_ties) >> 32) * 6) >> 32;
	return sixth < 3 ? TIE_WRITTEN : sixth < 5 ? TIE_NOT_WRITTEN : TIE_FIN_FIRST;
}

#endif
