package download

import "math"

// MaxConnectionsPerHost caps the connections fetchd opens to one host:port,
// over every download running at once, and the connections of one
// download. It is aria2's own maximum per server (-x16). The automatic rule
// only gets there while each step still adds throughput.
const MaxConnectionsPerHost = 16

// rateSample is one observation of a download: how many connections were
// receiving for the whole window, and the total rate over it.
type rateSample struct {
	conns int
	rate  float64 // bytes per second
}

// connRule decides how many connections a download wants, from what it
// observed. It sees only samples in which the connections it last asked
// for were all receiving, so it needs no clock.
type connRule interface {
	want() int
	observe(rateSample) int
}

// autoRule starts with one connection and doubles while doubling pays:
// a step is kept when the connections it added delivered at least
// keepShare of what the ones before them did each; a step that scaled
// almost perfectly (fastShare) is followed by quadrupling, so a link that
// caps each connection is filled in few steps. When a step pays less,
// the rule settles on the connections that paid for themselves (the
// earlier count plus the added connections' worth) and stops
// probing. One connection that fills the link stays one connection.
// (A step's gain is rounded to the nearest connection, so noise of a few
// percent does not keep a connection the link had no use for.)
type autoRule struct {
	max     int
	cur     int     // connections asked for
	base    float64 // rate with baseN connections
	baseN   int
	settled bool
}

// keepShare is how much of an average connection's rate each added
// connection must bring for the step to stand.
const keepShare = 0.75

// fastShare is the gain per added connection above which the next step
// quadruples.
const fastShare = 0.9

func newAutoRule(max int) *autoRule {
	return &autoRule{max: max, cur: 1}
}

func (a *autoRule) want() int { return a.cur }

func (a *autoRule) observe(s rateSample) int {
	if a.settled || s.conns != a.cur || s.rate <= 0 {
		return a.cur
	}
	if a.baseN == 0 {
		a.base, a.baseN = s.rate, s.conns
		return a.grow(2)
	}
	perConn := a.base / float64(a.baseN)
	gained := (s.rate - a.base) / perConn // connections' worth the step added
	added := float64(a.cur - a.baseN)
	if gained >= keepShare*added {
		a.base, a.baseN = s.rate, a.cur
		if gained >= fastShare*added {
			return a.grow(4)
		}
		return a.grow(2)
	}
	n := a.baseN
	if gained > 0 {
		n += int(math.Round(gained))
	}
	a.cur = min(max(n, a.baseN), a.cur)
	a.settled = true
	return a.cur
}

// grow multiplies the connections asked for by f, up to max; at max it
// settles.
func (a *autoRule) grow(f int) int {
	if a.cur >= a.max {
		a.settled = true
		return a.cur
	}
	a.cur = min(a.cur*f, a.max)
	return a.cur
}

// fixedRule asks for n connections from the start.
type fixedRule struct{ n int }

func (f fixedRule) want() int              { return f.n }
func (f fixedRule) observe(rateSample) int { return f.n }

// sourceSample is one source's part of a window: its connections that
// were receiving for the whole window and the bytes they received.
type sourceSample struct {
	conns int
	rate  float64
}

// slowFactor: a source whose connections each deliver less than
// 1/slowFactor of the best source's is slow.
const slowFactor = 4

// slowSources returns the indexes of the sources that are slow in this
// window: each of their connections brings less than a quarter of what
// each connection of the fastest source does. Sources without a
// connection for the whole window are not judged.
func slowSources(ss []sourceSample) []int {
	best := 0.0
	for _, s := range ss {
		if s.conns > 0 {
			best = max(best, s.rate/float64(s.conns))
		}
	}
	var slow []int
	for i, s := range ss {
		if s.conns > 0 && s.rate/float64(s.conns)*slowFactor < best {
			slow = append(slow, i)
		}
	}
	return slow
}
