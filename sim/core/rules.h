/*
 * rules.h: which pool rule (docs/go-transport-pool.md, G*, P*, S*, T*, B*, C*)
 * a record of the event stream is the outcome of, with the Go function it
 * comes from and a two-line explanation for people.
 *
 * The record is self-describing (kind, reason, flags), so the rule is derived
 * from it here, in one table, rather than carried in every record: --trace
 * prints the id, and teaching mode (watch/run --teach) prints the explanation
 * the first time each teachable rule fires. Pure: no I/O, no allocation.
 */
#ifndef POOLSIM_RULES_H
#define POOLSIM_RULES_H

#include "event.h"

struct ev_rule {
	const char *id;      /* "P7" */
	const char *go_func; /* "Transport.tryPutIdleConn" */
	const char *line1;   /* what happened, in Go's terms */
	const char *line2;   /* why it matters / what to look at */
	bool teach;          /* teaching mode pauses the first time it fires */
};

/* The rule behind `ev`, or NULL for records no rule decides (req_start, run_end, samples). */
const struct ev_rule *ev_rule_of(const struct ps_event *ev);

/* The rule's id, or "-". */
const char *ev_rule_id(const struct ps_event *ev);

/*
 * ev_rule_teach_text: the explanation teaching mode shows, two lines joined by
 * '\n' (no trailing newline): "RULE in GoFunction: line1\n  line2". For a
 * server action the lesson's [event] is named instead. Writes into buf.
 */
char *ev_rule_teach_text(const struct ps_event *ev, char *buf, size_t size);

/*
 * Teaching mode's memory: which teachable rules have fired. rule_tracker_first
 * returns the rule of `ev` the first time a teachable rule fires (and every
 * time a scenario [event] does), else NULL. Zero-initialise to start.
 */
struct rule_tracker {
	uint64_t seen; /* a bit per rule of rules.c's table */
};

const struct ev_rule *rule_tracker_first(struct rule_tracker *t, const struct ps_event *ev);

#endif
