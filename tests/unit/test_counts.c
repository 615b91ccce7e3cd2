/*
 * test_counts.c: the --json summary (outputs/stats.c) and the dashboard's
 * view model (dashboard/view.c) must never disagree. Every lesson
 * (the .ini files of scenarios/) and every file of tests/scenarios/ is simulated with
 * both attached; after every record the counts each shows are compared, and
 * at the end every host's counts and the cells the view draws (dialing,
 * active, idle) must match the summary's gauges.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "stats.h"
#include "view.h"

struct both {
	const char *file;
	const struct stats *st;
	const struct view *v;
	int64_t records, mismatches;
};

/* The numbers the two show, by name, so a failure says which one differs. */
#define COUNT_FIELDS(X)                                                                            \
	X(requests)                                                                                \
	X(ok)                                                                                      \
	X(failed)                                                                                  \
	X(unfinished)                                                                              \
	X(retries)                                                                                 \
	X(dials)                                                                                   \
	X(dial_failures)                                                                           \
	X(tls_handshakes)                                                                          \
	X(reused)                                                                                  \
	X(permit_waits)                                                                            \
	X(closed)                                                                                  \
	X(open)                                                                                    \
	X(dialing)                                                                                 \
	X(active)                                                                                  \
	X(idle)                                                                                    \
	X(waiting)                                                                                 \
	X(leaked)                                                                                  \
	X(peak_open)                                                                               \
	X(peak_idle)                                                                               \
	X(peak_waiting)                                                                            \
	X(peak_active)

/* differs: the first count the summary and the view disagree on, or NULL. */
static const char *differs(const struct counts *a, const struct counts *b, int64_t *x, int64_t *y)
{
#define CMP(f)                                                                                     \
	if (a->f != b->f) {                                                                        \
		*x = a->f;                                                                         \
		*y = b->f;                                                                         \
		return #f;                                                                         \
	}
	COUNT_FIELDS(CMP)
#undef CMP
	for (int r = 0; r < R_CLOSE_CATEGORY_COUNT; r++)
		if (a->closes[r] != b->closes[r]) {
			*x = a->closes[r];
			*y = b->closes[r];
			return ev_reason_category_name((enum ev_reason)r);
		}
	return NULL;
}

static void compare(struct both *b, uint32_t host, ps_time t)
{
	int64_t x = 0, y = 0;
	const char *f =
	    differs(counter_counts(&b->st->count, host), view_counts(b->v, host), &x, &y);
	if (f && b->mismatches++ == 0)
		fprintf(stderr,
		        "%s: at t=%lld host %s: %s is %lld in the summary, %lld on screen\n",
		        b->file, (long long)t, host == PS_NONE ? "*" : b->st->sc->hosts[host].name,
		        f, (long long)x, (long long)y);
}

static void on_record(void *ctx, const struct ps_event *ev)
{
	struct both *b = ctx;
	b->records++;
	compare(b, PS_NONE, ev->t);
	if (ev->host < b->st->sc->n_hosts)
		compare(b, ev->host, ev->t);
}

/* cells_agree: the cells the view draws add up to the summary's gauges. */
static void cells_agree(struct both *b, uint32_t host)
{
	size_t n;
	const struct view_cell *cells = view_host_cells(b->v, host, &n);
	int64_t dialing = 0, active = 0, idle = 0;
	for (size_t i = 0; i < n; i++) {
		dialing += cells[i].state == VIEW_CELL_DIALING || cells[i].state == VIEW_CELL_TLS;
		active += cells[i].state == VIEW_CELL_ACTIVE;
		idle += cells[i].state == VIEW_CELL_IDLE;
	}
	const struct counts *c = &b->st->count.hosts[host];
	if (dialing != c->dialing || active != c->active || idle != c->idle) {
		fprintf(stderr,
		        "%s: host %s draws %lld dialing, %lld active, %lld idle; the summary has "
		        "%lld, %lld, %lld\n",
		        b->file, b->st->sc->hosts[host].name, (long long)dialing, (long long)active,
		        (long long)idle, (long long)c->dialing, (long long)c->active,
		        (long long)c->idle);
		b->mismatches++;
	}
}

/* check_file: 0 when the summary and the view agree on every record of the file's run. */
static int check_file(const char *path)
{
	struct scenario sc;
	struct scenario_error err;
	if (scenario_load(path, &sc, &err)) {
		fprintf(stderr, "%s:%d: %s\n", path, err.line, err.message);
		return 1;
	}
	struct stats st;
	ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
	struct view *v = view_create(&sc);
	ck_assert_ptr_nonnull(v);
	struct both b = {.file = path, .st = &st, .v = v};
	struct sim *s = sim_create(&sc);
	ck_assert_ptr_nonnull(s);
	sim_add_sink(s, stats_sink(&st));
	sim_add_sink(s, view_sink(v));
	sim_add_sink(s, (struct ev_sink){.on_event = on_record, .ctx = &b});
	sim_start(s);
	sim_run(s);
	sim_destroy(s);
	for (uint32_t h = 0; h < sc.n_hosts; h++) {
		compare(&b, h, st.end);
		cells_agree(&b, h);
	}
	ck_assert_int_gt(b.records, 0);
	view_destroy(v);
	stats_free(&st);
	scenario_free(&sc);
	return b.mismatches != 0;
}

/* check_dir: every .ini of dir; returns the number of files that disagree, *n the files run. */
static int check_dir(const char *dir, int *n)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s (run from the repository root)", dir);
	int bad = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".ini"))
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		bad += check_file(path);
		(*n)++;
	}
	closedir(d);
	return bad;
}

START_TEST(test_counts_summary_and_view_agree_on_every_lesson)
{
	int n = 0;
	ck_assert_int_eq(check_dir("scenarios", &n), 0);
	ck_assert_int_ge(n, 17);
}
END_TEST

START_TEST(test_counts_summary_and_view_agree_on_every_scenario_test)
{
	int n = 0;
	ck_assert_int_eq(check_dir("tests/scenarios", &n), 0);
	ck_assert_int_ge(n, 15);
}
END_TEST

/*
 * S3: a request that fails on a reused conn and is retried takes its reuse
 * back, on screen as in the summary (tests/scenarios/11 showed 1 on screen and
 * 0 in --json): one GotConn with a reused conn, then its retry.
 */
START_TEST(test_S3_counts_retry_takes_the_reuse_back)
{
	struct counter c;
	ck_assert_int_eq(counter_init(&c, 1), 0);
	struct ps_event ev = ev_make(EV_REQ_GOT_CONN, 0);
	ev.host = 0;
	ev.conn = 0;
	ev.flags = EVF_REUSED;
	counter_on_event(&c, &ev);
	ck_assert_int_eq(counter_counts(&c, 0)->reused, 1);
	ev = ev_make(EV_REQ_RETRY, 0);
	ev.host = 0;
	ev.flags = EVF_REUSED;
	counter_on_event(&c, &ev);
	ck_assert_int_eq(counter_counts(&c, 0)->reused, 0);
	ck_assert_int_eq(counter_counts(&c, PS_NONE)->reused, 0);
	ck_assert_int_eq(counter_counts(&c, PS_NONE)->retries, 1);
	counter_free(&c);
}
END_TEST

/*
 * A kernel sample carries its TIME_WAIT count in the record's conn field (real mode's and a
 * capture's): the counter keeps a state byte per conn slot, and must not grow to the count
 * (a sample of a billion TIME_WAIT sockets once cost a gigabyte of summary).
 */
START_TEST(test_counts_kernel_sample_grows_no_conn_state)
{
	struct counter c;
	ck_assert_int_eq(counter_init(&c, 1), 0);
	struct ps_event ev = ev_make(EV_KERNEL_SAMPLE, 0);
	ev.host = 0;
	ev.conn = 1000000000;
	counter_on_event(&c, &ev);
	ck_assert_uint_lt(c.cap_conns, 1000);
	counter_free(&c);
}
END_TEST

Suite *suite_counts(void)
{
	Suite *s = suite_create("counts");
	TCase *tc = tcase_create("summary-vs-view");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_counts_summary_and_view_agree_on_every_lesson);
	tcase_add_test(tc, test_counts_summary_and_view_agree_on_every_scenario_test);
	tcase_add_test(tc, test_S3_counts_retry_takes_the_reuse_back);
	tcase_add_test(tc, test_counts_kernel_sample_grows_no_conn_state);
	suite_add_tcase(s, tc);
	return s;
}
