/*
 * net.h: what the client side (client.c) asks of a network, and nothing more.
 *
 * Two networks implement it: simnet.c (servers and wires as a model on the
 * virtual clock) and realnet.c (non-blocking sockets and OpenSSL against the
 * loopback servers of server.c). The client never knows which one it drives;
 * that is what makes real mode run the same pool and the same request logic
 * as the simulator.
 *
 * Every operation is asynchronous: the network later reports back through
 * the client_on_* functions of client.h, from its own event handlers.
 */
#ifndef POOLSIM_NET_H
#define POOLSIM_NET_H

#include "common.h"

struct net_ops {
	/*
	 * dial: connect `conn` to `host` (TCP, then TLS when the host has tls).
	 * Reports client_on_tls_start (https only), then client_on_dial_done.
	 */
	void (*dial)(void *net, uint32_t conn, uint32_t host);
	/*
	 * send: write one request of `load` (its method, headers and body) on
	 * `conn` and read the response to its end.
	 * Reports client_on_response, or client_on_conn_broken.
	 */
	void (*send)(void *net, uint32_t conn, uint32_t host, uint32_t load);
	/*
	 * send_stream: open one HTTP/2 stream on `conn` for request slot
	 * `req_slot` (id `req_id`) of `load`. Reports client_on_stream_response,
	 * or client_on_conn_broken for the whole conn. NULL: the network speaks
	 * HTTP/1.1 only (the driver refuses h2 hosts).
	 */
	void (*send_stream)(void *net, uint32_t conn, uint32_t host, uint32_t load,
	                    uint32_t req_slot, uint32_t req_id);
	/* close: the client closes `conn` (any state). No report follows. */
	void (*close)(void *net, uint32_t conn);
	/*
	 * before_get_conn: a request for `host` is about to ask the pool for a
	 * conn, now. A network whose FINs travel may first report one due at this
	 * very instant (simnet.c: the stale-connection tie). NULL: nothing to do.
	 */
	void (*before_get_conn)(void *net, uint32_t host);
};

#endif
