package redfish

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/stmcginnis/gofish"
	"github.com/stmcginnis/gofish/common"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/model"
)

// Scheme names.
const (
	SchemeHTTPS = "redfish"
	SchemeHTTP  = "redfish+http"
)

// Name is the source name recorded with observations.
const Name = "redfish"

func init() {
	src := &Source{}
	discovery.Register(SchemeHTTPS, Name, src)
	discovery.Register(SchemeHTTP, Name, src)
}

// Source is the Redfish discovery source. The zero value is ready to use
// and safe for concurrent use.
type Source struct{}

var (
	_ discovery.Source          = (*Source)(nil)
	_ discovery.PowerController = (*Source)(nil)
	_ discovery.BootController  = (*Source)(nil)
)

// Discover walks the Redfish service at t and reports its servers.
func (s *Source) Discover(ctx context.Context, t discovery.Target, c discovery.Credentials) (*model.Observation, error) {
	conn, err := connect(ctx, t, c)
	if err != nil {
		return nil, err
	}
	defer conn.close()
	nodes, err := conn.walker().discover()
	if err != nil {
		return nil, err
	}
	return &model.Observation{Nodes: nodes}, nil
}

// conn is a logged-in gofish client.
type conn struct {
	ctx      context.Context
	client   *gofish.APIClient
	http     *http.Client
	endpoint string
}

func (c *conn) walker() *walker { return &walker{ctx: c.ctx, c: c.client} }

// endpoint is the service's base URL, https://host:port or http://host:port.
func endpoint(t discovery.Target) (string, error) {
	switch t.Scheme {
	case SchemeHTTPS:
		return "https://" + t.Addr(443), nil
	case SchemeHTTP:
		return "http://" + t.Addr(80), nil
	}
	return "", discovery.Errorf(discovery.Failed, "redfish: scheme %q is not %s or %s", t.Scheme, SchemeHTTPS, SchemeHTTP)
}

// connect logs in to the service at t. It reads the service root first:
// DSP0266 lets anyone read it, and its Links.Sessions says whether the
// service offers sessions. With sessions it logs in with one (a BMC checks
// the password once rather than on every request); without, it sends the
// credentials with each request (HTTP basic auth).
func connect(ctx context.Context, t discovery.Target, cred discovery.Credentials) (*conn, error) {
	base, err := endpoint(t)
	if err != nil {
		return nil, err
	}
	hc := httpClient(t.Insecure)
	root, err := readRoot(ctx, hc, base)
	if err != nil {
		return nil, err
	}
	client, err := gofish.ConnectContext(ctx, gofish.ClientConfig{
		Endpoint:              base,
		Username:              cred.Username,
		Password:              cred.Password,
		HTTPClient:            hc,
		BasicAuth:             root.Links.Sessions == nil,
		MaxConcurrentRequests: parallel,
	})
	if err != nil {
		hc.CloseIdleConnections()
		return nil, classify(err, "log in to "+base)
	}
	return &conn{ctx: ctx, client: client, http: hc, endpoint: base}, nil
}

type serviceRootDoc struct {
	Links struct{ Sessions *link }
}

// readRoot reads the service root without credentials.
func readRoot(ctx context.Context, hc *http.Client, base string) (*serviceRootDoc, error) {
	what := "GET " + base + serviceRoot
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+serviceRoot, nil)
	if err != nil {
		return nil, discovery.Errorf(discovery.Failed, "%s: %v", what, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, classify(err, what)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, classify(err, what)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, discovery.Errorf(discovery.Failed, "%s: 404: no Redfish service here", what)
	case resp.StatusCode != http.StatusOK:
		return nil, classify(common.ConstructError(resp.StatusCode, body), what)
	}
	var root serviceRootDoc
	if err := json.Unmarshal(body, &root); err != nil {
		return nil, discovery.Errorf(discovery.Malformed, "%s: the service root is not a Redfish service root: %v", what, err)
	}
	return &root, nil
}

// close deletes the session. It does so with a context of its own, so that
// a walk that ran out of time still logs out: BMCs allow few sessions.
func (c *conn) close() {
	defer c.http.CloseIdleConnections()
	sess, err := c.client.GetSession()
	if err != nil || sess.ID == "" {
		return // basic auth, or the service gave no session URI
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.endpoint+sess.ID, nil)
	if err != nil {
		return
	}
	req.Header.Set("X-Auth-Token", sess.Token)
	if resp, err := c.http.Do(req); err == nil {
		resp.Body.Close()
	}
}

// httpClient is the HTTP client for one target. It keeps connections open
// between requests: gofish asks for a new connection per request unless it
// builds the transport itself, and a TLS handshake per request is slow on a
// BMC.
func httpClient(insecure bool) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}, //nolint:gosec // the operator asked for it
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: parallel,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{Transport: keepAlive{tr}}
}

// keepAlive undoes gofish's Request.Close.
type keepAlive struct{ http.RoundTripper }

func (k keepAlive) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Close {
		r = r.Clone(r.Context())
		r.Close = false
	}
	return k.RoundTripper.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (k keepAlive) CloseIdleConnections() {
	if c, ok := k.RoundTripper.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// port is the target's port or the scheme's default.
func portOf(t discovery.Target) string {
	switch {
	case t.Port != 0:
		return strconv.Itoa(t.Port)
	case t.Scheme == SchemeHTTP:
		return "80"
	}
	return "443"
}
