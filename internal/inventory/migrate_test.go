package inventory

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
)

var newMigration = flag.String("new-migration", "", "write the schema difference as a new migration with this name")

// TestMigrationsMatchSchema applies every migration to an empty database
// and asks ent what it would still change: nothing, or the migrations are
// stale. Run with -new-migration=NAME to write the difference as the next
// migration (once per dialect: set RAILYARD_TEST_POSTGRES for PostgreSQL).
func TestMigrationsMatchSchema(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openRaw(t, dsn)
		if err := s.migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		var buf bytes.Buffer
		if err := s.client.Schema.WriteTo(ctx, &buf, schema.WithDropColumn(true), schema.WithDropIndex(true)); err != nil {
			t.Fatalf("schema diff: %v", err)
		}
		diff := stripTxLines(buf.String())
		if diff == "" {
			return
		}
		if *newMigration == "" {
			t.Fatalf("migrations for %s are behind the ent schema; run `go test ./internal/inventory -run TestMigrationsMatchSchema -new-migration=NAME`. Missing:\n%s", s.dialect, diff)
		}
		ms, _ := migrations(s.dialect)
		dir := map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[s.dialect]
		name := filepath.Join("migrations", dir, fmt.Sprintf("%04d_%s.sql", len(ms)+1, *newMigration))
		if err := os.WriteFile(name, []byte(diff), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", name)
	})
}

// stripTxLines drops the BEGIN/COMMIT that WriteTo wraps around its
// statements: the runner owns the transaction.
func stripTxLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		switch strings.TrimSpace(l) {
		case "", "BEGIN;", "COMMIT;", "-- Disable the enforcement of foreign-keys constraints", "-- Enable back the enforcement of foreign-keys constraints":
			continue
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

func TestMigrationsUpFromEmptyTwice(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		s := openRaw(t, dsn)
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			if err := s.migrate(ctx); err != nil {
				t.Fatalf("migrate pass %d: %v", i+1, err)
			}
		}
		ms, _ := migrations(s.dialect)
		var v int
		if err := s.db.QueryRow("SELECT MAX(version) FROM railyard_migrations").Scan(&v); err != nil || v != len(ms) {
			t.Fatalf("schema version = %d (%v), want %d", v, err, len(ms))
		}
	})
}

// TestMigrationsUpgradeAPopulatedDatabase applies each migration to a
// database that already holds a fleet written at the previous version,
// and checks that the fleet survives.
func TestMigrationsUpgradeAPopulatedDatabase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openRaw(t, dsn)
		if err := s.migrateTo(ctx, 1); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"INSERT INTO sites (id, name, description) VALUES (1, 's', '')",
			"INSERT INTO pods (id, name, site_id) VALUES (1, 'p', 1)",
			"INSERT INTO leaf_domains (id, name, pod_id) VALUES (1, 'l', 1)",
			"INSERT INTO racks (id, name, leaf_domain_id) VALUES (1, 'r', 1)",
			"INSERT INTO nodes (id, hostname, rack_id) VALUES (1, 'n1', 1)",
			"INSERT INTO gpus (id, node_id, " + s.quoteIdent("index") + ") VALUES (1, 1, 0)",
		} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := s.migrate(ctx); err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		var host string
		var cordoned bool
		if err := s.db.QueryRowContext(ctx, "SELECT hostname, cordoned FROM nodes WHERE id = 1").Scan(&host, &cordoned); err != nil || host != "n1" || cordoned {
			t.Fatalf("node after upgrade: %q cordoned=%v (%v)", host, cordoned, err)
		}
		var gpus int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM gpus WHERE node_id = 1").Scan(&gpus); err != nil || gpus != 1 {
			t.Fatalf("GPUs after upgrade: %d (%v)", gpus, err)
		}
	})
}
