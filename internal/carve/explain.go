package carve

import (
	"fmt"
	"slices"
	"strings"
)

// Refusal explains, in numbers, why a request cannot be placed now.
type Refusal struct {
	// Request restates what was asked: "256 H100 GPUs (32 nodes) for acme
	// within one leaf domain".
	Request string
	Reasons []Reason
}

// Reason is one cause of a refusal.
type Reason struct {
	// Code is stable: quota, capacity, fragmented, segments, reserved,
	// unavailable.
	Code    string
	Message string
}

// Error joins the request and its reasons.
func (r *Refusal) Error() string {
	var b strings.Builder
	b.WriteString("cannot place ")
	b.WriteString(r.Request)
	for i, x := range r.Reasons {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(x.Message)
	}
	return b.String()
}

// Has reports whether the refusal gives a reason with the code.
func (r *Refusal) Has(code string) bool {
	for _, x := range r.Reasons {
		if x.Code == code {
			return true
		}
	}
	return false
}

func (r *Refusal) add(code, format string, args ...any) {
	r.Reasons = append(r.Reasons, Reason{Code: code, Message: fmt.Sprintf(format, args...)})
}

// refuse builds the refusal for a request of k nodes (0: sub-node) from
// the search's counts, which must be those of the full eligible set.
func (q *search) refuse(req *Request, k int32, quotaLeft int) *Refusal {
	s, t := q.s, q.t
	r := &Refusal{Request: q.describe(req, k)}
	if quotaLeft >= 0 && req.GPUs > quotaLeft {
		quota, _ := s.Quota(req.Tenant, req.GPUModel)
		r.add("quota", "quota allows %d more %s GPUs for %s (holds %d of %d)",
			quotaLeft, req.GPUModel, req.Tenant, s.use[req.Tenant][req.GPUModel], quota)
	}

	// Count the request's model's nodes by why they are not free.
	why := map[string]int{}
	domainsWith := map[string]map[int32]bool{} // reason → domains at the required level
	total, free := 0, 0
	reservedBy := map[string]bool{}
	level := req.Required
	if level == 0 {
		level = LevelSite
	}
	for i := q.lo; i < q.hi; i++ {
		n := &t.nodes[i]
		if n.model != q.model {
			continue
		}
		total++
		var w string
		switch {
		case n.gpus != q.perNode:
			w = whyOtherModel
		case s.why[i] != "":
			w = s.why[i]
		case s.used[i] != 0:
			w = whyInBlock
		case s.reserved[i] >= 0 && s.resv[s.reserved[i]].Tenant != q.tenant:
			w = whyReserved
			reservedBy[s.resv[s.reserved[i]].Name] = true
		}
		if w == "" {
			free++
			continue
		}
		why[w]++
		if w != whyInBlock && w != whyReserved {
			if domainsWith[w] == nil {
				domainsWith[w] = map[int32]bool{}
			}
			domainsWith[w][n.up[level]] = true
		}
	}
	where := "in the fleet"
	if req.Site != "" {
		where = "at site " + req.Site
	}
	if k == 0 {
		r.add("capacity", "no %s node %s has %d free healthy GPUs (%d nodes: %d wholly free, %s)",
			q.model, where, req.GPUs, total, free, orNone(sortedReasons(why)))
		return r
	}
	if int32(free) < k {
		r.add("capacity", "only %d %s GPUs (%d nodes) are free %s; of its %d %s nodes: %s",
			free*q.perNode, q.model, free, where, total, q.model, orNone(sortedReasons(why)))
	} else if q.seg > 1 && q.sum(LevelSite) < k {
		r.add("segments", "segments of %d nodes must each sit in one %s: only %d whole segments are free, %d needed",
			q.seg, q.segLevel.Noun(), q.sum(LevelSite)/q.seg, k/q.seg)
	} else {
		d := q.largestFreeDomain(level)
		largest, name := int32(0), ""
		if d >= 0 {
			largest, name = q.cap[level][d], t.doms[level][d].name
		}
		msg := fmt.Sprintf("the largest free %s has %d GPUs (%d nodes)", level.Noun(), largest*int32(q.perNode), largest)
		if name != "" {
			msg += ": " + name
		}
		r.add("fragmented", "%s", msg)
	}
	for _, w := range []string{string("maintenance"), "failed", whyCordoned, whyUnhealthy, "discovered"} {
		if n := len(domainsWith[w]); n > 0 && level < LevelSite {
			r.add("unavailable", "%d %ss have nodes %s", n, level.Noun(), describeWhy(w))
		}
	}
	if len(reservedBy) > 0 {
		names := make([]string, 0, len(reservedBy))
		for n := range reservedBy {
			names = append(names, n)
		}
		slices.Sort(names)
		r.add("reserved", "%d nodes are reserved for other tenants (%s)", why[whyReserved], strings.Join(names, ", "))
	}
	return r
}

func describeWhy(w string) string {
	switch w {
	case whyCordoned, whyUnhealthy:
		return w
	default:
		return "in " + w
	}
}

func orNone(s string) string {
	if s == "" {
		return "none is taken"
	}
	return s
}

// sum is the free capacity of all searched domains at level l.
func (q *search) sum(l Level) int32 {
	a, b := q.domRange(l)
	var n int32
	for d := a; d < b; d++ {
		n += q.cap[l][d]
	}
	return n
}

// describe restates a request in words.
func (q *search) describe(req *Request, k int32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s GPUs", req.GPUs, q.model)
	if k > 0 {
		fmt.Fprintf(&b, " (%d nodes)", k)
	}
	fmt.Fprintf(&b, " for %s", req.Tenant)
	if req.Required != 0 && req.Required < LevelSite {
		fmt.Fprintf(&b, " within one %s", req.Required.Noun())
	}
	if q.seg > 1 {
		fmt.Fprintf(&b, " in segments of %d nodes per %s", q.seg, q.segLevel.Noun())
	}
	if req.Site != "" {
		fmt.Fprintf(&b, " at site %s", req.Site)
	}
	return b.String()
}
