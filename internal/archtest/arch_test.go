package archtest

import (
	"bytes"
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/railyard/railyard"

type pkg struct {
	Dir        string
	ImportPath string
	Name       string
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// generated reports packages written entirely by a generator.
func generated(path string) bool {
	rel := strings.TrimPrefix(path, module+"/")
	return strings.HasPrefix(rel, "ent/") && rel != "ent/schema"
}

// TestPackageDocs: every hand-written package has exactly one file with a
// package doc comment.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if generated(p.ImportPath) {
			continue
		}
		var withDoc []string
		for _, f := range append(p.GoFiles, p.CgoFiles...) {
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if file.Doc != nil && strings.HasPrefix(file.Doc.Text(), "Package "+p.Name) || file.Doc != nil && p.Name == "main" && strings.HasPrefix(file.Doc.Text(), "Command ") {
				withDoc = append(withDoc, f)
			}
		}
		switch len(withDoc) {
		case 0:
			t.Errorf("%s: no package doc (add a doc.go that says what the package owns)", p.ImportPath)
		case 1:
		default:
			t.Errorf("%s: package doc in more than one file: %v", p.ImportPath, withDoc)
		}
	}
}

// rule bans dependencies (direct or not) of the packages under a prefix.
type rule struct {
	pkgs string            // import path relative to the module; a trailing / covers subpackages
	bans map[string]string // banned import path prefix → why
}

// except names, per rule, subpackages the rule does not cover (they have
// rules of their own).
var except = map[string][]string{
	// The planner is pure; its executor is the I/O edge.
	"internal/maintenance": {"internal/maintenance/executor"},
}

var pure = map[string]string{
	module + "/ent":                "pure packages take values, not the database",
	"database/sql":                 "pure packages do no I/O",
	"google.golang.org/grpc":       "pure packages know nothing of the API",
	module + "/internal/inventory": "pure packages take a snapshot, not the store",
	module + "/drivers":            "pure packages do not touch devices",
	"net/http":                     "pure packages do no I/O",
}

var rules = []rule{
	{"internal/model", pure},
	{"internal/validate", pure},
	{"internal/fleetgen", pure},
	{"internal/fleetfile", pure},
	{"internal/carve", pure},
	{"internal/carvebench", pure},
	{"internal/fabric", pure},
	{"internal/schedule", pure},
	{"internal/maintenance", pure},
	{"internal/maintenance/mainttest", pure},
	{"internal/maintenance/executor", map[string]string{
		"google.golang.org/grpc":   "the executor is run by the server loop and called by the API; it does not serve",
		module + "/internal/api":   "the API calls the executor, not the other way round",
		module + "/proto/railyard": "the executor speaks maintenance types, not wire types",
	}},
	{"drivers", map[string]string{
		module + "/ent":                "drivers program devices; they never open the database",
		module + "/internal/inventory": "drivers take a desired configuration, not the store",
		module + "/internal/api":       "drivers are called by the reconciler, not the other way round",
		module + "/internal/reconcile": "drivers are called by the reconciler, not the other way round",
		"google.golang.org/grpc":       "drivers know nothing of the API",
		"github.com/mattn/go-sqlite3":  "drivers never open the database",
	}},
	{"internal/reconcile", map[string]string{
		"google.golang.org/grpc":   "the reconciler is called by the API and the server loop; it does not serve",
		module + "/internal/api":   "the API calls the reconciler, not the other way round",
		module + "/proto/railyard": "the reconciler speaks fabric types, not wire types",
	}},
	{"internal/carver", map[string]string{
		"google.golang.org/grpc":   "the carving service is called by the API; it does not serve",
		module + "/internal/api":   "the API calls the carving service, not the other way round",
		module + "/proto/railyard": "the carving service speaks model types, not wire types",
	}},
	{"internal/inventory", map[string]string{
		"google.golang.org/grpc":   "the store knows nothing of the API",
		module + "/internal/api":   "the API calls the store, not the other way round",
		module + "/internal/cli":   "the store is the server's",
		module + "/proto/railyard": "the store speaks model types, not wire types",
	}},
	{"internal/discovery", map[string]string{
		module + "/ent":                "discovery only observes; the inventory merges",
		module + "/internal/inventory": "discovery only observes; the inventory merges",
		module + "/internal/api":       "discovery is called by the server and the CLI, not the other way round",
		"github.com/mattn/go-sqlite3":  "discovery never opens the database",
		"github.com/jackc/pgx":         "discovery never opens the database",
	}},
	{"internal/agent", map[string]string{
		module + "/ent":                "the node agent reports over gRPC; it never opens the database",
		module + "/internal/inventory": "the node agent reports over gRPC; it never opens the database",
		"github.com/mattn/go-sqlite3":  "the node agent reports over gRPC; it never opens the database",
	}},
	{"internal/cli", map[string]string{
		module + "/ent":                "the CLI never opens the database",
		module + "/internal/inventory": "the CLI speaks only gRPC",
		module + "/internal/api":       "the CLI speaks only gRPC",
		module + "/internal/app":       "the CLI speaks only gRPC",
		"database/sql":                 "the CLI never opens the database",
		"github.com/mattn/go-sqlite3":  "the CLI never opens the database",
	}},
}

func covers(prefix, path string) bool {
	rel := strings.TrimPrefix(path, module+"/")
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(rel+"/", prefix)
	}
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

func TestDependencies(t *testing.T) {
	ps := listPackages(t)
	checked := map[string]bool{}
	for _, p := range ps {
		for _, r := range rules {
			if !covers(r.pkgs, p.ImportPath) || slices.ContainsFunc(except[r.pkgs], func(e string) bool { return covers(e, p.ImportPath) }) {
				continue
			}
			checked[r.pkgs] = true
			for _, d := range p.Deps {
				for ban, why := range r.bans {
					if d == ban || strings.HasPrefix(d, ban+"/") {
						t.Errorf("%s depends on %s: %s", p.ImportPath, d, why)
					}
				}
			}
		}
		// Only the store (and ent itself) import ent's generated client.
		if generated(p.ImportPath) || strings.HasPrefix(p.ImportPath, module+"/ent") || covers("internal/inventory", p.ImportPath) {
			continue
		}
		for _, imp := range p.Imports {
			if imp == module+"/ent" || strings.HasPrefix(imp, module+"/ent/") {
				t.Errorf("%s imports %s: only internal/inventory imports ent", p.ImportPath, imp)
			}
		}
	}
	var missing []string
	for _, r := range rules {
		if !checked[r.pkgs] {
			missing = append(missing, r.pkgs)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules name packages that do not exist: %v", missing)
	}
}
