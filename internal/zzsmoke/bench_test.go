package smoke

import (
	"testing"

	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/validate"
)

func BenchmarkValidate(b *testing.B) {
	f, _ := fleetgen.Generate(fleetgen.Spec{GPUs: 100000})
	for b.Loop() {
		validate.Fleet(f)
	}
}
func BenchmarkGen(b *testing.B) {
	for b.Loop() {
		fleetgen.Generate(fleetgen.Spec{GPUs: 100000})
	}
}
