package carve

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkPlace measures one placement decision on an H100-shaped fleet
// filled to about 75% by a power-law mix of blocks (make bench-carve runs
// the full trace comparison).
func BenchmarkPlace(b *testing.B) {
	for _, pods := range []int{8, 64} {
		nodes := shape(pods, 8, 32, 1, 8) // pods × 8 SUs × 32 nodes
		b.Run(fmt.Sprintf("gpus=%d", len(nodes)*8), func(b *testing.B) {
			s := newState(b, nodes)
			r := rand.New(rand.NewPCG(1, 2))
			size := func() int {
				k := 1 << r.IntN(6) // 1..32 nodes
				return k * 8
			}
			for used := 0; used < len(nodes)*8*3/4; {
				p, err := s.Place(Request{Tenant: "t", GPUs: size()})
				if err != nil {
					break
				}
				if err := s.Apply(p); err != nil {
					b.Fatal(err)
				}
				used += p.After.GPUs
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Place(Request{Tenant: "t", GPUs: size(), Required: LevelPod}); err != nil {
					if r := (*Refusal)(nil); !errors.As(err, &r) {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
