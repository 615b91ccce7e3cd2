/*
 * sweep_plot.c: `poolsim sweep --plot FILE.svg`: the trade-off of a sweep.
 * Two panels share the x axis, the values of the first --vary key (evenly
 * spaced, in the order given): dials per second, and conn wait p99 (GetConn
 * to GotConn). One line per combination of the other --vary keys, named in
 * the legend; the point --goal picked is ringed. Deterministic: the same
 * sweep gives a byte-identical file.
 */
#include "sweep.h"

#include "plot.h"

#include <math.h>
#include <string.h>

#define W         1000
#define LEFT      90
#define RIGHT     250
#define TOP       60
#define PANEL_H   230
#define PANEL_GAP 70
#define AREA_W    (W - LEFT - RIGHT)
#define H         (TOP + 2 * PANEL_H + PANEL_GAP + 70)

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"};

/* nice_step: 1, 2 or 5 times a power of ten, so that about four steps cover top. */
static double nice_step(double top)
{
	if (!(top > 0))
		return 1;
	double raw = top / 4, mag = pow(10, floor(log10(raw)));
	double f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static double metric(const struct sweep_point *pt, int panel)
{
	return panel == 0 ? pt->dials_per_s : pt->wait_p99;
}

static double x_of(const struct sweep_plan *p, int a)
{
	int n = p->vary[0].n;
	return LEFT + (n == 1 ? AREA_W / 2.0 : AREA_W * (double)a / (n - 1));
}

static void panel(const struct sweep_report *rep, FILE *out, int which, int top)
{
	static const char *const names[] = {"dials per second (1/s)", "conn wait p99 (ms)"};
	const struct sweep_plan *p = rep->plan;
	long groups = rep->res->n / p->vary[0].n;
	double max = 0;
	for (long i = 0; i < rep->res->n; i++) {
		const struct sweep_point *pt = sweep_at(rep->res, i);
		if (pt->done && !pt->error && metric(pt, which) > max)
			max = metric(pt, which);
	}
	double step = nice_step(max), ymax = step * ceil(max / step);
	if (ymax <= 0)
		ymax = step * 4;
	int bottom = top + PANEL_H;
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
	        LEFT, top - 10, names[which]);
	fprintf(out,
	        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
	        "stroke=\"#888\"/>\n",
	        LEFT, top, AREA_W, PANEL_H);
	for (double v = 0; v <= ymax + step / 2; v += step) {
		double y = bottom - PANEL_H * v / ymax;
		fprintf(
		    out,
		    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		    "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%g</text>\n",
		    LEFT, y, LEFT + AREA_W, y, LEFT - 6, y + 4, v);
	}
	for (int a = 0; a < p->vary[0].n; a++) {
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
		        x_of(p, a), bottom + 16);
		plot_xml_text(out, p->vary[0].values[a]);
		fputs("</text>\n", out);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">",
	        LEFT + AREA_W / 2, bottom + 36);
	plot_xml_text(out, p->vary[0].key);
	fputs("</text>\n", out);
	for (long g = 0; g < groups; g++) {
		const char *colour = colours[g % (long)(sizeof colours / sizeof colours[0])];
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
		        colour);
		for (int a = 0; a < p->vary[0].n; a++) {
			const struct sweep_point *pt = sweep_at(rep->res, a * groups + g);
			if (pt->done && !pt->error)
				fprintf(out, "%s%.1f,%.1f", a ? " " : "", x_of(p, a),
				        bottom - PANEL_H * metric(pt, which) / ymax);
		}
		fputs("\"/>\n", out);
		for (int a = 0; a < p->vary[0].n; a++) {
			long i = a * groups + g;
			const struct sweep_point *pt = sweep_at(rep->res, i);
			if (!pt->done || pt->error)
				continue;
			double y = bottom - PANEL_H * metric(pt, which) / ymax;
			fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
			        x_of(p, a), y, colour);
			if (i == rep->chosen)
				fprintf(out,
				        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"9\" fill=\"none\" "
				        "stroke=\"#000\" stroke-width=\"2\"/>\n",
				        x_of(p, a), y);
		}
	}
}

static void legend(const struct sweep_report *rep, FILE *out)
{
	const struct sweep_plan *p = rep->plan;
	long groups = rep->res->n / p->vary[0].n;
	int x = LEFT + AREA_W + 20, y = TOP + 10;
	fprintf(out,
	        "<text x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\">legend</text>\n", x,
	        y);
	for (long g = 0; g < groups && g < 30; g++) {
		y += 18;
		fprintf(out,
		        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		        "stroke-width=\"3\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">",
		        x, y - 4, x + 20, y - 4,
		        colours[g % (long)(sizeof colours / sizeof colours[0])], x + 26, y);
		if (p->n_vary == 1)
			fputs("the sweep", out);
		for (int k = 1; k < p->n_vary; k++) {
			char buf[300];
			fputs(k > 1 ? ", " : "", out);
			plot_xml_text(out, sweep_assignment(p, g, k, buf, sizeof buf));
		}
		fputs("</text>\n", out);
	}
	if (groups > 30)
		fprintf(out,
		        "<text x=\"%d\" y=\"%d\" font-size=\"11\">... %ld lines in all</text>\n", x,
		        y + 18, groups);
	if (rep->chosen >= 0)
		fprintf(out,
		        "<circle cx=\"%d\" cy=\"%d\" r=\"7\" fill=\"none\" stroke=\"#000\" "
		        "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">the --goal's "
		        "pick</text>\n",
		        x + 10, y + 40, x + 26, y + 44);
}

int sweep_plot_write(const struct sweep_report *rep, const char *path)
{
	FILE *out = fopen(path, "w");
	if (!out)
		return -1;
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	        "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
	        "<text x=\"%d\" y=\"28\" font-size=\"16\" font-weight=\"bold\">",
	        W, H, W, H, W, H, LEFT);
	plot_xml_text(out, rep->title);
	fprintf(out, ": sweep of %ld point%s</text>\n", rep->res->n, rep->res->n == 1 ? "" : "s");
	panel(rep, out, 0, TOP + 20);
	panel(rep, out, 1, TOP + 20 + PANEL_H + PANEL_GAP);
	legend(rep, out);
	fputs("</svg>\n", out);
	if (ferror(out)) {
		fclose(out);
		return -1;
	}
	return fclose(out);
}
