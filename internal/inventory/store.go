// Package inventory is Railyard's source of truth: the fleet stored in SQLite
// (the embedded default) or PostgreSQL through ent. It is the only
// hand-written package that imports ent.
//
// Writes are transactional and recorded: Import diffs a fleet file against
// the stored inventory and writes only the differences, in one transaction,
// each as a Change in the history. Reads return model types or the small
// row types of this package; Changes and Subscribe feed Watch.
//
// The schema is created and upgraded by versioned SQL migrations embedded
// from migrations/<dialect>/NNNN_name.sql, applied in order at Open. A test
// checks that the migrations produce exactly ent's schema.
package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/mattn/go-sqlite3"

	"github.com/railyard/railyard/ent"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrInvalid       = errors.New("invalid argument")
	ErrAlreadyExists = errors.New("already exists")
	ErrConflict      = errors.New("conflict")
)

// Store is the inventory. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	client  *ent.Client
	dialect string
	now     func() time.Time

	// writeMu serialises writers in this process; SQLite allows one
	// writer at a time anyway, and PostgreSQL transactions stay short.
	writeMu sync.Mutex

	subMu sync.Mutex
	subs  map[chan struct{}]struct{}

	hier hierCache
}

// sqliteDriver is go-sqlite3 with Railyard's per-connection settings:
// reads through mmap (no read syscall per page), temporary tables in memory.
const sqliteDriver = "sqlite3-railyard"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA mmap_size = 4294967296; PRAGMA temp_store = MEMORY", nil)
			return err
		},
	})
}

// Open opens the inventory at dsn and applies pending migrations.
//
// dsn is a SQLite file path (railyard.db), a sqlite: URL
// (sqlite:/var/lib/railyard.db, sqlite::memory: for a private in-memory
// database) or a PostgreSQL URL (postgres://user:pass@host/db).
func Open(ctx context.Context, dsn string) (*Store, error) {
	drv, dia, conn, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(drv, conn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dia, err)
	}
	if dia == dialect.SQLite {
		// One connection: SQLite has a single writer, and a private
		// in-memory database lives only as long as its connection.
		// Reads are fast enough that a pool buys little here.
		db.SetMaxOpenConns(1)
	} else {
		db.SetMaxOpenConns(16)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dia, err)
	}
	s := &Store{
		db:      db,
		client:  ent.NewClient(ent.Driver(entsql.OpenDB(dia, db))),
		dialect: dia,
		now:     time.Now,
		subs:    map[chan struct{}]struct{}{},
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// parseDSN picks the database/sql driver, ent dialect and connection string.
func parseDSN(dsn string) (driver, dia, conn string, err error) {
	switch {
	case dsn == "":
		return "", "", "", fmt.Errorf("%w: empty database address", ErrInvalid)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "pgx", dialect.Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
		if dsn == ":memory:" {
			return sqliteDriver, dialect.SQLite, "file::memory:?_fk=1&_txlock=immediate", nil
		}
	case strings.Contains(dsn, "://"):
		return "", "", "", fmt.Errorf("%w: unsupported database address %q (want a file path, sqlite:PATH or postgres://...)", ErrInvalid, dsn)
	}
	path, query, _ := strings.Cut(dsn, "?")
	params := "_fk=1&_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_txlock=immediate&_cache_size=-131072"
	if query != "" {
		params += "&" + query
	}
	return sqliteDriver, dialect.SQLite, "file:" + path + "?" + params, nil
}

// Dialect reports the database in use: "sqlite3" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// quoteIdent quotes an identifier that is a reserved word in SQL.
func (s *Store) quoteIdent(name string) string {
	if s.dialect == dialect.Postgres {
		return `"` + name + `"`
	}
	return "`" + name + "`"
}

// Close closes the database.
func (s *Store) Close() error {
	s.client.Close()
	return s.db.Close()
}

// Subscribe returns a channel that receives a value (coalesced) whenever
// this process commits changes, and a function to unsubscribe. Watchers
// also poll, to see changes that other replicas commit.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.subMu.Lock()
	s.subs[ch] = struct{}{}
	s.subMu.Unlock()
	return ch, func() {
		s.subMu.Lock()
		delete(s.subs, ch)
		s.subMu.Unlock()
	}
}

func (s *Store) notify() {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// withTx runs fn in a transaction, committing if it returns nil.
func (s *Store) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (and rollback failed: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
