package smoke

import (
	"bytes"
	"testing"
	"time"
	"io"

	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/fleetgen"
)

func TestBigYAML(t *testing.T) {
	for _, g := range []int{2048, 4096, 8192} {
	f, _ := fleetgen.Generate(fleetgen.Spec{GPUs: g})
	t0 := time.Now()
	var b bytes.Buffer
	if err := fleetfile.EncodeYAML(&b, f); err != nil { t.Fatal(err) }
	t.Logf("%d: encode %d MB in %v", g, b.Len()>>20, time.Since(t0))
	data := b.Bytes()
	t0 = time.Now()
	if _, err := fleetfile.DecodeYAML(bytes.NewReader(data), "big.yaml"); err != nil { t.Fatal(err) }
	t.Logf("decode in %v", time.Since(t0))
	t0 = time.Now()
	b.Reset()
	if err := fleetfile.EncodeCSV(&b, f); err != nil { t.Fatal(err) }
	t.Logf("csv encode %d MB in %v", b.Len()>>20, time.Since(t0))
	t0 = time.Now()
	if _, err := fleetfile.DecodeCSV(&b, "big.csv"); err != nil { t.Fatal(err) }
	t.Logf("csv decode in %v", time.Since(t0))
	_ = io.Discard
	}
}
