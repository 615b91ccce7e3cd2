//go:build go1.24

// h2_new.go: Go 1.24 and later set the http2 server's stream limit through
// Server.HTTP2.
package main

import "net/http"

func setMaxConcurrentStreams(srv *http.Server, n int) error {
	srv.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: n}
	return nil
}

// setStrictMaxConcurrentRequests (H5b): a request that finds every HTTP/2 conn
// full waits for a stream instead of dialing (Transport.HTTP2, Go 1.24+).
func setStrictMaxConcurrentRequests(tr *http.Transport) error {
	tr.HTTP2 = &http.HTTP2Config{StrictMaxConcurrentRequests: true}
	return nil
}
