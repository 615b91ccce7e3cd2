/*
 * verdict.c: compare's verdict rule (verdict.h). Pure arithmetic on the rows.
 */
#include "verdict.h"

#include <math.h>

double verdict_latency_tolerance_ms(const struct scenario *sc, double time_scale, double a,
                                    double b)
{
	double quickest = INFINITY;
	for (uint32_t h = 0; h < sc->n_hosts; h++) {
		const struct host_spec *hs = &sc->hosts[h];
		double ms = (double)(hs->dial_latency + (hs->tls ? hs->tls_latency : 0) +
		                     hs->service_time.lo) /
		            (double)PS_MS;
		if (ms < quickest)
			quickest = ms;
	}
	double tol = 0.25 * fmax(fabs(a), fabs(b));
	if (isfinite(quickest))
		tol = fmax(tol, 0.5 * quickest);
	return fmax(tol, 2.0 / (time_scale > 0 ? time_scale : 1.0));
}

enum verdict verdict_judge(const struct verdict_row *row, double other)
{
	double diff = fabs(other - row->sim);
	if (diff < 1e-9)
		return V_SAME;
	if (row->is_latency)
		return diff <= row->tolerance_ms ? V_CLOSE : V_DIFF;
	return diff <= fmax(1.0, 0.05 * fmax(fabs(row->sim), fabs(other))) ? V_CLOSE : V_DIFF;
}

int verdict_differs(const struct verdict_row *rows, int n)
{
	int differs = 0;
	for (int i = 0; i < n; i++) {
		if (rows[i].is_latency)
			continue;
		differs += verdict_judge(&rows[i], rows[i].real) == V_DIFF;
		if (!isnan(rows[i].go))
			differs += verdict_judge(&rows[i], rows[i].go) == V_DIFF;
	}
	return differs;
}

const char *verdict_word(enum verdict v, bool is_latency)
{
	if (is_latency)
		return v == V_SAME ? "same" : v == V_CLOSE ? "close" : "differs";
	return v == V_SAME ? "same" : v == V_CLOSE ? "close" : "DIFFERS";
}
