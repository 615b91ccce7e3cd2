/*
 * errors.c: the scenario reader's first error (fail) and its warnings (warn),
 * and the suggestions behind "did you mean": edit distance to the known
 * section, key and host names.
 */
#include "visible.h"
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- errors */

__attribute__((format(printf, 3, 4))) bool fail(struct reader *r, int line, const char *fmt, ...)
{
	if (r->failed)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
	va_end(ap);
	r->err->line = line;
	r->failed = true;
	return false;
}

/* warn appends one line, "FILE:LINE: msg\n"; a line that does not fit is dropped whole. */
__attribute__((format(printf, 2, 3))) void warn(struct reader *r, const char *fmt, ...)
{
	char msg[SCENARIO_MSG_MAX], line[SCENARIO_MSG_MAX + 300], shown[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (is_set_line(r->line))
		snprintf(line, sizeof line, "--set: %s\n", msg);
	else
		snprintf(line, sizeof line, "%s:%d: %s\n",
		         visible_text(shown, sizeof shown, r->path), r->line, msg);
	char *w = r->sc->warnings;
	size_t used = strlen(w), add = strlen(line);
	if (used + add < sizeof r->sc->warnings)
		memcpy(w + used, line, add + 1);
}

/* ------------------------------------------------------------ suggestions */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* edit_distance: Levenshtein, ignoring ASCII case; long inputs are "far". */
int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 1000;
	int row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
			int best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* close_enough: a typo, not a different word: at most 2 edits, or a third of the word. */
bool close_enough(int dist, const char *candidate)
{
	int len = (int)strlen(candidate);
	return dist <= 2 || dist * 3 <= len;
}

/* nearest: index of the closest of names[0..n) to word, or -1 when none is close. */
int nearest(const char *word, const char *const *names, int n)
{
	int best = -1, best_dist = 1000;
	for (int i = 0; i < n; i++) {
		if (!names[i][0])
			continue;
		int d = edit_distance(word, names[i]);
		if (d < best_dist && close_enough(d, names[i])) {
			best = i;
			best_dist = d;
		}
	}
	return best;
}

void section_label(const struct reader *r, enum section_kind kind, uint32_t index, char *buf,
                   size_t size)
{
	const char *name = "";
	if (kind == SEC_HOST)
		name = r->sc->hosts[index].name;
	else if (kind == SEC_LOAD)
		name = r->sc->loads[index].name;
	else if (kind == SEC_ACTION)
		name = r->sc->actions[index].name;
	snprintf(buf, size, "[%s%s%s]", section_words[kind], name[0] ? " " : "", name);
}

void join_keys(enum section_kind kind, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < key_tables[kind].n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
		                         key_tables[kind].names[i]);
}

int key_lookup(enum section_kind kind, const char *name)
{
	for (int i = 0; i < key_tables[kind].n; i++)
		if (strcmp(key_tables[kind].names[i], name) == 0)
			return i;
	return -1;
}

/* owning_section: the other section that has this key (exactly, or but for case). */
enum section_kind owning_section(enum section_kind not_this, const char *name)
{
	for (int kind = SEC_SCENARIO; kind < SEC_COUNT; kind++) {
		if (kind == (int)not_this)
			continue;
		for (int i = 0; i < key_tables[kind].n; i++)
			if (edit_distance(name, key_tables[kind].names[i]) == 0)
				return (enum section_kind)kind;
	}
	return SEC_NONE;
}

bool unknown_key(struct reader *r, const char *name)
{
	char label[SCENARIO_NAME_MAX + 16], keys[300];
	section_label(r, r->cur, r->cur_index, label, sizeof label);
	int near = nearest(name, key_tables[r->cur].names, key_tables[r->cur].n);
	if (near >= 0)
		return fail(r, r->line, "unknown key '%s' in %s; did you mean '%s'?", name, label,
		            key_tables[r->cur].names[near]);
	enum section_kind owner = owning_section(r->cur, name);
	if (owner == SEC_HOST || owner == SEC_LOAD || owner == SEC_ACTION)
		return fail(r, r->line, "unknown key '%s' in %s; it belongs in a [%s NAME] section",
		            name, label, section_words[owner]);
	if (owner != SEC_NONE)
		return fail(r, r->line, "unknown key '%s' in %s; it belongs in [%s]", name, label,
		            section_words[owner]);
	join_keys(r->cur, keys, sizeof keys);
	return fail(r, r->line, "unknown key '%s' in %s; known keys: %s", name, label, keys);
}
