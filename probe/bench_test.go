// bench_test.go: what the probe costs per request on loopback. Compare
// BenchmarkPlain with BenchmarkProbe (counts only) and
// BenchmarkProbeEvents (records written to io.Discard):
//
//	go test -run - -bench . -benchtime 20000x
package probe

import (
	"io"
	"net/http"
	"testing"
)

func benchGet(b *testing.B, c *http.Client, url string) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func benchServer(b *testing.B) string {
	return server(b, nil).URL
}

func BenchmarkPlain(b *testing.B) {
	url := benchServer(b)
	benchGet(b, &http.Client{Transport: &http.Transport{}}, url)
}

func BenchmarkProbe(b *testing.B) {
	url := benchServer(b)
	benchGet(b, Attach(&http.Transport{}).Client(), url)
}

func BenchmarkProbeEvents(b *testing.B) {
	url := benchServer(b)
	p := AttachWith(&http.Transport{}, Options{Events: Writer(io.Discard)})
	benchGet(b, p.Client(), url)
	b.StopTimer()
	p.Stop()
}
