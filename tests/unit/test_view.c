/*
 * test_view.c: Check tests of the dashboard's view model (sim/dashboard/view.c).
 *
 * Feeds hand-made event records into a struct view and checks the cells,
 * gauges, counters, the one-minute series and the log lines. No terminal, no
 * simulator: the records are what the pool would emit for each rule named.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

struct fixture {
	struct scenario sc;
	struct host_spec hosts[2];
	struct view *v;
};

static void fixture_init(struct fixture *f, uint32_t n_hosts)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->sc.title, "test");
	f->sc.duration = 60 * PS_SEC;
	f->sc.transport.MaxIdleConns = 100;
	f->sc.transport.MaxIdleConnsPerHost = 0;
	f->sc.transport.MaxConnsPerHost = 4;
	f->sc.transport.IdleConnTimeout = 90 * PS_SEC;
	strcpy(f->hosts[0].name, "api");
	strcpy(f->hosts[1].name, "db");
	f->sc.hosts = f->hosts;
	f->sc.n_hosts = n_hosts;
	f->v = view_create(&f->sc);
	ck_assert_ptr_nonnull(f->v);
}

static struct ps_event rec(enum ev_kind kind, ps_time t, uint32_t host, uint32_t conn, uint32_t req)
{
	struct ps_event e = ev_make(kind, t);

	e.host = host;
	e.conn = conn;
	e.conn_id = conn == PS_NONE ? 0 : conn + 1;
	e.req = req;
	return e;
}

static void feed(struct view *v, enum ev_kind kind, ps_time t, uint32_t host, uint32_t conn,
                 uint32_t req, uint32_t flags, int64_t value, enum ev_reason reason)
{
	struct ps_event e = rec(kind, t, host, conn, req);

	e.flags = flags;
	e.value = value;
	e.reason = (uint16_t)reason;
	view_on_event(v, &e);
}

/* One request that dials conn `conn`, is served, and puts the conn back idle. */
static void first_request(struct view *v, ps_time t, uint32_t host, uint32_t conn, uint32_t req)
{
	feed(v, EV_REQ_START, t, host, PS_NONE, req, 0, 0, R_NONE);
	feed(v, EV_REQ_WAIT, t, host, PS_NONE, req, 0, 0, R_NONE);
	feed(v, EV_DIAL_START, t, host, conn, req, 0, 0, R_NONE);
	feed(v, EV_CONN_READY, t + PS_MS, host, conn, 0, 0, 0, R_NONE);
	feed(v, EV_REQ_GOT_CONN, t + PS_MS, host, conn, req, EVF_WAITED, 0, R_NONE);
	feed(v, EV_REQ_DONE, t + 11 * PS_MS, host, PS_NONE, req, 0, 10 * PS_MS, R_NONE);
	feed(v, EV_CONN_IDLE, t + 11 * PS_MS, host, conn, 0, 0, t + 11 * PS_MS + 90 * PS_SEC,
	     R_NONE);
}

static bool log_has(const struct view *v, const char *needle)
{
	for (size_t i = 0; i < view_log_count(v); i++)
		if (strstr(view_log_line(v, i), needle))
			return true;
	return false;
}

START_TEST(test_P8_view_dial_then_idle_moves_gauges)
{
	struct fixture f;
	const struct counts *c;
	const struct view_cell *cells;
	size_t n;

	fixture_init(&f, 1);
	first_request(f.v, 0, 0, 0, 1);
	c = view_counts(f.v, PS_NONE);
	ck_assert_int_eq(c->dials, 1);
	ck_assert_int_eq(c->open, 1);
	ck_assert_int_eq(c->idle, 1);
	ck_assert_int_eq(c->active, 0);
	ck_assert_int_eq(c->dialing, 0);
	ck_assert_int_eq(c->waiting, 0);
	ck_assert_int_eq(c->peak_waiting, 1);
	ck_assert_int_eq(c->ok, 1);
	ck_assert_int_eq(c->reused, 0);
	cells = view_host_cells(f.v, 0, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(cells[0].state, VIEW_CELL_IDLE);
	ck_assert_int_eq(cells[0].served, 1);
	ck_assert(log_has(f.v, "req 1 waits: no idle conn, dials conn #1"));
	ck_assert(log_has(f.v, "req 1 got conn #1: new"));
	view_destroy(f.v);
}
END_TEST

START_TEST(test_T5_view_cell_glyph_counts_down_idle_seconds)
{
	struct view_cell c;

	memset(&c, 0, sizeof(c));
	c.state = VIEW_CELL_IDLE;
	c.idle_deadline = 100 * PS_SEC;
	ck_assert_str_eq(view_cell_glyph(&c, 10 * PS_SEC, false), "o");
	ck_assert_str_eq(view_cell_glyph(&c, 95 * PS_SEC + PS_SEC / 2, false), "5");
	ck_assert_str_eq(view_cell_glyph(&c, 100 * PS_SEC - 1, false), "1");
	c.idle_deadline = PS_TIME_NEVER;
	ck_assert_str_eq(view_cell_glyph(&c, 0, false), "o");
	c.state = VIEW_CELL_DIALING;
	ck_assert_str_eq(view_cell_glyph(&c, 0, false), ".");
	ck_assert_str_eq(view_cell_glyph(&c, 0, true), "\u25cc");
	c.state = VIEW_CELL_ACTIVE;
	ck_assert_str_eq(view_cell_glyph(&c, 0, false), "#");
	c.leaked = true;
	ck_assert_str_eq(view_cell_glyph(&c, 0, false), "!");
	c.state = VIEW_CELL_TLS;
	ck_assert_str_eq(view_cell_glyph(&c, 0, true), "~");
	c.state = VIEW_CELL_CLOSING;
	ck_assert_str_eq(view_cell_glyph(&c, 0, true), "x");
}
END_TEST

START_TEST(test_G2_view_reuse_from_idle_is_counted_and_logged)
{
	struct fixture f;
	const struct counts *c;

	fixture_init(&f, 1);
	first_request(f.v, 0, 0, 0, 1);
	feed(f.v, EV_REQ_START, PS_SEC, 0, PS_NONE, 2, 0, 0, R_NONE);
	feed(f.v, EV_REQ_GOT_CONN, PS_SEC, 0, 0, 2, EVF_REUSED | EVF_WAS_IDLE | EVF_GO_REUSED, 0,
	     R_NONE);
	c = view_counts(f.v, 0);
	ck_assert_int_eq(c->reused, 1);
	ck_assert_int_eq(c->idle, 0);
	ck_assert_int_eq(c->active, 1);
	ck_assert_int_eq(c->waiting, 0);
	ck_assert(log_has(f.v, "req 2 got conn #1: reused, from the idle pool"));
	ck_assert_int_eq(view_host(f.v, 0)->cells[0].served, 2);
	/* 1 s idle from 11 ms to 1 s */
	ck_assert(view_host(f.v, 0)->cells[0].idle_total == PS_SEC - 11 * PS_MS);
	view_destroy(f.v);
}
END_TEST

START_TEST(test_T5_view_idle_timeout_close_logs_IdleConnTimeout_and_lingers)
{
	struct fixture f;
	const struct view_cell *cells;
	size_t n;

	fixture_init(&f, 1);
	first_request(f.v, 0, 0, 0, 1);
	feed(f.v, EV_CONN_CLOSED, 90 * PS_SEC, 0, 0, 0, EVF_WAS_IDLE, 0, R_IDLE_TIMEOUT);
	ck_assert(log_has(f.v, "conn #1 closed: idle for"));
	ck_assert(log_has(f.v, "(IdleConnTimeout)"));
	ck_assert_int_eq(view_counts(f.v, PS_NONE)->closes[R_IDLE_TIMEOUT], 1);
	ck_assert_int_eq(view_counts(f.v, PS_NONE)->open, 0);
	ck_assert_int_eq(view_counts(f.v, PS_NONE)->idle, 0);
	cells = view_host_cells(f.v, 0, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(cells[0].state, VIEW_CELL_CLOSING);
	view_tick(f.v, 90 * PS_SEC + VIEW_CLOSING_LINGER);
	view_host_cells(f.v, 0, &n);
	ck_assert_uint_eq(n, 0);
	view_destroy(f.v);
}
END_TEST

START_TEST(test_P7_view_close_names_errTooManyIdleHost_and_limit)
{
	struct fixture f;

	fixture_init(&f, 1);
	feed(f.v, EV_DIAL_START, 0, 0, 0, 1, 0, 0, R_NONE);
	feed(f.v, EV_CONN_READY, PS_MS, 0, 0, 0, 0, 0, R_NONE);
	feed(f.v, EV_CONN_CLOSED, 2 * PS_MS, 0, 0, 0, 0, 0, R_MAX_IDLE_PER_HOST);
	ck_assert(log_has(f.v, ev_reason_go_name(R_MAX_IDLE_PER_HOST)));
	ck_assert(log_has(f.v, "MaxIdleConnsPerHost=2)"));
	ck_assert_int_eq(view_counts(f.v, 0)->closes[R_MAX_IDLE_PER_HOST], 1);
	ck_assert_int_eq(view_counts(f.v, 0)->active, 0);
	view_destroy(f.v);
}
END_TEST

START_TEST(test_G4_view_permit_wait_names_MaxConnsPerHost)
{
	struct fixture f;

	fixture_init(&f, 1);
	feed(f.v, EV_REQ_WAIT, 0, 0, PS_NONE, 57, 0, 0, R_NONE);
	feed(f.v, EV_PERMIT_WAIT, 0, 0, PS_NONE, 57, 0, 0, R_NONE);
	/* Issue #14: not the "no idle conn" of a request that dials for itself. */
	ck_assert(
	    log_has(f.v, "req 57 waits: no idle conn, MaxConnsPerHost=4 reached: queued, no dial"));
	ck_assert(!log_has(f.v, "dials conn"));
	ck_assert_int_eq(view_counts(f.v, 0)->waiting, 1);
	ck_assert_int_eq(view_counts(f.v, 0)->permit_waits, 1);
	view_destroy(f.v);
}
END_TEST

START_TEST(test_G2e_view_waiting_gauge_and_peak)
{
	struct fixture f;
	const struct counts *c;

	fixture_init(&f, 1);
	for (uint32_t r = 1; r <= 3; r++)
		feed(f.v, EV_REQ_WAIT, 0, 0, PS_NONE, r, 0, 0, R_NONE);
	feed(f.v, EV_DIAL_START, 0, 0, 0, 1, 0, 0, R_NONE);
	feed(f.v, EV_REQ_GOT_CONN, PS_MS, 0, 0, 1, EVF_WAITED, 0, R_NONE);
	feed(f.v, EV_REQ_FAILED, PS_MS, 0, PS_NONE, 2, EVF_WAITED, 0, R_CLIENT_TIMEOUT);
	c = view_counts(f.v, PS_NONE);
	ck_assert_int_eq(c->waiting, 1);
	ck_assert_int_eq(c->peak_waiting, 3);
	ck_assert_int_eq(c->failed, 1);
	ck_assert(log_has(f.v, "req 2 failed"));
	view_destroy(f.v);
}
END_TEST

START_TEST(test_view_series_keeps_per_second_peaks_and_carries_forward)
{
	struct fixture f;
	struct view_sample s;

	fixture_init(&f, 1);
	ck_assert(!view_sample_at(f.v, PS_NONE, 0, &s));
	feed(f.v, EV_DIAL_START, PS_SEC / 2, 0, 0, 1, 0, 0, R_NONE);
	feed(f.v, EV_DIAL_START, PS_SEC / 2, 0, 1, 2, 0, 0, R_NONE);
	feed(f.v, EV_CONN_CLOSED, PS_SEC / 2 + PS_MS, 0, 1, 0, EVF_WAS_DIALING, 0, R_DIAL_REFUSED);
	view_tick(f.v, 3 * PS_SEC + 1);
	ck_assert(view_sample_at(f.v, PS_NONE, 3, &s));
	ck_assert_int_eq(s.open, 2); /* the peak of second 0 */
	ck_assert(view_sample_at(f.v, 0, 0, &s));
	ck_assert_int_eq(s.open, 1); /* second 3: carried forward */
	ck_assert(!view_sample_at(f.v, PS_NONE, 4, &s));
	ck_assert_int_eq(view_counts(f.v, 0)->dial_failures, 1);
	ck_assert_int_eq(view_counts(f.v, 0)->closes[R_ERROR], 1);
	/* more than a minute later the ring holds only the new minute */
	view_tick(f.v, 200 * PS_SEC);
	ck_assert(view_sample_at(f.v, PS_NONE, VIEW_SERIES_SECONDS - 1, &s));
	ck_assert_int_eq(s.open, 1);
	view_destroy(f.v);
}
END_TEST

START_TEST(test_view_log_ring_keeps_the_newest_lines)
{
	struct fixture f;
	char want[64];

	fixture_init(&f, 1);
	for (uint32_t r = 1; r <= VIEW_LOG_LINES + 50; r++)
		feed(f.v, EV_PERMIT_WAIT, r, 0, PS_NONE, r, 0, 0, R_NONE);
	ck_assert_uint_eq(view_log_count(f.v), VIEW_LOG_LINES);
	ck_assert_ptr_nonnull(strstr(view_log_line(f.v, 0), "req 51 waits"));
	snprintf(want, sizeof(want), "req %d waits", VIEW_LOG_LINES + 50);
	ck_assert_ptr_nonnull(strstr(view_log_line(f.v, VIEW_LOG_LINES - 1), want));
	ck_assert_str_eq(view_log_line(f.v, VIEW_LOG_LINES), "");
	view_destroy(f.v);
}
END_TEST

START_TEST(test_view_reused_slot_takes_the_lowest_free_position)
{
	struct fixture f;
	const struct view_cell *cells;
	size_t n;

	fixture_init(&f, 1);
	feed(f.v, EV_DIAL_START, 0, 0, 0, 1, 0, 0, R_NONE);
	feed(f.v, EV_CONN_CLOSED, PS_MS, 0, 0, 0, EVF_WAS_DIALING, 0, R_DIAL_REFUSED);
	/* slot 0 again while #1 still shows as `x`: a new position */
	feed(f.v, EV_DIAL_START, 2 * PS_MS, 0, 0, 2, 0, 0, R_NONE);
	cells = view_host_cells(f.v, 0, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(cells[0].state, VIEW_CELL_CLOSING);
	ck_assert_int_eq(cells[1].state, VIEW_CELL_DIALING);
	view_tick(f.v, 2 * PS_SEC);
	feed(f.v, EV_DIAL_START, 2 * PS_SEC, 0, 1, 3, EVF_TLS, 0, R_NONE);
	feed(f.v, EV_TLS_START, 2 * PS_SEC + PS_MS, 0, 1, 0, 0, 0, R_NONE);
	cells = view_host_cells(f.v, 0, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(cells[0].state, VIEW_CELL_TLS);
	ck_assert(cells[0].tls);
	ck_assert_int_eq(view_counts(f.v, 0)->dialing, 2);
	view_destroy(f.v);
}
END_TEST

START_TEST(test_view_hosts_count_apart_and_log_names_the_host)
{
	struct fixture f;

	fixture_init(&f, 2);
	first_request(f.v, 0, 0, 0, 1);
	first_request(f.v, 0, 1, 1, 2);
	first_request(f.v, 0, 1, 2, 3);
	ck_assert_int_eq(view_counts(f.v, 0)->open, 1);
	ck_assert_int_eq(view_counts(f.v, 1)->open, 2);
	ck_assert_int_eq(view_counts(f.v, PS_NONE)->idle, 3);
	ck_assert(log_has(f.v, "db: req 3 waits: no idle conn, dials conn #3"));
	ck_assert(log_has(f.v, "api: req 1 waits: no idle conn, dials conn #1"));
	view_destroy(f.v);
}
END_TEST

START_TEST(test_view_kernel_sample_per_host_and_total)
{
	struct fixture f;
	struct ps_event e;

	fixture_init(&f, 1);
	e = rec(EV_KERNEL_SAMPLE, PS_SEC, PS_NONE, 40, 0);
	e.value = 12;
	e.flags = 30;
	view_on_event(f.v, &e);
	ck_assert(view_kernel(f.v, PS_NONE)->present);
	ck_assert_int_eq(view_kernel(f.v, PS_NONE)->established, 12);
	ck_assert_int_eq(view_kernel(f.v, PS_NONE)->time_wait, 40);
	ck_assert_int_eq(view_kernel(f.v, PS_NONE)->fds, 30);
	ck_assert(!view_kernel(f.v, 0)->present);
	view_destroy(f.v);
}
END_TEST

START_TEST(test_B1_view_leaked_body_marks_the_cell)
{
	struct fixture f;

	fixture_init(&f, 1);
	feed(f.v, EV_DIAL_START, 0, 0, 0, 1, 0, 0, R_NONE);
	feed(f.v, EV_REQ_GOT_CONN, PS_MS, 0, 0, 1, 0, 0, R_NONE);
	feed(f.v, EV_BODY_LEAKED, 2 * PS_MS, 0, 0, 1, 0, 0, R_NONE);
	ck_assert(view_host(f.v, 0)->cells[0].leaked);
	ck_assert_int_eq(view_counts(f.v, 0)->leaked, 1);
	ck_assert(log_has(f.v, "never closed its body"));
	feed(f.v, EV_RUN_END, PS_SEC, PS_NONE, PS_NONE, 0, 0, 0, R_NONE);
	ck_assert(f.v->ended);
	view_destroy(f.v);
}
END_TEST

/* An h2 host (H1) whose server allows `limit` streams a conn. */
static void fixture_init_h2(struct fixture *f, int64_t limit)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->sc.title, "test");
	f->sc.duration = 60 * PS_SEC;
	f->sc.transport.ForceAttemptHTTP2 = true;
	f->sc.transport.IdleConnTimeout = 90 * PS_SEC;
	strcpy(f->hosts[0].name, "api");
	f->hosts[0].tls = true;
	f->hosts[0].h2 = true;
	f->hosts[0].max_concurrent_streams = limit;
	f->sc.hosts = f->hosts;
	f->sc.n_hosts = 1;
	f->v = view_create(&f->sc);
	ck_assert_ptr_nonnull(f->v);
}

static const char *streams_of(const struct view *v, size_t cell, char *buf, size_t size)
{
	size_t n;
	const struct view_cell *cells = view_host_cells(v, 0, &n);

	ck_assert_uint_lt(cell, n);
	return view_cell_streams_text(v, 0, &cells[cell], buf, size);
}

/*
 * H5, H6: an HTTP/2 conn's cell counts its streams from the records (got_conn's
 * value: streams now; stream_end's: streams left) against its server's limit;
 * with none left it is idle, and its closed cell shows no streams.
 */
START_TEST(test_H5_view_h2_conn_shows_its_streams_against_the_servers_limit)
{
	struct fixture f;
	char buf[32];

	fixture_init_h2(&f, 250);
	ck_assert(view_host(f.v, 0)->h2);
	ck_assert_int_eq(view_host(f.v, 0)->max_streams, 250);
	feed(f.v, EV_DIAL_START, 0, 0, 0, 1, EVF_TLS, 0, R_NONE);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "-"); /* not known as h2 yet */
	feed(f.v, EV_CONN_READY, 3 * PS_MS, 0, 0, 0, 0, 0, R_NONE);
	for (uint32_t r = 1; r <= 3; r++)
		feed(f.v, EV_REQ_GOT_CONN, 3 * PS_MS, 0, 0, r, EVF_H2 | (r > 1 ? EVF_REUSED : 0), r,
		     R_NONE);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "3/250");
	ck_assert_int_eq(view_counts(f.v, 0)->streams, 3);
	ck_assert(log_has(f.v, "req 3 got conn #1: reused, HTTP/2 stream 3 of 250"));
	ck_assert(log_has(f.v, "req 1 got conn #1: new, HTTP/2 stream 1 of 250"));
	feed(f.v, EV_STREAM_END, 13 * PS_MS, 0, 0, 0, EVF_H2, 2, R_NONE);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "2/250");
	feed(f.v, EV_STREAM_END, 13 * PS_MS, 0, 0, 0, EVF_H2, 1, R_NONE);
	feed(f.v, EV_STREAM_END, 13 * PS_MS, 0, 0, 0, EVF_H2, 0, R_NONE);
	feed(f.v, EV_CONN_IDLE, 13 * PS_MS, 0, 0, 0, EVF_H2, 13 * PS_MS + 90 * PS_SEC, R_NONE);
	ck_assert_int_eq(view_host(f.v, 0)->cells[0].state, VIEW_CELL_IDLE);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "0/250");
	ck_assert(log_has(f.v, "conn #1 idle: no HTTP/2 stream left"));
	feed(f.v, EV_REQ_GOT_CONN, PS_SEC, 0, 0, 4, EVF_H2 | EVF_REUSED, 1, R_NONE);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "1/250");
	feed(f.v, EV_CONN_CLOSED, 2 * PS_SEC, 0, 0, 0, EVF_H2, 1, R_SERVER_RESTART);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "-");
	ck_assert_int_eq(view_counts(f.v, 0)->streams, 0);
	ck_assert(log_has(f.v, "1 HTTP/2 streams in flight fail"));
	view_destroy(f.v);
}
END_TEST

/* H8: the server's GOAWAY is told in the log; the conn is still there until its close. */
START_TEST(test_H8_view_goaway_is_logged_and_the_conn_stays)
{
	struct fixture f;
	char buf[32];

	fixture_init_h2(&f, 250);
	feed(f.v, EV_DIAL_START, 0, 0, 0, 1, EVF_TLS, 0, R_NONE);
	feed(f.v, EV_REQ_GOT_CONN, 3 * PS_MS, 0, 0, 1, EVF_H2, 1, R_NONE);
	feed(f.v, EV_STREAM_END, 13 * PS_MS, 0, 0, 0, EVF_H2, 0, R_NONE);
	feed(f.v, EV_CONN_IDLE, 13 * PS_MS, 0, 0, 0, EVF_H2, PS_TIME_NEVER, R_NONE);
	feed(f.v, EV_H2_GOAWAY, 513 * PS_MS, 0, 0, 0, EVF_H2, 0, R_SERVER_IDLE_TIMEOUT);
	ck_assert(log_has(f.v, "conn #1: the server sent GOAWAY"));
	ck_assert_uint_eq(view_counts(f.v, 0)->open, 1);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "0/250");
	view_destroy(f.v);
}
END_TEST

/* H1: an HTTP/1.1 conn has no stream column value, whatever the host's limit. */
START_TEST(test_H1_view_h1_conn_has_no_streams)
{
	struct fixture f;
	char buf[32];

	fixture_init(&f, 1);
	ck_assert(!view_host(f.v, 0)->h2);
	first_request(f.v, 0, 0, 0, 1);
	ck_assert_str_eq(streams_of(f.v, 0, buf, sizeof(buf)), "-");
	ck_assert(log_has(f.v, "req 1 got conn #1: new"));
	ck_assert(!log_has(f.v, "HTTP/2"));
	view_destroy(f.v);
}
END_TEST

/* Steady state: a thousand request cycles on the same slots grow nothing. */
START_TEST(test_view_steady_state_reuses_its_arrays)
{
	struct fixture f;
	const struct view_cell *before;
	size_t n;

	fixture_init(&f, 1);
	first_request(f.v, 0, 0, 0, 1);
	before = view_host_cells(f.v, 0, &n);
	for (uint32_t r = 2; r < 1000; r++) {
		ps_time t = (ps_time)r * PS_SEC;

		feed(f.v, EV_CONN_CLOSED, t, 0, 0, 0, EVF_WAS_IDLE, 0, R_SERVER_IDLE_TIMEOUT);
		view_tick(f.v, t + 2 * PS_SEC);
		first_request(f.v, t + 2 * PS_SEC, 0, 0, r);
	}
	ck_assert_ptr_eq(view_host_cells(f.v, 0, &n), before);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(view_counts(f.v, 0)->closes[R_SERVER], 998);
	view_destroy(f.v);
}
END_TEST

/* Issue #14, finding 7: lesson 5's point (15 ms, not 60) is in the log. */
START_TEST(test_view_log_shows_each_completion_with_its_latency)
{
	struct fixture f;

	fixture_init(&f, 1);
	first_request(f.v, 0, 0, 0, 1);
	ck_assert(log_has(f.v, "req 1 done in 10.000 ms"));
	view_destroy(f.v);
}
END_TEST

START_TEST(test_P7_view_teach_holds_the_first_errTooManyIdleHost_close)
{
	struct fixture f;

	fixture_init(&f, 1);
	view_set_teach(f.v, true);
	first_request(f.v, 0, 0, 0, 1); /* G5, G6, P8: not what teaching mode stops for */
	ck_assert(!view_teach_pending(f.v));
	first_request(f.v, 0, 0, 1, 2);
	feed(f.v, EV_CONN_CLOSED, 12 * PS_MS, 0, 1, 0, EVF_WAS_IDLE, 0, R_MAX_IDLE_PER_HOST);
	ck_assert(view_teach_pending(f.v));
	ck_assert_ptr_nonnull(strstr(f.v->teach_text, "P7 in Transport.tryPutIdleConn"));
	ck_assert_ptr_nonnull(strstr(f.v->teach_text, "errTooManyIdleHost"));
	ck_assert_int_eq(f.v->teach_at, 12 * PS_MS);
	view_teach_done(f.v);
	first_request(f.v, PS_SEC, 0, 2, 3);
	feed(f.v, EV_CONN_CLOSED, PS_SEC + 12 * PS_MS, 0, 2, 0, 0, 0, R_MAX_IDLE_PER_HOST);
	ck_assert(!view_teach_pending(f.v)); /* the first time only */
	view_destroy(f.v);
}
END_TEST

/*
 * TIME_WAIT and ports on the dashboard, counted as the --json summary counts
 * them (core/timewait.h), over hand-made records. Hold 60 s, Linux's range.
 * api: conns 0 and 1 dial at 0; db: conn 2 at 0.
 *   1 s  api conn 0 closed by the client (P7): api TIME_WAIT 1 until 61 s;
 *        api ports = open 1 (conn 1) + TIME_WAIT 1 = 2; total ports 2 + 1 (db conn 2) = 3.
 *   2 s  api conn 1 closed by the server (S1): TIME_WAIT stays on the server: api 1, ports 1.
 *   3 s  db conn 2 idle timeout (T5): db TIME_WAIT 1 until 63 s, ports 1;
 *        api conn 3 dials and is canceled before connecting: no TCP, no TIME_WAIT.
 *        total TIME_WAIT 2, ports 2.
 *  61 s  api's ends: api 0, db 1, total 1.   63 s  db's ends: all 0.
 */
START_TEST(test_view_time_wait_and_ports_per_host_and_total)
{
	struct fixture f;

	fixture_init(&f, 2);
	view_destroy(f.v);
	f.sc.time_wait = 60 * PS_SEC;
	f.sc.ephemeral_lo = 32768;
	f.sc.ephemeral_hi = 60999;
	f.v = view_create(&f.sc);
	ck_assert_ptr_nonnull(f.v);
	ck_assert_int_eq(view_port_range(f.v), 28232);
	first_request(f.v, 0, 0, 0, 1);
	first_request(f.v, 0, 0, 1, 2);
	first_request(f.v, 0, 1, 2, 3);
	ck_assert_int_eq(view_ports(f.v, 0), 2);
	ck_assert_int_eq(view_time_wait(f.v, PS_NONE), 0);
	feed(f.v, EV_CONN_CLOSED, PS_SEC, 0, 0, 0, EVF_WAS_IDLE, 0, R_MAX_IDLE_PER_HOST);
	ck_assert_int_eq(view_time_wait(f.v, 0), 1);
	ck_assert_int_eq(view_ports(f.v, 0), 2);
	ck_assert_int_eq(view_ports(f.v, PS_NONE), 3);
	feed(f.v, EV_CONN_CLOSED, 2 * PS_SEC, 0, 1, 0, EVF_WAS_IDLE, 0, R_SERVER_IDLE_TIMEOUT);
	ck_assert_int_eq(view_time_wait(f.v, 0), 1);
	ck_assert_int_eq(view_ports(f.v, 0), 1);
	feed(f.v, EV_CONN_CLOSED, 3 * PS_SEC, 1, 2, 0, EVF_WAS_IDLE, 0, R_IDLE_TIMEOUT);
	feed(f.v, EV_DIAL_START, 3 * PS_SEC, 0, 3, 4, 0, 0, R_NONE);
	feed(f.v, EV_CONN_CLOSED, 3 * PS_SEC, 0, 3, 0, 0, 0, R_DIAL_CANCELED);
	ck_assert_int_eq(view_time_wait(f.v, 1), 1);
	ck_assert_int_eq(view_ports(f.v, 1), 1);
	ck_assert_int_eq(view_time_wait(f.v, PS_NONE), 2);
	ck_assert_int_eq(view_ports(f.v, PS_NONE), 2);
	view_tick(f.v, 61 * PS_SEC);
	ck_assert_int_eq(view_time_wait(f.v, 0), 0);
	ck_assert_int_eq(view_time_wait(f.v, 1), 1);
	ck_assert_int_eq(view_time_wait(f.v, PS_NONE), 1);
	view_tick(f.v, 63 * PS_SEC);
	ck_assert_int_eq(view_time_wait(f.v, PS_NONE), 0);
	ck_assert_int_eq(view_ports(f.v, PS_NONE), 0);
	view_destroy(f.v);
}
END_TEST

Suite *suite_view(void)
{
	Suite *s = suite_create("view");
	TCase *tc = tcase_create("view");

	tcase_add_test(tc, test_P8_view_dial_then_idle_moves_gauges);
	tcase_add_test(tc, test_T5_view_cell_glyph_counts_down_idle_seconds);
	tcase_add_test(tc, test_G2_view_reuse_from_idle_is_counted_and_logged);
	tcase_add_test(tc, test_T5_view_idle_timeout_close_logs_IdleConnTimeout_and_lingers);
	tcase_add_test(tc, test_P7_view_close_names_errTooManyIdleHost_and_limit);
	tcase_add_test(tc, test_G4_view_permit_wait_names_MaxConnsPerHost);
	tcase_add_test(tc, test_G2e_view_waiting_gauge_and_peak);
	tcase_add_test(tc, test_view_series_keeps_per_second_peaks_and_carries_forward);
	tcase_add_test(tc, test_view_log_ring_keeps_the_newest_lines);
	tcase_add_test(tc, test_view_log_shows_each_completion_with_its_latency);
	tcase_add_test(tc, test_P7_view_teach_holds_the_first_errTooManyIdleHost_close);
	tcase_add_test(tc, test_view_reused_slot_takes_the_lowest_free_position);
	tcase_add_test(tc, test_view_hosts_count_apart_and_log_names_the_host);
	tcase_add_test(tc, test_view_kernel_sample_per_host_and_total);
	tcase_add_test(tc, test_B1_view_leaked_body_marks_the_cell);
	tcase_add_test(tc, test_H5_view_h2_conn_shows_its_streams_against_the_servers_limit);
	tcase_add_test(tc, test_H1_view_h1_conn_has_no_streams);
	tcase_add_test(tc, test_H8_view_goaway_is_logged_and_the_conn_stays);
	tcase_add_test(tc, test_view_steady_state_reuses_its_arrays);
	tcase_add_test(tc, test_view_time_wait_and_ports_per_host_and_total);
	suite_add_tcase(s, tc);
	return s;
}
