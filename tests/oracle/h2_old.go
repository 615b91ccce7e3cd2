//go:build !go1.24

// h2_old.go: before Go 1.24 the bundled http2 server's MaxConcurrentStreams
// cannot be set from net/http (only golang.org/x/net/http2 can); it is 250.
package main

import (
	"fmt"
	"net/http"
)

func setMaxConcurrentStreams(srv *http.Server, n int) error {
	if n != 250 {
		return fmt.Errorf("max_concurrent_streams = %d needs Go 1.24 or later (Server.HTTP2); this Go's http2 server always allows 250", n)
	}
	return nil
}

// setStrictMaxConcurrentRequests: before Go 1.24 net/http cannot set it (only
// golang.org/x/net/http2's Transport has StrictMaxConcurrentStreams).
func setStrictMaxConcurrentRequests(tr *http.Transport) error {
	return fmt.Errorf("StrictMaxConcurrentRequests needs Go 1.24 or later (Transport.HTTP2); this Go's net/http cannot set it")
}
