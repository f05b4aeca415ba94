package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/railyard/railyard/ent"
)

// forEachDialect runs fn against a fresh SQLite database and, when
// RAILYARD_TEST_POSTGRES names a server (postgres://...), a fresh
// PostgreSQL database on it. CI sets it; elsewhere the PostgreSQL half
// skips with a message.
func forEachDialect(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite:"+t.TempDir()+"/inventory.db")
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("RAILYARD_TEST_POSTGRES")
		if base == "" {
			t.Skip("RAILYARD_TEST_POSTGRES not set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); .ci/run starts a server and sets it")
		}
		fn(t, freshPostgres(t, base))
	})
}

var pgSeq atomic.Int64

// freshPostgres creates a database for one test and drops it afterwards.
func freshPostgres(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("railyard_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, pgSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	path, query, _ := strings.Cut(base, "?")
	i := strings.LastIndex(path, "/")
	dsn := path[:i+1] + name
	if query != "" {
		dsn += "?" + query
	}
	return dsn
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
