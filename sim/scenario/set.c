/*
 * set.c: the --set overrides, read inside the parse as if the file had each
 * one as a line at the end of the section it names (scenario_load_with_sets):
 * the same value parsers and section checks, then the whole-file checks and
 * the `base` defaults. The key syntax is in scenario.h and docs/format.md.
 */
#include "reader.h"

#include <stdio.h>
#include <string.h>

/* What one --set names: a section, an instance ("" for singletons, "*" for all) and a key. */
struct set_target {
	enum section_kind kind;
	char name[SCENARIO_NAME_MAX];
	char key[200];
};

/* bare_set_key: "MaxIdleConnsPerHost" or "Timeout" without a section: [transport] or [client]. */
static bool bare_set_key(struct reader *r, const char *key, struct set_target *t)
{
	snprintf(t->key, sizeof t->key, "%s", key);
	if (key_lookup(SEC_TRANSPORT, key) >= 0 || key_lookup(SEC_CLIENT, key) >= 0) {
		t->kind = key_lookup(SEC_TRANSPORT, key) >= 0 ? SEC_TRANSPORT : SEC_CLIENT;
		return true;
	}
	static const char *const settable[TK_N + CK_N] = {
	    "MaxIdleConns",
	    "MaxIdleConnsPerHost",
	    "MaxConnsPerHost",
	    "IdleConnTimeout",
	    "DisableKeepAlives",
	    "TLSHandshakeTimeout",
	    "ResponseHeaderTimeout",
	    "DialTimeout",
	    "ForceAttemptHTTP2",
	    "StrictMaxConcurrentRequests",
	    "Timeout",
	};
	int near = nearest(key, settable, TK_N + CK_N);
	if (near >= 0)
		return fail(r, r->line, "unknown key '%s'; did you mean '%s'?", key,
		            settable[near]);
	enum section_kind owner = owning_section(SEC_NONE, key);
	if (owner >= SEC_HOST)
		return fail(r, r->line, "'%s' is a [%s] key; name the section: %s.NAME.%s", key,
		            section_words[owner], section_words[owner], key);
	if (owner != SEC_NONE)
		return fail(r, r->line, "'%s' is a [%s] key; write %s.%s", key,
		            section_words[owner], section_words[owner], key);
	return fail(r, r->line,
	            "unknown key '%s' (write KEY, SECTION.KEY or SECTION.NAME.KEY, e.g. "
	            "host.api.service_time)",
	            key);
}

/* parse_set_key: "transport.IdleConnTimeout", "host.api.v2.service_time" (names may hold dots). */
static bool parse_set_key(struct reader *r, const char *key, struct set_target *t)
{
	memset(t, 0, sizeof *t);
	const char *dot = strchr(key, '.');
	if (!dot)
		return bare_set_key(r, key, t);
	size_t wn = (size_t)(dot - key);
	for (int k = SEC_SCENARIO; k < SEC_COUNT; k++)
		if (strlen(section_words[k]) == wn && memcmp(section_words[k], key, wn) == 0)
			t->kind = (enum section_kind)k;
	if (t->kind == SEC_NONE)
		return fail(r, r->line,
		            "unknown section '%.*s' in '%s' (scenario, transport, client, host, "
		            "load or event)",
		            (int)(wn < 40 ? wn : 40), key, key);
	const char *rest = dot + 1, *last = strrchr(rest, '.');
	if (t->kind >= SEC_HOST) {
		if (!last || last == rest)
			return fail(r, r->line, "'%s' needs the %s's name: %s.NAME.KEY", key,
			            section_words[t->kind], section_words[t->kind]);
		size_t nn = (size_t)(last - rest);
		if (nn >= sizeof t->name)
			return fail(r, r->line, "the name in '%s' is too long", key);
		memcpy(t->name, rest, nn);
		rest = last + 1;
	}
	if (!*rest || strlen(rest) >= sizeof t->key)
		return fail(r, r->line, "'%s' names no key", key);
	snprintf(t->key, sizeof t->key, "%s", rest);
	return true;
}

/* kind_kept: a --set may change a load's workers, rate or count, not turn it into another kind. */
static bool kind_kept(struct reader *r, uint32_t i, int key)
{
	const struct load_spec *l = &r->sc->loads[i];
	for (int j = 0; j < LOAD_KINDS; j++)
		if (kind_keys[j] == key && j != (int)l->kind)
			return fail(
			    r, r->line,
			    "[load %s] is a %s load; --set changes its keys but not its kind "
			    "(no %s)",
			    l->name, kind_names[l->kind], kind_names[j]);
	return true;
}

/* set_in: the key of one section instance, parsed and checked as that section's line. */
static bool set_in(struct reader *r, enum section_kind kind, uint32_t index, const char *key,
                   const char *value)
{
	r->cur = kind;
	r->cur_index = index;
	int k = key_lookup(kind, key);
	if (k < 0)
		return unknown_key(r, key);
	if (!*value)
		return fail(r, r->line, "'%s' has no value", key);
	if (kind == SEC_LOAD && !kind_kept(r, index, k))
		return false;
	current_keys(r)->line[k] = r->line;
	return key_setters[kind](r, k, value) && end_section(r);
}

/* no_such_instance: "there is no [host ap]; hosts: api, db". */
static bool no_such_instance(struct reader *r, enum section_kind kind, const char *name)
{
	const struct scenario *sc = r->sc;
	uint32_t n = kind == SEC_HOST   ? sc->n_hosts
	             : kind == SEC_LOAD ? sc->n_loads
	                                : sc->n_actions;
	char list[300] = "";
	size_t used = 0;
	for (uint32_t i = 0; i < n && i < 8 && used < sizeof list; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
		                         kind == SEC_HOST   ? sc->hosts[i].name
		                         : kind == SEC_LOAD ? sc->loads[i].name
		                                            : sc->actions[i].name);
	if (n > 8 && used < sizeof list)
		snprintf(list + used, sizeof list - used, ", ...");
	return fail(r, r->line, "there is no [%s %s]; the %ss are: %s", section_words[kind], name,
	            section_words[kind], n ? list : "(none)");
}

static bool apply_set(struct reader *r, int i)
{
	const char *a = r->sets[i], *eq = strchr(a, '=');
	r->line = SET_LINE + i;
	if (!eq)
		return fail(r, r->line, "wants KEY=VALUE");
	const char *k = a, *v = eq + 1;
	size_t kn = (size_t)(eq - a), vn = strlen(v);
	trim(&k, &kn);
	trim(&v, &vn);
	char key[200], value[SCENARIO_MSG_MAX / 2];
	if (kn >= sizeof key || vn >= sizeof value)
		return fail(r, r->line, "key or value too long");
	snprintf(key, sizeof key, "%.*s", (int)kn, k);
	snprintf(value, sizeof value, "%.*s", (int)vn, v);
	struct set_target t;
	if (!parse_set_key(r, key, &t))
		return false;
	if (t.kind < SEC_HOST)
		return set_in(r, t.kind, 0, t.key, value);
	struct scenario *sc = r->sc;
	uint32_t n = t.kind == SEC_HOST   ? sc->n_hosts
	             : t.kind == SEC_LOAD ? sc->n_loads
	                                  : sc->n_actions;
	if (strcmp(t.name, "*") == 0) {
		for (uint32_t j = 0; j < n; j++)
			if (!set_in(r, t.kind, j, t.key, value))
				return false;
		return true;
	}
	uint32_t found =
	    t.kind == SEC_HOST ? index_find(&r->host_names, sc->hosts, sizeof *sc->hosts, t.name)
	    : t.kind == SEC_LOAD
	        ? index_find(&r->load_names, sc->loads, sizeof *sc->loads, t.name)
	        : index_find(&r->action_names, sc->actions, sizeof *sc->actions, t.name);
	if (found == PS_NONE)
		return no_such_instance(r, t.kind, t.name);
	return set_in(r, t.kind, found, t.key, value);
}

/* apply_sets: every --set in order, once the file's last section has ended. */
bool apply_sets(struct reader *r)
{
	if (!end_section(r))
		return false;
	for (int i = 0; i < r->n_sets; i++)
		if (!apply_set(r, i))
			return false;
	r->cur = SEC_NONE;
	return true;
}
