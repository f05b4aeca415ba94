package ufm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/railyard/railyard/drivers"
	"github.com/railyard/railyard/internal/fabric"
)

// maxBody bounds what the driver reads from one response.
const maxBody = 64 << 20

// rollbackTimeout bounds the compensation after a failed apply; it runs
// even when the apply's context has ended.
const rollbackTimeout = 30 * time.Second

// Connect checks that UFM answers and accepts the credentials (GET
// /ufmRest/app/ufm_version). Address is UFM's base URL
// (https://ufm.example, or host[:port], taken as https).
func (Driver) Connect(ctx context.Context, t drivers.Target, tr drivers.Transport) (drivers.Conn, error) {
	if tr.HTTP == nil {
		return nil, fmt.Errorf("ufm: %s: the transport has no HTTP client", t)
	}
	base, err := baseURL(t.Address)
	if err != nil {
		return nil, fmt.Errorf("ufm: %s: %v", t, drivers.Redact(err.Error(), t.Password))
	}
	c := &conn{t: t, http: tr.HTTP, base: base}
	if _, err := c.do(ctx, request{"GET", pathVersion, nil}); err != nil {
		return nil, err
	}
	return c, nil
}

func baseURL(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", errors.New("no address")
	}
	if !strings.Contains(addr, "://") {
		addr = "https://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "", fmt.Errorf("address: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("address %s: want an http(s) URL", u.Redacted())
	}
	u.User = nil // credentials come from the target, in a header
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimSuffix(u.String(), "/"), nil
}

// conn is a connection to one UFM. It caches the last full read, keyed
// by UFM's last_updated stamp, so that a long-lived connection re-reads
// only when the partitions changed.
type conn struct {
	t    drivers.Target
	http *http.Client
	base string

	mu          sync.Mutex
	cache       map[uint16]rawPartition
	lastUpdated string
}

var _ drivers.Conn = (*conn)(nil)

func (c *conn) Close() error { return nil }

// do sends one request and returns the response body. Any status but
// 2xx, or a body that is a UFM error object, is an error; errors never
// carry the password.
func (c *conn) do(ctx context.Context, r request) ([]byte, error) {
	body, err := c.send(ctx, r)
	if err != nil {
		return nil, redacted{drivers.Redact(err.Error(), c.t.Password), err}
	}
	return body, nil
}

// redacted is an error whose text has had the password taken out. It
// unwraps to the transport's error (a *url.Error, whose URL never holds
// credentials: they travel in a header), so that errors.Is finds
// context.DeadlineExceeded and the like.
type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return errors.Unwrap(r.err) }

func (c *conn) send(ctx context.Context, r request) ([]byte, error) {
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.body())
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, c.base+r.Path, rd)
	if err != nil {
		return nil, fmt.Errorf("ufm: %s: %s %s: %v", c.t, r.Method, r.Path, err)
	}
	req.SetBasicAuth(c.t.Username, c.t.Password)
	req.Header.Set("Accept", "application/json")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ufm: %s: %s %s: %w", c.t, r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("ufm: %s: %s %s: reading the answer: %v", c.t, r.Method, r.Path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("ufm: %s: %s %s: UFM refused the credentials of user %q (HTTP %d)", c.t, r.Method, r.Path, c.t.Username, resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("ufm: %s: %s: HTTP %d: %s", c.t, r, resp.StatusCode, errorText(body))
	}
	if msg, ok := errorMessage(body); ok {
		return nil, fmt.Errorf("ufm: %s: %s: HTTP %d with an error: %s", c.t, r, resp.StatusCode, msg)
	}
	return body, nil
}

// errorMessage reports whether body is a UFM error object
// ({"error": "..."}).
func errorMessage(body []byte) (string, bool) {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' {
		return "", false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(t, &m) != nil {
		return "", false
	}
	e, ok := m["error"]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(e, &s) != nil {
		return "", false
	}
	return s, true
}

// errorText is what an error response said, in one short line.
func errorText(body []byte) string {
	if msg, ok := errorMessage(body); ok {
		return msg
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		s = "(no body)"
	}
	return s
}

// readAll reads every partition.
func (c *conn) readAll(ctx context.Context) (map[uint16]rawPartition, error) {
	body, err := c.do(ctx, request{"GET", pathPKeys + queryAll, nil})
	if err != nil {
		return nil, err
	}
	ps, err := parsePKeys(body)
	if err != nil {
		return nil, fmt.Errorf("ufm: %s: %v", c.t, drivers.Redact(err.Error(), c.t.Password))
	}
	return ps, nil
}

// pollLastUpdated returns UFM's last_updated stamp, or "" when this UFM
// does not have one.
func (c *conn) pollLastUpdated(ctx context.Context) string {
	body, err := c.do(ctx, request{"GET", pathLastUpdated, nil})
	if err != nil {
		return ""
	}
	var v struct {
		LastUpdated any `json:"last_updated"`
	}
	if json.Unmarshal(body, &v) != nil || v.LastUpdated == nil {
		return ""
	}
	return fmt.Sprint(v.LastUpdated)
}

// Observe reads every partition Railyard owns (named with
// fabric.OwnedPrefix). GUIDs are compared case-insensitively: a GUID that
// scope spells in another case is reported in scope's spelling.
func (c *conn) Observe(ctx context.Context, scope fabric.DeviceConfig) (fabric.DeviceConfig, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lu := c.pollLastUpdated(ctx)
	ps := c.cache
	if ps == nil || lu == "" || lu != c.lastUpdated {
		var err error
		if ps, err = c.readAll(ctx); err != nil {
			return fabric.DeviceConfig{}, err
		}
		c.cache, c.lastUpdated = ps, lu
	}
	spell := map[string]string{}
	for _, p := range scope.Partitions {
		for _, m := range p.Members {
			spell[strings.ToLower(m.GUID)] = m.GUID
		}
	}
	out := fabric.DeviceConfig{Device: scope.Device, Driver: scope.Driver, Fabric: scope.Fabric, Kind: scope.Kind}
	for k, r := range ps {
		if !owned(k, r) {
			continue
		}
		p := toPartition(k, r)
		for i, m := range p.Members {
			if s, ok := spell[m.GUID]; ok {
				p.Members[i].GUID = s
			}
		}
		out.Partitions = append(out.Partitions, p)
	}
	out.Normalize()
	return out, nil
}

func owned(k uint16, r rawPartition) bool {
	return k != defaultPKey && strings.HasPrefix(r.Partition, fabric.OwnedPrefix)
}

// Apply makes change. It reads UFM first and plans against what UFM
// holds (so a partition that already exists is not created again, and a
// PKey held by a partition Railyard does not own is refused); on a
// failed request it undoes the requests already made, in reverse, and
// re-reads UFM to say whether the partitions are back as they were.
func (c *conn) Apply(ctx context.Context, change fabric.Change, desired fabric.DeviceConfig) error {
	if err := validate(desired); err != nil {
		return err
	}
	if err := validateChange(change); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cache = nil // whatever happens, re-read next time
	snap, err := c.readAll(ctx)
	if err != nil {
		return err
	}
	var pcs []pchange
	touched := map[uint16]bool{}
	for _, ch := range change.Partitions {
		var k uint16
		switch {
		case ch.New != nil:
			k = ch.New.PKey
		case ch.Old != nil:
			k = ch.Old.PKey
		default:
			continue
		}
		pc := pchange{key: k, new: ch.New}
		if r, ok := snap[k]; ok {
			if !owned(k, r) {
				if ch.New == nil {
					continue // not Railyard's (any more): leave it
				}
				return fmt.Errorf("ufm: %s: pkey %s is held by partition %q, which Railyard does not own", c.t, formatPKey(k), r.Partition)
			}
			pc.old = &r
		}
		pcs = append(pcs, pc)
		touched[k] = true
	}
	steps := plan(pcs)
	for i, s := range steps {
		if _, err := c.do(ctx, s.req); err != nil {
			return c.rollback(ctx, err, steps[:i], snap, touched)
		}
	}
	return nil
}

// rollback undoes done in reverse and checks the touched partitions
// against the snapshot.
func (c *conn) rollback(ctx context.Context, cause error, done []step, snap map[uint16]rawPartition, touched map[uint16]bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	var undoErrs []error
	for i := len(done) - 1; i >= 0; i-- {
		for _, u := range done[i].undo {
			if _, err := c.do(ctx, u); err != nil {
				undoErrs = append(undoErrs, err)
			}
		}
	}
	now, err := c.readAll(ctx)
	if err != nil {
		return fmt.Errorf("%w; undid %d requests but could not re-read UFM to check: %v", cause, len(done), err)
	}
	var differ []string
	for k := range touched {
		a, had := snap[k]
		b, has := now[k]
		if had != has || had && !equalRaw(a, b) {
			differ = append(differ, formatPKey(k))
		}
	}
	slices.Sort(differ)
	if len(differ) > 0 {
		return fmt.Errorf("%w; NOT RESTORED: after undoing %d requests, partitions %s differ from before the apply (undo errors: %v)",
			cause, len(done), strings.Join(differ, ", "), errors.Join(undoErrs...))
	}
	if len(undoErrs) > 0 {
		return fmt.Errorf("%w; restored: the partitions are as before the apply (some undo requests failed: %v)", cause, errors.Join(undoErrs...))
	}
	return fmt.Errorf("%w; restored: undid %d requests, the partitions are as before the apply", cause, len(done))
}
