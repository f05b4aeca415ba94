package inventory

import (
	"context"
	"database/sql"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/internal/inventory/dbtest"
)

// forEachDialect runs fn against a fresh SQLite database and, when
// RAILYARD_TEST_POSTGRES is set, a fresh PostgreSQL database.
func forEachDialect(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	dbtest.ForEachDialect(t, fn)
}

// openRaw opens a store without migrating it.
func openRaw(t *testing.T, dsn string) *Store {
	t.Helper()
	drv, dia, conn, err := parseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(drv, conn)
	if err != nil {
		t.Fatal(err)
	}
	if dia == "sqlite3" {
		db.SetMaxOpenConns(1)
	}
	t.Cleanup(func() { db.Close() })
	return &Store{db: db, client: ent.NewClient(ent.Driver(entsql.OpenDB(dia, db))), dialect: dia, now: time.Now, subs: map[chan struct{}]struct{}{}}
}

// openStore opens a migrated store on dsn, closed at the end of the test.
func openStore(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
