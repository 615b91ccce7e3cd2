package main

import (
	"io"
	"testing"
)

// Two hosts, one worker each, 5 requests in turn, keep-alive: each host
// dials once and reuses 4 times; the ending CloseIdleConnections closes the
// two idle conns (error). No records dropped (there is no sink).
func TestExampleCounts(t *testing.T) {
	c, err := parse([]string{"-hosts", "2", "-workers", "1", "-requests", "5", "-service", "0s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := run(c)
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != 10 || st.OK != 10 || st.Dials != 2 || st.Reused != 8 || st.MaxOpen != 2 ||
		st.ErrorClosed != 2 || st.Closed != 2 || len(st.Hosts) != 2 {
		t.Fatalf("%+v", st)
	}
}

func TestExampleBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-workers", "0"}, {"-body", "leak"}, {"-metrics", "0.0.0.0:80"}, {"extra"}} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
