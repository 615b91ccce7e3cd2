/*
 * test_plot.c: Check tests of the SVG chart (sim/outputs/plot.c): small scenarios
 * run through the simulator with the plot and stats sinks, the SVG written
 * to memory and searched. It writes no files.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "sim.h"
#include "stats.h"

#define TWO_HOSTS                                                                                  \
	"[scenario]\nname = Two hosts, one restart\nduration = 2s\n\n"                             \
	"[transport]\nMaxConnsPerHost = 3\n\n"                                                     \
	"[host api]\nservice_time = 50ms\n\n[host auth]\ntls = true\nservice_time = 5ms\n\n"       \
	"[load a]\nhost = api\nworkers = 5\nthink = 10ms\n\n"                                      \
	"[load b]\nhost = auth\nworkers = 1\nthink = 100ms\n\n"                                    \
	"[event r]\nat = 1s\nhost = api\naction = restart\n"

/* plot_run: load `text`, simulate it with plot and stats sinks, return the SVG (free it). */
static char *plot_run(const char *text)
{
	struct scenario sc;
	struct scenario_error err;
	ck_assert_msg(scenario_load_string(text, "t.ini", &sc, &err) == 0, "line %d: %s", err.line,
	              err.message);
	struct stats st;
	ck_assert_int_eq(stats_init(&st, &sc, "sim"), 0);
	struct sim *s = sim_create(&sc);
	struct plot *p = plot_create(&sc, &st);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(p);
	sim_add_sink(s, plot_sink(p)); /* before stats, as cmd_run does */
	sim_add_sink(s, stats_sink(&st));
	sim_start(s);
	sim_run(s);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(plot_write(p, out), 0);
	fclose(out);
	plot_destroy(p);
	sim_destroy(s);
	stats_free(&st);
	scenario_free(&sc);
	return buf;
}

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

START_TEST(test_plot_write_is_svg_with_title_and_hosts)
{
	char *svg = plot_run(TWO_HOSTS);
	ck_assert_msg(strncmp(svg, "<svg", 4) == 0, "starts with: %.40s", svg);
	ck_assert_ptr_nonnull(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	ck_assert_ptr_nonnull(strstr(svg, "viewBox=\"0 0 1000 "));
	ck_assert_ptr_nonnull(strstr(svg, "Two hosts, one restart"));
	ck_assert_ptr_nonnull(strstr(svg, ">api<"));
	ck_assert_ptr_nonnull(strstr(svg, ">auth<"));
	ck_assert_int_eq(occurrences(svg, "<svg"), 1);
	size_t len = strlen(svg);
	ck_assert_str_eq(svg + len - 7, "</svg>\n");
	free(svg);
}
END_TEST

START_TEST(test_plot_write_draws_a_polyline_per_series_per_host)
{
	char *svg = plot_run(TWO_HOSTS);
	ck_assert_int_eq(occurrences(svg, "<polyline"), 2 * 4);
	const char *series[] = {"open", "active", "idle", "waiting"};
	for (int i = 0; i < 4; i++) {
		char cls[32];
		snprintf(cls, sizeof(cls), "<polyline class=\"%s\"", series[i]);
		ck_assert_int_eq(occurrences(svg, cls), 2);
	}
	free(svg);
}

END_TEST

START_TEST(test_plot_write_labels_the_limits)
{
	char *svg = plot_run(TWO_HOSTS);
	ck_assert_ptr_nonnull(strstr(svg, "MaxConnsPerHost 3<"));
	/* P7: MaxIdleConnsPerHost 0 is DefaultMaxIdleConnsPerHost = 2 */
	ck_assert_ptr_nonnull(strstr(svg, "MaxIdleConnsPerHost 2 (0 means 2)<"));
	free(svg);
}
END_TEST

START_TEST(test_plot_write_marks_server_actions)
{
	char *svg = plot_run(TWO_HOSTS);
	ck_assert_ptr_nonnull(strstr(svg, ">restart</text>"));
	/* the restart closes the api conns: an orange "server" tick and its legend entry */
	ck_assert_ptr_nonnull(strstr(svg, "stroke=\"#ff7f0e\""));
	ck_assert_ptr_nonnull(strstr(svg, ">close: server<"));
	free(svg);
}
END_TEST

START_TEST(test_plot_write_is_byte_identical_across_runs)
{
	char *a = plot_run(TWO_HOSTS);
	char *b = plot_run(TWO_HOSTS);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_plot_write_escapes_xml_in_the_title)
{
	char *svg = plot_run("[scenario]\nname = a<b & \"c\"\nduration = 1s\n\n[host api]\n\n"
	                     "[load w]\nhost = api\nworkers = 1\n");
	ck_assert_ptr_nonnull(strstr(svg, "a&lt;b &amp; &quot;c&quot;"));
	ck_assert_ptr_null(strstr(svg, "a<b"));
	ck_assert_ptr_null(strstr(svg, "& \""));
	free(svg);
}
END_TEST

START_TEST(test_plot_write_caps_panels_at_8_hosts)
{
	char text[2048] = "[scenario]\nduration = 1s\n\n";
	for (int h = 0; h < 10; h++) {
		char sec[128];
		snprintf(sec, sizeof(sec), "[host h%d]\n\n[load l%d]\nhost = h%d\nworkers = 1\n\n",
		         h, h, h);
		strcat(text, sec);
	}
	char *svg = plot_run(text);
	ck_assert_int_eq(occurrences(svg, "<polyline"), 8 * 4);
	ck_assert_ptr_nonnull(strstr(svg, "(2 more hosts not shown)"));
	ck_assert_ptr_nonnull(strstr(svg, ">h7<"));
	ck_assert_ptr_null(strstr(svg, ">h8<"));
	free(svg);
}
END_TEST

/* 12 requests of 1 ms in a 100 s run: a bucket is 166 ms, the spike is 1 ms and still shows in full
 */
START_TEST(test_plot_sink_keeps_the_max_within_a_bucket)
{
	char *svg = plot_run("[scenario]\nduration = 100s\n\n[host api]\nservice_time = 1ms\n\n"
	                     "[load burst]\nhost = api\ncount = 12\nstart = 50s\n");
	ck_assert_msg(strstr(svg, "peak open 12, active 12, idle 2, waiting 12") != NULL,
	              "peaks missing: %.400s", strstr(svg, "peak") ? strstr(svg, "peak") : svg);
	free(svg);
}
END_TEST

Suite *suite_plot(void)
{
	Suite *s = suite_create("plot");
	TCase *tc = tcase_create("svg");
	tcase_add_test(tc, test_plot_write_is_svg_with_title_and_hosts);
	tcase_add_test(tc, test_plot_write_draws_a_polyline_per_series_per_host);
	tcase_add_test(tc, test_plot_write_labels_the_limits);
	tcase_add_test(tc, test_plot_write_marks_server_actions);
	tcase_add_test(tc, test_plot_write_is_byte_identical_across_runs);
	tcase_add_test(tc, test_plot_write_escapes_xml_in_the_title);
	tcase_add_test(tc, test_plot_write_caps_panels_at_8_hosts);
	tcase_add_test(tc, test_plot_sink_keeps_the_max_within_a_bucket);
	suite_add_tcase(s, tc);
	return s;
}
