package opensm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/railyard/railyard/drivers/opensm/opensmfake"
	"github.com/railyard/railyard/internal/fabric"
)

// FuzzParse: the parser never panics, its statements reassemble the
// file, and splicing is idempotent and keeps Railyard's partitions
// exactly as desired.
func FuzzParse(f *testing.F) {
	for _, n := range []string{"render-abc.txt", "splice-header-ab.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(opensmfake.Header)
	f.Add("Default=0x7fff,ipoib:ALL=full;\nry-x=0x8001 : 0x1=both, ALL ;\nry-x=0x1,ipoib,mtu=4 : 0x2 # c ; x\n;")
	f.Add("")
	desired := cfg("a", "c")
	f.Fuzz(func(t *testing.T, s string) {
		p := Parse(s)
		var b strings.Builder
		for _, st := range p.Statements {
			b.WriteString(st.Lead + st.Text)
		}
		b.WriteString(p.Trailing)
		if b.String() != s {
			t.Fatalf("statements do not reassemble the input")
		}
		p.Partitions()
		once, err := Splice(s, desired)
		if err != nil {
			return
		}
		if twice, err := Splice(once, desired); err != nil || twice != once {
			t.Fatalf("splice is not idempotent (%v):\n%q\n%q", err, once, twice)
		}
		got := fabric.DeviceConfig{Partitions: Parse(once).Partitions()}
		got.Normalize()
		want := desired.Clone()
		for i := range want.Partitions {
			want.Partitions[i].Tenant = ""
		}
		if d := cmp.Diff(want.Partitions, got.Partitions); d != "" {
			t.Fatalf("the spliced file's partitions (-want +got):\n%s", d)
		}
	})
}
