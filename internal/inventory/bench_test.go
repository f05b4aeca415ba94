package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/railyard/railyard/internal/fleetgen"
	"github.com/railyard/railyard/internal/model"
)

// rowCount counts the rows an import of f writes (records, not history).
func rowCount(f *model.Fleet) int {
	r := flatten(f)
	return len(r.sites) + len(r.pods) + len(r.leafDomains) + len(r.racks) + len(r.fabrics) + len(r.nvlDomains) +
		len(r.switches) + len(r.switchPorts) + len(r.nodes) + len(r.gpus) + len(r.nics) + len(r.nicPorts) +
		len(r.links) + len(r.tenants)
}

// BenchmarkImport imports a generated fleet into an empty SQLite file:
// every record and its history entry, in one transaction.
// Target (issue 2): 100,000 GPUs (12,500 nodes, all NICs and links) under 60 s.
func BenchmarkImport(b *testing.B) {
	for _, gpus := range []int{10_000, 100_000} {
		f, err := fleetgen.Generate(fleetgen.Spec{GPUs: gpus, Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("gpus=%d", gpus), func(b *testing.B) {
			b.ReportMetric(float64(rowCount(f)), "rows")
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := Open(context.Background(), "sqlite:"+b.TempDir()+"/bench.db")
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := s.Import(context.Background(), f, ImportOptions{Actor: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if res.Created != rowCount(f) {
					b.Fatalf("created %d rows, want %d", res.Created, rowCount(f))
				}
				s.Close()
			}
		})
	}
}

// BenchmarkRawInsertBaseline is the baseline for BenchmarkImport: the same
// number of rows plus as many history rows, written with prepared INSERTs
// of comparable width in one transaction, no ORM, no diff. The ratio
// import/baseline is what Railyard's diffing, ent and history cost.
func BenchmarkRawInsertBaseline(b *testing.B) {
	for _, gpus := range []int{10_000, 100_000} {
		f, err := fleetgen.Generate(fleetgen.Spec{GPUs: gpus, Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		rows := rowCount(f)
		b.Run(fmt.Sprintf("gpus=%d", gpus), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db, err := sql.Open("sqlite3", "file:"+b.TempDir()+"/raw.db?_journal_mode=WAL&_synchronous=NORMAL")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.Exec(`CREATE TABLE rec (id integer PRIMARY KEY, key text UNIQUE, a text, b text, c text, d integer, e integer);
					CREATE TABLE hist (id integer PRIMARY KEY, kind text, key text, subject text, op text, after text)`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				tx, _ := db.Begin()
				rs, _ := tx.Prepare("INSERT INTO rec (key, a, b, c, d, e) VALUES (?, ?, ?, ?, ?, ?)")
				hs, _ := tx.Prepare("INSERT INTO hist (kind, key, subject, op, after) VALUES (?, ?, ?, ?, ?)")
				for j := 0; j < rows; j++ {
					k := fmt.Sprintf("key-%d", j)
					if _, err := rs.Exec(k, "aaaaaaaa", "bbbbbbbbbbbb", "cccccccc", j, j); err != nil {
						b.Fatal(err)
					}
					if _, err := hs.Exec("gpu", k, "node", "create", `{"node":"bench-n0001","index":1,"uuid":"GPU-00000000-0000-0000-0000-000000000000","model":"H100-SXM5-80GB"}`); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
			}
		})
	}
}
