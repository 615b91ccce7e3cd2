/*
 * timewait.h: TIME_WAIT and ephemeral ports on the client, derived from the
 * event stream alone (the simulator uses it to refuse a dial when no port is
 * left; the summary reports it), and the one rule of who holds TIME_WAIT.
 *
 * The side that closes a TCP connection first keeps its socket in TIME_WAIT
 * for `hold` (Linux's TCP_TIMEWAIT_LEN, 60 s). A connection's local port is
 * taken from its connect (EV_DIAL_START) until its close, and for `hold`
 * after that when the client closed first. Linux picks a port per
 * destination (the 4-tuple must be unique), so the range is counted per host.
 * Pure logic: no clock, no I/O; memory grows only with the number of conns
 * and TIME_WAIT sockets alive at once.
 */
#ifndef POOLSIM_TIMEWAIT_H
#define POOLSIM_TIMEWAIT_H

#include "event.h"

/* Linux's defaults: TCP_TIMEWAIT_LEN and net.ipv4.ip_local_port_range. */
#define TIMEWAIT_LINUX_HOLD    (60 * PS_SEC)
#define TIMEWAIT_LINUX_PORT_LO 32768
#define TIMEWAIT_LINUX_PORT_HI 60999

/*
 * timewait_client_holds: after this EV_CONN_CLOSED, does the client's socket
 * go to TIME_WAIT? Only if TCP was connected (a connect that failed or was
 * abandoned leaves nothing) and the client closed first: its own pool
 * decisions (idle timeout, idle caps, an unread body, CloseIdleConnections,
 * MaxIdleConnsPerHost < 0) and its timeouts. A server close (idle timeout,
 * Connection: close, close_idle, restart; also DisableKeepAlives, whose
 * requests ask the server to close) leaves TIME_WAIT on the server; a broken
 * conn or a socket error was ended by the other side.
 */
bool timewait_client_holds(enum ev_reason reason, bool tcp_connected, bool disable_keepalives);

/*
 * Every socket in TIME_WAIT, all hosts in one FIFO: its expiry (close time +
 * hold, the same hold for all, so the FIFO is in order) and its host, whose
 * count drops when it expires. One FIFO, not one per host plus the total's:
 * 12 bytes per socket instead of 16, and its ends stay in cache.
 */
struct tw_fifo {
	ps_time *at;
	uint32_t *host;
	uint32_t cap, head, count; /* cap: 0 or a power of two */
};

struct tw_host {
	int64_t waiting; /* sockets in TIME_WAIT (as of the last expiry) */
	int64_t open;    /* sockets from connect to close */
	int64_t peak_time_wait, peak_ports;
};

struct timewait {
	ps_time hold;
	int64_t port_range; /* ports per destination */
	bool disable_keepalives;
	uint32_t n_hosts;
	struct tw_host *hosts;
	struct tw_host total;   /* every host together */
	struct tw_fifo waiting; /* every socket in TIME_WAIT */
	uint8_t *conn;          /* per conn slot: 1 = bound, 2 = TCP connected */
	uint32_t conn_cap;
	int64_t exhausted; /* dials failed with EADDRNOTAVAIL */
};

/* 0, or -1 out of memory. hold 0 = no TIME_WAIT. */
int timewait_init(struct timewait *tw, uint32_t n_hosts, ps_time hold, int64_t port_range,
                  bool disable_keepalives);
void timewait_free(struct timewait *tw);
/* The kinds that move a port: a connect, its handshake, its close (timewait_sink's kinds). */
#define TIMEWAIT_KINDS                                                                             \
	(EV_KIND_BIT(EV_DIAL_START) | EV_KIND_BIT(EV_TLS_START) | EV_KIND_BIT(EV_CONN_READY) |     \
	 EV_KIND_BIT(EV_CONN_CLOSED))

/* A record of TIMEWAIT_KINDS (timewait_on_event calls it). */
void timewait_on_port_record(struct timewait *tw, const struct ps_event *ev);

/* Any record: most (a request's start, its conn, its end, an idle conn) move no port and cost
 * only this test of their kind. */
static inline void timewait_on_event(struct timewait *tw, const struct ps_event *ev)
{
	if (ev->kind < EV_KIND_COUNT && (TIMEWAIT_KINDS & EV_KIND_BIT(ev->kind)))
		timewait_on_port_record(tw, ev);
}
struct ev_sink timewait_sink(struct timewait *tw);
/* Sockets of host (PS_NONE: all) in TIME_WAIT at `now` (>= the last record's time). */
int64_t timewait_count(struct timewait *tw, uint32_t host, ps_time now);
/* Ports of host (PS_NONE: all) in use at `now`: open sockets plus TIME_WAIT. */
int64_t timewait_ports(struct timewait *tw, uint32_t host, ps_time now);
/* A dial to host at `now` would find no free port. */
bool timewait_exhausted(struct timewait *tw, uint32_t host, ps_time now);

#endif
