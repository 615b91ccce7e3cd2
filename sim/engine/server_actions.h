/*
 * server_actions.h: the player of a scenario's [event] sections (close_idle,
 * restart, down, send_408, and the client's own close_idle_connections and
 * cancel), one for both engines.
 *
 * It schedules every action on the des, pushes the EV_SERVER_ACTION record
 * (SRV_DOWN, and SRV_UP when a down ends), hands close_idle, restart and
 * send_408 to the network, which applies server_rules.h to each connection,
 * and the client's actions to client_on_action. `down` it
 * keeps itself: a network asks server_actions_host_down as a connect completes.
 *
 * Same instant: an action due at or after the scenario's duration is never
 * played (the run ends first, as a load's start at `duration` never starts);
 * one due at the same instant as other work runs in des order (time, then
 * the order it was scheduled: the player schedules at start, after the client).
 */
#ifndef POOLSIM_SERVER_ACTIONS_H
#define POOLSIM_SERVER_ACTIONS_H

#include "client.h"
#include "des.h"
#include "event.h"
#include "scenario.h"

/* What the network does for an action: SRV_CLOSE_IDLE, SRV_RESTART or SRV_SEND_408. */
typedef void (*server_action_fn)(void *net, uint32_t host, enum ev_server_action action);

struct server_actions;

/*
 * server_actions_create: registers des types from `first_type` up and
 * returns the next free one in *next_type. NULL if out of memory.
 */
struct server_actions *server_actions_create(const struct scenario *sc, struct des *des,
                                             struct ev_stream *stream, server_action_fn act,
                                             void *net, unsigned first_type, unsigned *next_type);
void server_actions_attach_client(struct server_actions *p, struct client *c);
/* Schedules every action due before the scenario's duration. */
void server_actions_start(struct server_actions *p);
/* Is `host` down (a [event] down not yet over) at `now`? */
bool server_actions_host_down(const struct server_actions *p, uint32_t host, ps_time now);
void server_actions_destroy(struct server_actions *p);

#endif
