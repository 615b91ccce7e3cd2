// rng.go: poolsim's random streams (sim/rng.c: xoshiro256** seeded per stream
// with splitmix64), bit for bit, so a seed gives the oracle the same arrival
// times and service times as the simulator. It must not be used for anything
// the simulator does not draw.
package main

import (
	"math"
	"math/bits"
	"time"
)

// Stream numbers of sim/client.c (loads) and sim/simnet.c (hosts).
const (
	loadStream = 1000
	hostStream = 2000
)

type xoshiro struct{ s [4]uint64 }

func splitmix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newXoshiro(seed, stream uint64) *xoshiro {
	r := &xoshiro{}
	x := seed ^ (stream * 0xd1b54a32d192ed03)
	for i := range r.s {
		r.s[i] = splitmix64(&x)
	}
	return r
}

func (r *xoshiro) next() uint64 {
	s := &r.s
	result := bits.RotateLeft64(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = bits.RotateLeft64(s[3], 45)
	return result
}

func (r *xoshiro) uniform01() float64 { return float64(r.next()>>11) * 0x1.0p-53 }

// exp is rng_exp: an exponential sample of the given mean, rounded to the ns.
func (r *xoshiro) exp(mean float64) time.Duration {
	v := -math.Log(1.0-r.uniform01()) * mean
	if v >= float64(math.MaxInt64/2) {
		return math.MaxInt64 / 2
	}
	return time.Duration(math.Round(v))
}

// sample is rng_dist for a host's service_time.
func (r *xoshiro) sample(s serviceTime) time.Duration {
	switch s.kind {
	case svcExp:
		return r.exp(float64(s.a))
	case svcUniform:
		if s.b <= s.a {
			return s.a
		}
		return s.a + time.Duration(r.uniform01()*float64(s.b-s.a))
	}
	return s.a
}
