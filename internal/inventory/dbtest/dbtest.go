// Package dbtest gives tests a fresh database of each dialect the store
// supports: always SQLite, and PostgreSQL when RAILYARD_TEST_POSTGRES names
// a server (scripts/postgres.sh starts one; .ci/run sets it).
package dbtest

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// EnvPostgres names the environment variable with the PostgreSQL server's
// URL.
const EnvPostgres = "RAILYARD_TEST_POSTGRES"

// ForEachDialect runs fn as a subtest against a fresh SQLite database and,
// when EnvPostgres is set, a fresh PostgreSQL database; without it the
// PostgreSQL half skips with a message.
func ForEachDialect(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite:"+t.TempDir()+"/railyard.db")
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv(EnvPostgres)
		if base == "" {
			t.Skip(EnvPostgres + " not set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); .ci/run starts a server and sets it")
		}
		fn(t, FreshPostgres(t, base))
	})
}

var seq atomic.Int64

// FreshPostgres creates a database on the server at base for one test,
// drops it when the test ends, and returns its URL.
func FreshPostgres(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("railyard_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, seq.Add(1))
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
