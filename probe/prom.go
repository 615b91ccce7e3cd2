// prom.go: Handler, the counts in the Prometheus text exposition format
// (version 0.0.4), one series per host.
package probe

import (
	"bufio"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

type promMetric struct {
	name, kind, help string
	get              func(*HostStats) int64
}

var promMetrics = []promMetric{
	{"open_connections", "gauge", "Connections open now: dialing, in use and idle.", func(h *HostStats) int64 { return h.OpenConnections }},
	{"dialing_connections", "gauge", "Connections whose TCP connect or TLS handshake is in progress.", func(h *HostStats) int64 { return h.Dialing }},
	{"in_use_connections", "gauge", "Connections held by a request.", func(h *HostStats) int64 { return h.InUse }},
	{"idle_connections", "gauge", "Connections in the idle pool (inferred).", func(h *HostStats) int64 { return h.Idle }},
	{"waiting_requests", "gauge", "Requests waiting for a connection (GetConn to GotConn).", func(h *HostStats) int64 { return h.Waiting }},
	{"max_open_connections", "gauge", "Most connections open at once since the start.", func(h *HostStats) int64 { return h.MaxOpen }},
	{"requests_total", "counter", "Requests started.", func(h *HostStats) int64 { return h.Requests }},
	{"requests_failed_total", "counter", "Requests that ended in an error.", func(h *HostStats) int64 { return h.Failed }},
	{"dials_total", "counter", "Dials started, failed ones included.", func(h *HostStats) int64 { return h.Dials }},
	{"dial_failures_total", "counter", "Dials (or TLS handshakes) that failed.", func(h *HostStats) int64 { return h.DialFailures }},
	{"reused_total", "counter", "Requests served on a connection that had served an earlier one.", func(h *HostStats) int64 { return h.Reused }},
}

// Handler serves Stats() in the Prometheus text format: gauges and
// counters per host (label host="addr:port"), closes per host and reason,
// and the event records dropped.
func (p *Probe) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		bw := bufio.NewWriter(w)
		writeProm(bw, p.Stats())
		bw.Flush()
	})
}

func writeProm(w *bufio.Writer, st Stats) {
	names := make([]string, 0, len(st.Hosts))
	for n := range st.Hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, m := range promMetrics {
		full := "poolsim_probe_" + m.name
		w.WriteString("# HELP " + full + " " + m.help + "\n# TYPE " + full + " " + m.kind + "\n")
		for _, n := range names {
			h := st.Hosts[n]
			w.WriteString(full + "{host=" + promLabel(n) + "} " + strconv.FormatInt(m.get(&h), 10) + "\n")
		}
	}
	full := "poolsim_probe_closes_total"
	w.WriteString("# HELP " + full + " Connections closed, by poolsim's close reason (inferred).\n# TYPE " + full + " counter\n")
	for _, n := range names {
		h := st.Hosts[n]
		for r := Reason(0); r < NumReasons; r++ {
			w.WriteString(full + "{host=" + promLabel(n) + ",reason=\"" + r.String() + "\"} " +
				strconv.FormatInt(h.Closes[r], 10) + "\n")
		}
	}
	full = "poolsim_probe_events_dropped_total"
	w.WriteString("# HELP " + full + " Event records dropped because the buffer was full.\n# TYPE " + full + " counter\n")
	w.WriteString(full + " " + strconv.FormatInt(st.EventsDropped, 10) + "\n")
}

// promLabel quotes a label value: backslash, double quote and newline escaped.
func promLabel(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
