/*
 * oracle.c: the Go oracle for `compare --go` (oracle.h): the toolchain of a
 * release, the oracle built with it when missing or stale, and its run.
 */
#include "oracle.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "subprocess.h"

#define PREFIX "poolsim compare --go: "

/* exe_dir: the folder of this binary, malloc'd; NULL after a message. Read whole, however long
 * (readlink truncates silently). */
static char *exe_dir(void)
{
	for (size_t size = 256; size <= (1u << 20); size *= 2) {
		char *buf = malloc(size);
		if (!buf)
			break;
		ssize_t n = readlink("/proc/self/exe", buf, size);
		if (n < 0) {
			fprintf(stderr, "poolsim: cannot find this program's folder: %s\n",
			        strerror(errno));
			free(buf);
			return NULL;
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			char *slash = strrchr(buf, '/');
			if (slash)
				*slash = '\0';
			return buf;
		}
		free(buf);
	}
	fprintf(stderr, "poolsim: cannot find this program's folder: out of memory\n");
	return NULL;
}

/* toolchain_for: the go that runs `release`'s net/http, or NULL: only Debian's Go 1.19 and the
 * `go` on PATH (the current Go) are known; $GO119 and $GO override them, as in run.sh. */
static const char *toolchain_for(int release)
{
	const char *env = NULL;
	if (release == GO_RELEASE_OLDEST)
		return (env = getenv("GO119")) && *env ? env : "/usr/lib/go-1.19/bin/go";
	if (release == GO_RELEASE_CURRENT)
		return (env = getenv("GO")) && *env ? env : "go";
	return NULL;
}

/* release_of_toolchain: the release `go env GOVERSION` reports ("go1.26.8" is 126), 0 if none. */
static int release_of_toolchain(const char *go, const sigset_t *stop)
{
	const char *argv[] = {go, "env", "GOVERSION", NULL};
	const char *env[] = {"GOTOOLCHAIN=local", NULL};
	struct subprocess_request rq = {
	    .argv = argv, .env = env, .capture = true, .max_output = 256, .stop = stop};
	struct subprocess_result res;
	int minor = 0;
	if (subprocess_run(&rq, &res) == 0 && sscanf(res.output, "go1.%d", &minor) != 1)
		minor = 0;
	free(res.output);
	return minor > 0 ? 100 + minor : 0;
}

static bool later(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* newer_source: a .go file or go.mod in `dir` is newer than `t` (false if there is no `dir`). */
static bool newer_source(const char *dir, struct timespec t)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool newer = false;
	for (struct dirent *e; !newer && (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (strcmp(e->d_name, "go.mod") && (n < 3 || strcmp(e->d_name + n - 3, ".go")))
			continue;
		char *path = NULL;
		struct stat s;
		if (asprintf(&path, "%s/%s", dir, e->d_name) >= 0 && !stat(path, &s))
			newer = later(s.st_mtim, t);
		free(path);
	}
	closedir(d);
	return newer;
}

/* stale: the oracle at `bin` is missing, or older than a .go file or go.mod of `src` or of
 * the probe package it counts with (its go.mod: replace poolsim/probe => ../../probe). */
static bool stale(const char *bin, const char *src)
{
	struct stat b;
	if (stat(bin, &b) || access(bin, X_OK))
		return true;
	if (newer_source(src, b.st_mtim))
		return true;
	char *probe = NULL;
	bool older = asprintf(&probe, "%s/../../probe", src) >= 0 && newer_source(probe, b.st_mtim);
	free(probe);
	return older;
}

/* find_source: tests/oracle of the tree this binary was built in (build/poolsim,
 * build/clang/poolsim), malloc'd; NULL for an installed binary. */
static char *find_source(const char *dir)
{
	static const char *const ups[] = {"/..", "/../.."};
	for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
		char *mod = NULL;
		if (asprintf(&mod, "%s%s/tests/oracle/go.mod", dir, ups[i]) < 0)
			return NULL;
		if (!access(mod, R_OK)) {
			*strrchr(mod, '/') = '\0';
			return mod;
		}
		free(mod);
	}
	return NULL;
}

/* ended: turn a failed subprocess_run into a message and *rc. */
static void ended(const struct subprocess_result *res, const char *what, int *rc)
{
	char why[160];
	if (res->interrupted) {
		*rc = PS_EXIT_SIGNAL + res->stop_signal;
		fprintf(stderr, PREFIX "interrupted while %s\n", what);
	} else {
		*rc = PS_EXIT_FAIL;
		fprintf(stderr, PREFIX "%s failed: %s\n", what,
		        subprocess_describe(res, why, sizeof why));
	}
}

/* build: `go build -o BIN .` in `src` (into BIN.PID, then renamed: two compares at once
 * never run a half-written oracle). GOTOOLCHAIN=local, GOPROXY=off, GOFLAGS=-mod=mod: the
 * oracle uses the standard library only, so nothing is ever downloaded. */
static int build(const char *go, const char *src, const char *bin, const char *cache, int release,
                 const sigset_t *stop, int *rc)
{
	char *tmp = NULL, *gocache = NULL;
	if (asprintf(&tmp, "%s.%ld", bin, (long)getpid()) < 0)
		tmp = NULL;
	if (asprintf(&gocache, "GOCACHE=%s", cache) < 0)
		gocache = NULL;
	if (!tmp || !gocache) {
		free(tmp);
		free(gocache);
		*rc = PS_EXIT_FAIL;
		fprintf(stderr, PREFIX "out of memory\n");
		return -1;
	}
	fprintf(stderr, PREFIX "building the Go 1.%d oracle with %s (a few seconds)\n",
	        release % 100, go);
	const char *argv[] = {go, "build", "-o", tmp, ".", NULL};
	const char *env[] = {"GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS=-mod=mod", gocache, NULL};
	struct subprocess_request rq = {.argv = argv, .env = env, .dir = src, .stop = stop};
	struct subprocess_result res;
	int failed = subprocess_run(&rq, &res);
	if (failed)
		ended(&res, "building the oracle", rc);
	else if (rename(tmp, bin)) {
		failed = -1;
		*rc = PS_EXIT_FAIL;
		fprintf(stderr, PREFIX "cannot put the oracle at %s: %s\n", bin, strerror(errno));
	}
	if (failed)
		unlink(tmp);
	free(res.output);
	free(tmp);
	free(gocache);
	return failed;
}

/* make_dirs: DIR/oracle and DIR/oracle/go1.N (run.sh's layout under build/). */
static int make_dirs(const char *oracle_dir, const char *release_dir)
{
	if ((mkdir(oracle_dir, 0777) && errno != EEXIST) ||
	    (mkdir(release_dir, 0777) && errno != EEXIST)) {
		fprintf(stderr, PREFIX "cannot make %s: %s\n", release_dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* built_oracle: the oracle for `release` beside this binary, built first if missing or stale;
 * malloc'd, or NULL after a message with *rc set. */
static char *built_oracle(int release, const sigset_t *stop, int *rc)
{
	*rc = PS_EXIT_USAGE;
	const char *go = toolchain_for(release);
	if (!go) {
		fprintf(stderr,
		        PREFIX
		        "go = 1.%d is not checkable here: only Go %s (Debian's golang-1.19-go) "
		        "and the current Go %s have a toolchain\n",
		        release % 100, GO_RELEASE_OLDEST_NAME, GO_RELEASE_CURRENT_NAME);
		return NULL;
	}
	char *dir = exe_dir();
	if (!dir)
		return NULL;
	char *src = find_source(dir);
	char *oracle_dir = NULL, *release_dir = NULL, *bin = NULL, *cache = NULL;
	bool ok = asprintf(&oracle_dir, "%s/oracle", dir) >= 0 &&
	          asprintf(&release_dir, "%s/go1.%d", oracle_dir, release % 100) >= 0 &&
	          asprintf(&bin, "%s/oracle", release_dir) >= 0 &&
	          asprintf(&cache, "%s/gocache-1.%d", oracle_dir, release % 100) >= 0;
	int have = 0;
	if (!ok) {
		fprintf(stderr, PREFIX "out of memory\n");
	} else if (!src || !stale(bin, src)) {
		if (!access(bin, X_OK))
			have = 1;
		else
			fprintf(
			    stderr,
			    PREFIX
			    "no Go oracle at %s (%s), and no tests/oracle to build it "
			    "from: run `make oracle` in the source tree, or set POOLSIM_ORACLE\n",
			    bin, strerror(errno));
	} else {
		int got = release_of_toolchain(go, stop);
		if (got == 0)
			fprintf(stderr,
			        PREFIX "go = 1.%d is not checkable here: no Go at %s (%s)\n",
			        release % 100, go,
			        release == GO_RELEASE_OLDEST ? "install golang-1.19-go"
			                                     : "put the current Go on PATH");
		else if (got != release)
			fprintf(stderr, PREFIX "go = 1.%d is not checkable here: %s is Go 1.%d\n",
			        release % 100, go, got % 100);
		else if (!make_dirs(oracle_dir, release_dir) &&
		         !build(go, src, bin, cache, release, stop, rc))
			have = 1;
	}
	free(dir);
	free(src);
	free(oracle_dir);
	free(release_dir);
	free(cache);
	if (have)
		return bin;
	free(bin);
	return NULL;
}

char *oracle_prepare(const struct scenario *sc, const sigset_t *stop, int *rc)
{
	*rc = PS_EXIT_USAGE;
	const char *fixed = getenv("POOLSIM_ORACLE");
	if (!fixed)
		return built_oracle(sc->go, stop, rc);
	if (access(fixed, X_OK)) {
		fprintf(stderr, PREFIX "no Go oracle at %s (%s)\n", fixed, strerror(errno));
		return NULL;
	}
	char *copy = strdup(fixed);
	if (!copy)
		fprintf(stderr, PREFIX "out of memory\n");
	return copy;
}

char *oracle_run(const struct cli_opts *o, const struct scenario *sc, const char *oracle,
                 const sigset_t *stop, int *rc)
{
	char scale[32], seed[32], key[16];
	snprintf(scale, sizeof scale, "%.17g", o->time_scale);
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
	scenario_go_key(sc, key, sizeof key);
	/* A file named like a flag ("-x.ini") is passed as "./-x.ini", never as an option. */
	char *dashed = NULL;
	const char *path = sc->path;
	if (path[0] == '-' && asprintf(&dashed, "./%s", path) < 0)
		dashed = NULL;
	const char *argv[12] = {oracle, "--scale", scale};
	int n = 3;
	if (o->seed_set) {
		argv[n++] = "--seed";
		argv[n++] = seed;
	}
	argv[n++] = dashed ? dashed : path;
	argv[n++] = "--go";
	argv[n++] = key;
	argv[n++] = "--current";
	argv[n++] = GO_RELEASE_CURRENT_NAME;
	struct subprocess_request rq = {.argv = argv, .capture = true, .stop = stop};
	struct subprocess_result res;
	int failed = subprocess_run(&rq, &res);
	free(dashed);
	*rc = PS_EXIT_FAIL;
	if (failed) {
		ended(&res, "the Go oracle", rc);
	} else if (res.truncated || !strstr(res.output, "\"totals\"")) {
		fprintf(stderr,
		        PREFIX "the Go oracle printed no summary (%zu bytes, no \"totals\")\n",
		        res.output_len);
	} else if (strstr(res.output, "\"note\"")) {
		*rc = PS_EXIT_USAGE;
		fprintf(stderr,
		        PREFIX "the oracle at %s is not the Go this file names: not checkable\n",
		        oracle);
	} else {
		*rc = 0;
		return res.output;
	}
	free(res.output);
	return NULL;
}
