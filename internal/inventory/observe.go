package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/railyard/railyard/ent"
	"github.com/railyard/railyard/ent/link"
	"github.com/railyard/railyard/ent/networkswitch"
	"github.com/railyard/railyard/ent/node"
	"github.com/railyard/railyard/ent/observation"
	"github.com/railyard/railyard/internal/model"
)

// ObserveOptions tune Observe.
type ObserveOptions struct {
	// Actor is written to the history; each change's source is
	// "discovery:<source>".
	Actor string
	// StaleAfter marks records stale that discovery saw once and has not
	// seen for this long; 0 disables marking.
	StaleAfter time.Duration
	// DryRun computes the changes and writes nothing.
	DryRun bool
}

// ObserveResult says what merging observations changed.
type ObserveResult struct {
	ImportResult
	// Seen counts the nodes, switches and cables observed.
	Seen int
	// Notes are what the merge could not use: neighbours naming unknown
	// devices, cables that contradict declared ones, unknown racks.
	Notes []string
}

// Observe merges discovery's observations into the inventory in one
// transaction (see merge.go for the rules): new devices appear as
// discovered, changed facts are recorded in the history with their source,
// every observation is kept beside the declared records with its source
// and last-seen time, and records not seen for StaleAfter are marked
// stale. Observing the same facts again changes nothing but last-seen
// times.
func (s *Store) Observe(ctx context.Context, obs []model.Observation, opts ObserveOptions) (*ObserveResult, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	now := s.now().UTC()
	var res *ObserveResult
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		old, ids, err := loadAll(ctx, tx.Client())
		if err != nil {
			return err
		}
		chassis := map[string]string{}
		if hasNeighbors(obs) {
			if chassis, err = switchChassis(ctx, tx.Client()); err != nil {
				return err
			}
		}
		m := newMerger(old, now, chassis)
		m.observe(obs)
		m.markStale(opts.StaleAfter)
		p := m.plan(ImportOptions{Actor: opts.Actor, Source: "discovery"})
		ir := m.changes(p, now)
		res = &ObserveResult{ImportResult: *ir, Notes: m.notes}
		for _, keys := range m.seen {
			res.Seen += len(keys)
		}
		if opts.DryRun {
			return nil
		}
		if len(p.ops) > 0 {
			if err := p.apply(ctx, tx, ids); err != nil {
				return err
			}
			seqs, err := writeChanges(ctx, tx, res.Changes)
			if err != nil {
				return err
			}
			for i := range res.Changes {
				res.Changes[i].Seq = seqs[i]
			}
		}
		if err := touchSeen(ctx, tx, m.seen, now); err != nil {
			return err
		}
		return writeObservations(ctx, tx, m.devObs, now)
	})
	if err != nil {
		return nil, err
	}
	if !opts.DryRun && len(res.Changes) > 0 {
		s.notify()
	}
	return res, nil
}

func hasNeighbors(obs []model.Observation) bool {
	for _, o := range obs {
		for _, sf := range o.Switches {
			if len(sf.Neighbors) > 0 {
				return true
			}
		}
	}
	return false
}

// switchChassis maps the LLDP chassis ids switches reported in earlier
// runs to their names, so a neighbour naming a switch not walked in this
// run still resolves.
func switchChassis(ctx context.Context, c *ent.Client) (map[string]string, error) {
	rows, err := c.Observation.Query().Where(observation.Kind(model.KindSwitch)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range rows {
		var sf model.SwitchFacts
		if json.Unmarshal([]byte(r.Facts), &sf) == nil && sf.ChassisID != "" {
			out[strings.ToLower(sf.ChassisID)] = r.Key
		}
	}
	return out, nil
}

// touchSeen stamps last_seen on the records observed. It is not history:
// seeing a device again is not a change.
func touchSeen(ctx context.Context, tx *ent.Tx, seen map[string]map[string]bool, now time.Time) error {
	keys := func(kind string) []string { return sortedKeys(seen[kind]) }
	const batch = 500
	for _, chunk := range chunks(keys(model.KindNode), batch) {
		if _, err := tx.Node.Update().Where(node.HostnameIn(chunk...)).SetLastSeen(now).Save(ctx); err != nil {
			return fmt.Errorf("stamp nodes: %w", err)
		}
	}
	for _, chunk := range chunks(keys(model.KindSwitch), batch) {
		if _, err := tx.NetworkSwitch.Update().Where(networkswitch.NameIn(chunk...)).SetLastSeen(now).Save(ctx); err != nil {
			return fmt.Errorf("stamp switches: %w", err)
		}
	}
	for _, chunk := range chunks(keys(model.KindLink), batch) {
		if _, err := tx.Link.Update().Where(link.KeyIn(chunk...)).SetLastSeen(now).Save(ctx); err != nil {
			return fmt.Errorf("stamp links: %w", err)
		}
	}
	return nil
}

func chunks(xs []string, n int) [][]string {
	var out [][]string
	for len(xs) > 0 {
		k := min(n, len(xs))
		out = append(out, xs[:k])
		xs = xs[k:]
	}
	return out
}

// writeObservations upserts one row per (kind, key, source).
func writeObservations(ctx context.Context, tx *ent.Tx, obs []deviceObs, now time.Time) error {
	if len(obs) == 0 {
		return nil
	}
	// The last observation of a (kind, key, source) in a run wins.
	last := map[string]deviceObs{}
	var order []string
	keys := map[string]bool{}
	for _, o := range obs {
		k := o.kind + "\x00" + o.key + "\x00" + o.source
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = o
		keys[o.key] = true
	}
	sort.Strings(order)
	// Read only the stored rows of the records observed now.
	byKey := map[string]*ent.Observation{}
	for _, chunk := range chunks(sortedKeys(keys), 500) {
		rows, err := tx.Observation.Query().Where(observation.KeyIn(chunk...)).All(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			byKey[r.Kind+"\x00"+r.Key+"\x00"+r.Source] = r
		}
	}
	var creates []*ent.ObservationCreate
	for _, k := range order {
		o := last[k]
		facts, err := json.Marshal(o.facts)
		if err != nil {
			return err
		}
		if r, ok := byKey[k]; ok {
			if err := tx.Observation.UpdateOneID(r.ID).SetFacts(string(facts)).SetTarget(o.target).SetLastSeen(now).Exec(ctx); err != nil {
				return fmt.Errorf("update observation: %w", err)
			}
			continue
		}
		creates = append(creates, tx.Observation.Create().SetKind(o.kind).SetKey(o.key).SetSource(o.source).
			SetTarget(o.target).SetFacts(string(facts)).SetFirstSeen(now).SetLastSeen(now))
	}
	const batch = 30000 / 8
	for len(creates) > 0 {
		k := min(batch, len(creates))
		if _, err := tx.Observation.CreateBulk(creates[:k]...).Save(ctx); err != nil {
			return fmt.Errorf("write observations: %w", err)
		}
		creates = creates[k:]
	}
	return nil
}

// Observed is one stored observation.
type Observed struct {
	Kind, Key, Source, Target string
	Facts                     json.RawMessage
	FirstSeen, LastSeen       time.Time
}

// Observations returns the stored observations of a kind (all kinds when
// empty), optionally of one key, ordered by kind, key and source.
func (s *Store) Observations(ctx context.Context, kind, key string) ([]Observed, error) {
	q := s.client.Observation.Query()
	if kind != "" {
		q = q.Where(observation.Kind(kind))
	}
	if key != "" {
		q = q.Where(observation.Key(key))
	}
	rows, err := q.Order(ent.Asc(observation.FieldKind), ent.Asc(observation.FieldKey), ent.Asc(observation.FieldSource)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Observed, len(rows))
	for i, r := range rows {
		out[i] = Observed{Kind: r.Kind, Key: r.Key, Source: r.Source, Target: r.Target, Facts: json.RawMessage(r.Facts),
			FirstSeen: r.FirstSeen.UTC(), LastSeen: r.LastSeen.UTC()}
	}
	return out, nil
}

// ObservedCabling returns the cables discovery saw in the latest walk of
// each switch, and the switches walked, for comparison with the declared
// cabling (validate.Cabling).
func (s *Store) ObservedCabling(ctx context.Context) ([]model.Link, map[string]bool, error) {
	rows, err := s.client.Observation.Query().Where(observation.KindIn(model.KindSwitch, model.KindLink)).
		Order(ent.Asc(observation.FieldKey)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	walkedAt := map[string]time.Time{}
	for _, r := range rows {
		if r.Kind == model.KindSwitch && r.LastSeen.After(walkedAt[r.Key]) {
			walkedAt[r.Key] = r.LastSeen
		}
	}
	var links []model.Link
	for _, r := range rows {
		if r.Kind != model.KindLink {
			continue
		}
		var l model.Link
		if err := json.Unmarshal([]byte(r.Facts), &l); err != nil {
			return nil, nil, fmt.Errorf("observation %s: %w", r.Key, err)
		}
		for _, d := range []string{l.A.Device, l.B.Device} {
			if at, ok := walkedAt[d]; ok && !r.LastSeen.Before(at) {
				links = append(links, l)
				break
			}
		}
	}
	walked := map[string]bool{}
	for k := range walkedAt {
		walked[k] = true
	}
	return links, walked, nil
}

// IfLeader runs fn only if this replica wins the named loop's leadership
// for the duration of fn: on PostgreSQL a session advisory lock taken
// without waiting (another replica holding it means this one skips the
// round and reports false); on SQLite there is one server, which always
// leads.
func (s *Store) IfLeader(ctx context.Context, loop string, fn func() error) (bool, error) {
	if s.dialect != dialect.Postgres {
		return true, fn()
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var id int64
	for _, c := range loop {
		id = id*131 + int64(c)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", id).Scan(&got); err != nil {
		return false, fmt.Errorf("leader lock %s: %w", loop, err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", id)
	return true, fn()
}

// DiscoveryTargets lists the addresses the inventory knows: each node's
// BMC address with its credential reference, and each switch's management
// address when it is a URL. Hostnames are given as hints so that answers
// merge into the right records.
func (s *Store) DiscoveryTargets(ctx context.Context) ([]DiscoveryTarget, error) {
	var out []DiscoveryTarget
	nodes, err := s.client.Node.Query().Where(node.BmcAddressNEQ("")).Order(ent.Asc(node.FieldHostname)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		out = append(out, DiscoveryTarget{URL: n.BmcAddress, Credential: n.BmcCredentialRef, Hostname: n.Hostname})
	}
	sws, err := s.client.NetworkSwitch.Query().Where(networkswitch.MgmtAddressContains("://")).Order(ent.Asc(networkswitch.FieldName)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, sw := range sws {
		out = append(out, DiscoveryTarget{URL: sw.MgmtAddress, Hostname: sw.Name})
	}
	return out, nil
}

// DiscoveryTarget is an address the inventory knows.
type DiscoveryTarget struct {
	URL, Credential, Hostname string
}
