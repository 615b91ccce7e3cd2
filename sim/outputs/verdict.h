/*
 * verdict.h: compare's rule for "do these two runs agree" (docs/model.md,
 * "Comparing with real mode").
 *
 * A row is one number of the summary, simulated beside real (or Go). Count
 * rows decide: equal is `same`, within max(1, 5 % of the larger) `close`,
 * anything else DIFFERS. Latency rows are judged too, against a tolerance
 * relative to the scenario's own times (verdict_latency_tolerance_ms), and
 * shown with it, but never decide: loopback latency moves by milliseconds
 * from run to run, and identical counts must never flip the verdict.
 */
#ifndef POOLSIM_VERDICT_H
#define POOLSIM_VERDICT_H

#include "scenario.h"

enum verdict { V_SAME, V_CLOSE, V_DIFF };

struct verdict_row {
	char name[40];
	char block[16], key[24]; /* where the value sits in a JSON summary: "totals", "dials" */
	double sim, real, go;    /* go: NAN when there is no Go column */
	bool is_latency;
	double tolerance_ms; /* latency rows: the tolerance judged against */
};

/*
 * verdict_latency_tolerance_ms: max(25 % of the larger latency, half the
 * scenario's quickest request (the smallest dial_latency + tls_latency +
 * service_time of its hosts), 2 ms of wall time in scenario time).
 */
double verdict_latency_tolerance_ms(const struct scenario *sc, double time_scale, double a,
                                    double b);

/* The row's verdict for sim against `other` (its real or its go value). */
enum verdict verdict_judge(const struct verdict_row *row, double other);

/* Count rows that DIFFER (sim against real, and against go where present): the verdict. */
int verdict_differs(const struct verdict_row *rows, int n);

/* "same", "close", "DIFFERS"; a latency row's words are lower case: they inform, not decide. */
const char *verdict_word(enum verdict v, bool is_latency);

#endif
