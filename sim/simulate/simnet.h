/*
 * simnet.h: the simulated network and servers (net.h on the virtual clock).
 *
 * Owns what the scenario says about each [host]: dial and TLS
 * latency, service time, server_idle_timeout, server_max_requests, and the
 * server actions, played by server_actions.h and decided by server_rules.h.
 * Reports back through client.h.
 */
#ifndef POOLSIM_SIMNET_H
#define POOLSIM_SIMNET_H

#include "client.h"
#include "des.h"
#include "net.h"
#include "scenario.h"

struct simnet;

struct simnet *simnet_create(const struct scenario *sc, struct des *des, struct ev_stream *stream,
                             unsigned first_type, unsigned *next_type);
void simnet_attach_client(struct simnet *n, struct client *c);
/* Schedule the scenario's server actions (server_actions.h). */
void simnet_start(struct simnet *n);
const struct net_ops *simnet_ops(void);
void simnet_destroy(struct simnet *n);

#endif
