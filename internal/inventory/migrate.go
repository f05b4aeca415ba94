package inventory

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one versioned schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the migrations of a dialect in version order.
func migrations(dia string) ([]migration, error) {
	dir := path.Join("migrations", map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[dia])
	entries, err := fs.ReadDir(migrationFS, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations for %s: version %d where %d was expected", dia, m.version, i+1)
		}
	}
	return ms, nil
}

// migrate applies the pending migrations, each in its own transaction with
// its version recorded. On PostgreSQL an advisory lock keeps replicas that
// start together from migrating twice.
func (s *Store) migrate(ctx context.Context) error { return s.migrateTo(ctx, -1) }

// migrateTo applies the pending migrations up to version upTo (-1: all).
func (s *Store) migrateTo(ctx context.Context, upTo int) error {
	ms, err := migrations(s.dialect)
	if err != nil {
		return err
	}
	if upTo >= 0 && upTo < len(ms) {
		ms = ms[:upTo]
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.dialect == dialect.Postgres {
		const lockID = 0x7261696c79617264 // "railyard"
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS railyard_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM railyard_migrations").Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) && upTo < 0 {
		return fmt.Errorf("database schema version %d is newer than this railyard (%d): upgrade railyard", current, len(ms))
	}
	for _, m := range ms[min(current, len(ms)):] {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
		ins := "INSERT INTO railyard_migrations (version, name) VALUES (?, ?)"
		if s.dialect == dialect.Postgres {
			ins = "INSERT INTO railyard_migrations (version, name) VALUES ($1, $2)"
		}
		if _, err := tx.ExecContext(ctx, ins, m.version, m.name); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %04d: %w", m.version, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %04d: %w", m.version, err)
		}
	}
	return nil
}
