// release.go: Go releases as the scenario's `go` key names them. A release
// is "1.N"; `current` is the newest release poolsim models (its --version
// says which), and the oracle can only vouch for the release it was built
// with: runtime.Version().
package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// oldestModelled and newestModelled bound the `go` key, as in poolsim's
// scenario reader; `compare --current` overrides newestModelled with what
// poolsim --version reports.
const oldestModelled = 19

var newestModelled = 26

// parseRelease turns "1.N" (or "go1.N.P") into N; 0 if it is not one.
func parseRelease(s string) int {
	s = strings.TrimPrefix(s, "go")
	if !strings.HasPrefix(s, "1.") {
		return 0
	}
	rest := s[2:]
	if i := strings.IndexAny(rest, ".-+ "); i >= 0 {
		rest = rest[:i]
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 || fmt.Sprint(n) != rest {
		return 0
	}
	return n
}

// checkGoKey: the `go` key's rule, shared with poolsim (docs/format.md).
func checkGoKey(v string) error {
	if v == "current" {
		return nil
	}
	if n := parseRelease(v); n >= oldestModelled && n <= newestModelled && "1."+fmt.Sprint(n) == v {
		return nil
	}
	return fmt.Errorf("go must be current or a release from 1.%d to 1.%d, not %q", oldestModelled, newestModelled, v)
}

// releaseOf: the release a `go` value stands for.
func releaseOf(goKey string) int {
	if goKey == "current" {
		return newestModelled
	}
	return parseRelease(goKey)
}

// ownRelease: the release of the Go that built this oracle.
func ownRelease() int { return parseRelease(runtime.Version()) }

// setCurrent: --current R, the release poolsim's `current` stands for.
func setCurrent(v string) error {
	n := parseRelease(v)
	if n < oldestModelled || "1."+fmt.Sprint(n) != v {
		return fmt.Errorf("want a release like 1.26, not %q", v)
	}
	newestModelled = n
	return nil
}
