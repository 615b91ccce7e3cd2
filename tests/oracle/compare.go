// compare.go: `oracle compare`, the table behind run.sh: each file through
// poolsim's simulator once and through this oracle N times (same seed), then
// one row per file: the simulator's figure beside Go's min-max and a verdict.
// It must not judge anything but dials, reused and peak_open (failed is
// shown for reading only), and it never edits a file.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

var judged = []string{"dials", "reused", "peak_open"}
var shown = []string{"dials", "reused", "peak_open", "failed"}

type summary struct {
	Note   string           `json:"note"`
	Totals map[string]int64 `json:"totals"`
}

type row struct {
	file    string
	sim     *summary
	goRuns  []summary
	verdict string
	err     string
}

// A toolchain is one oracle binary, built with Go 1.<release>; path "" when
// this machine has no such Go: its files are then not checkable.
type toolchain struct {
	release int
	path    string
}

type toolchainFlags []toolchain

func (t *toolchainFlags) String() string { return fmt.Sprint(*t) }

func (t *toolchainFlags) Set(v string) error {
	rel, path, _ := strings.Cut(v, "=")
	n := parseRelease(rel)
	if n == 0 {
		return fmt.Errorf("want RELEASE=ORACLE (like 1.19=build/oracle/go1.19/oracle), not %q", v)
	}
	*t = append(*t, toolchain{n, path})
	return nil
}

func compareMain(args []string) int {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	runs := fs.Int("runs", 5, "Go runs per file (same seed)")
	budget := fs.Duration("budget", 3*time.Second, "wall time of one Go run, at most")
	strict := fs.Bool("strict", false, "exit 1 unless every file is exact under every toolchain")
	current := fs.String("current", "", "the release poolsim's go = current stands for (poolsim --version)")
	var chains toolchainFlags
	fs.Var(&chains, "toolchain", "RELEASE=ORACLE: check under that Go with that oracle binary (repeatable; default: this oracle)")
	fs.Parse(args)
	if fs.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: oracle compare [--runs N] [--budget D] [--strict] [--current R] [--toolchain R=ORACLE]... POOLSIM FILE...")
		return 2
	}
	if *current != "" {
		if err := setCurrent(*current); err != nil {
			fmt.Fprintln(os.Stderr, "oracle compare: --current:", err)
			return 2
		}
	}
	poolsim, files := fs.Arg(0), fs.Args()[1:]
	if len(chains) == 0 {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			return 1
		}
		chains = toolchainFlags{{ownRelease(), self}}
	}
	sort.Slice(chains, func(i, j int) bool { return chains[i].release < chains[j].release })
	tables := make([][]*row, len(chains))
	for _, f := range files {
		for i, tc := range chains {
			began := time.Now()
			rw := compareFile(poolsim, tc, f, *runs, *budget)
			tables[i] = append(tables[i], rw)
			fmt.Fprintf(os.Stderr, "  %-40s Go 1.%d  %-28s %5.1fs\n", filepath.Base(f), tc.release, rw.verdict, time.Since(began).Seconds())
		}
	}
	for i, tc := range chains {
		fmt.Printf("== under Go 1.%d: poolsim --go %s beside %s ==\n", tc.release, simGo(tc.release), oracleName(tc))
		printTable(os.Stdout, tables[i], *runs, *budget)
		fmt.Println()
	}
	bad := printVerdicts(os.Stdout, files, chains, tables)
	if *strict && bad > 0 {
		fmt.Printf("strict: %d of %d files are not exact under every Go\n", bad, len(files))
		return 1
	}
	return 0
}

// simGo: the --go poolsim gets for a toolchain's release.
func simGo(release int) string {
	if release == newestModelled {
		return "current"
	}
	return fmt.Sprintf("1.%d", release)
}

func oracleName(tc toolchain) string {
	if tc.path == "" {
		return "no oracle (no Go 1." + fmt.Sprint(tc.release) + " toolchain here)"
	}
	return "the oracle built with Go 1." + fmt.Sprint(tc.release)
}

// printVerdicts: one line per file, its verdict under each Go, and whether
// the release its own `go` key names could be checked here at all. Returns
// how many files are not exact under every toolchain.
func printVerdicts(w io.Writer, files []string, chains []toolchain, tables [][]*row) int {
	fmt.Fprintf(w, "%-40s %-24s", "file", "go key")
	for _, tc := range chains {
		fmt.Fprintf(w, "  %-20s", fmt.Sprintf("Go 1.%d", tc.release))
	}
	fmt.Fprintln(w)
	bad := 0
	for i, f := range files {
		key, own := fileRelease(f)
		fmt.Fprintf(w, "%-40s %-24s", filepath.Base(f), key)
		allExact, checked := true, false
		for j, tc := range chains {
			v := tables[j][i].verdict
			fmt.Fprintf(w, "  %-20s", v)
			allExact = allExact && v == "exact"
			checked = checked || (tc.release == own && tc.path != "")
		}
		if !allExact {
			bad++
		}
		if !checked && own != 0 {
			fmt.Fprintf(w, "  its own Go 1.%d: not checkable here", own)
		}
		fmt.Fprintln(w)
	}
	return bad
}

// fileRelease: the file's `go` key as written (or "(none) = current") and
// the release it names; 0 when the file does not load.
func fileRelease(file string) (string, int) {
	sc, err := loadScenario(file)
	if err != nil {
		return "?", 0
	}
	key := sc.goVersion
	if !sc.goSet {
		key = "(none) = current"
	}
	if key == "current" || !sc.goSet {
		key += fmt.Sprintf(" 1.%d", newestModelled)
	}
	return key, releaseOf(sc.goVersion)
}

func decodeAll(out []byte) ([]summary, error) {
	var all []summary
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var s summary
		if err := dec.Decode(&s); err == io.EOF {
			return all, nil
		} else if err != nil {
			return all, err
		}
		all = append(all, s)
	}
}

// runJSON runs a command with a deadline and decodes its JSON objects.
func runJSON(limit time.Duration, name string, args ...string) ([]summary, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", filepath.Base(name), err, strings.TrimSpace(stderr.String()))
	}
	return decodeAll(out)
}

func compareFile(poolsim string, tc toolchain, file string, runs int, budget time.Duration) *row {
	rw := &row{file: filepath.Base(file)}
	if tc.path == "" {
		rw.verdict = fmt.Sprintf("not checkable (no Go 1.%d)", tc.release)
		return rw
	}
	if sc, err := loadScenario(file); err == nil && tc.release < sc.needsRelease() {
		rw.verdict = fmt.Sprintf("not checkable (needs Go 1.%d)", sc.needsRelease())
		return rw
	}
	goKey := simGo(tc.release)
	sims, err := runJSON(time.Minute, poolsim, "run", file, "--json", "--go", goKey)
	if err != nil || len(sims) != 1 {
		rw.verdict, rw.err = "sim error", fmt.Sprint(err)
		return rw
	}
	rw.sim = &sims[0]
	limit := time.Duration(runs)*(budget+5*time.Second) + 10*time.Second
	rw.goRuns, err = runJSON(limit, tc.path, "--runs", fmt.Sprint(runs), "--budget", budget.String(),
		"--current", fmt.Sprintf("1.%d", newestModelled), "--go", goKey, file)
	if err != nil || len(rw.goRuns) != runs {
		rw.verdict, rw.err = "go error", fmt.Sprint(err)
		return rw
	}
	rw.verdict = judge(rw)
	return rw
}

func (rw *row) span(key string) (lo, hi int64) {
	for i, g := range rw.goRuns {
		v := g.Totals[key]
		if i == 0 || v < lo {
			lo = v
		}
		if i == 0 || v > hi {
			hi = v
		}
	}
	return lo, hi
}

// judge: exact when every Go run equals the simulator on every judged key;
// within when the simulator lies inside Go's min-max on each; DIFF otherwise.
func judge(rw *row) string {
	if rw.goRuns[0].Note != "" {
		return "not checkable"
	}
	exact := true
	var out []string
	for _, k := range judged {
		lo, hi := rw.span(k)
		s := rw.sim.Totals[k]
		if lo != s || hi != s {
			exact = false
		}
		if s < lo || s > hi {
			out = append(out, k)
		}
	}
	switch {
	case exact:
		return "exact"
	case len(out) == 0:
		return "within"
	}
	return "DIFF " + strings.Join(out, ",")
}

func printTable(w io.Writer, rows []*row, runs int, budget time.Duration) {
	head := []string{"file"}
	for _, k := range shown {
		head = append(head, k+" sim", "go")
	}
	head = append(head, "verdict")
	table := [][]string{head}
	counts := map[string]int{}
	for _, rw := range rows {
		cells := []string{rw.file}
		for _, k := range shown {
			if rw.sim == nil || rw.goRuns == nil {
				cells = append(cells, "-", "-")
				continue
			}
			g := "n/a"
			if rw.goRuns[0].Note == "" {
				lo, hi := rw.span(k)
				g = fmt.Sprint(lo)
				if hi != lo {
					g = fmt.Sprintf("%d-%d", lo, hi)
				}
			}
			cells = append(cells, fmt.Sprint(rw.sim.Totals[k]), g)
		}
		cells = append(cells, rw.verdict)
		table = append(table, cells)
		counts[strings.Fields(rw.verdict)[0]]++
	}
	width := make([]int, len(head))
	for _, r := range table {
		for i, c := range r {
			if len(c) > width[i] {
				width[i] = len(c)
			}
		}
	}
	for _, r := range table {
		var b strings.Builder
		for i, c := range r {
			if i == 0 || i == len(r)-1 {
				fmt.Fprintf(&b, "%-*s  ", width[i], c)
			} else {
				fmt.Fprintf(&b, "%*s  ", width[i], c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	for _, rw := range rows {
		if rw.err != "" {
			fmt.Fprintf(w, "%s: %s\n", rw.file, rw.err)
		}
	}
	fmt.Fprintf(w, "%d files, %d Go runs each (same seed, at most %s each): %d exact, %d within, %d DIFF, %d not checkable, %d errors\n",
		len(rows), runs, budget, counts["exact"], counts["within"], counts["DIFF"], counts["not"],
		counts["sim"]+counts["go"])
}
