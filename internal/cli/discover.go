package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/metadata"

	"github.com/railyard/railyard/internal/discovery"
	"github.com/railyard/railyard/internal/discovery/report"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// discoverOptions are the discover command's flags.
type discoverOptions struct {
	targetsFile   string
	fromInventory bool
	credential    string
	insecure      bool
	hostname      string
	rack          string
	runner        discovery.Runner
	dryRun        bool
	progress      string
}

func newDiscoverCommand(o *options) *cobra.Command {
	d := &discoverOptions{}
	cmd := &cobra.Command{
		Use:   "discover [URL...]",
		Short: "Ask BMCs and switches what is there, and merge it into the inventory",
		Long: `Discover asks each target what it is (from this machine, so it needs to reach
the BMCs and switches), then sends what it saw to the server, which merges it
beside the declared inventory: new devices appear as "discovered", changed
facts (a swapped GPU, a moved cable) are recorded in the history, nothing is
deleted.

Targets are URLs: redfish://host[:port] (HTTPS), redfish+http://host:port,
ipmi://host[:port], snmp://host[:port] (add ?version=3 for SNMPv3), and
ssh+eos, ssh+nxos, ssh+junos, ssh+sonic, ssh+cumulus, ssh+frr://host[:port].
They come from the arguments, from --targets FILE (one per line, with
key=value hints: credential, hostname, rack, fabric, role, insecure), and
with --from-inventory from the BMC and management addresses already stored.

Credentials are references, never values: --credential env:NAME or
file:PATH, holding "user:password" or key=value lines (username, password,
community, auth_protocol, priv_protocol, priv_password).

The summary counts targets found, changes made, and targets unreachable or
failed, with the reason for each.`,
		Example: `  railyard discover redfish://10.0.0.5 --credential env:BMC_CRED
  railyard discover --targets rack-12.targets --concurrency 64
  railyard discover --from-inventory --credential file:/etc/railyard/bmc`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.discover(cmd, d, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&d.targetsFile, "targets", "", "read targets from this file")
	f.BoolVar(&d.fromInventory, "from-inventory", false, "also discover every BMC and switch address the inventory holds")
	f.StringVar(&d.credential, "credential", "", "credential reference (env:NAME or file:PATH) for targets that name none")
	f.BoolVar(&d.insecure, "insecure", false, "skip TLS certificate checks (Redfish over HTTPS)")
	f.StringVar(&d.hostname, "hostname", "", "the hostname of the device (with a single URL)")
	f.StringVar(&d.rack, "rack", "", "the rack of the device (with a single URL)")
	f.IntVar(&d.runner.Concurrency, "concurrency", discovery.DefaultConcurrency, "targets asked at once")
	f.DurationVar(&d.runner.Timeout, "target-timeout", discovery.DefaultTimeout, "time limit per target attempt")
	f.IntVar(&d.runner.Retries, "retries", discovery.DefaultRetries, "retries of an unreachable target, with exponential backoff")
	f.DurationVar(&d.runner.Backoff, "backoff", discovery.DefaultBackoff, "wait before the first retry (doubles each time)")
	f.BoolVar(&d.dryRun, "dry-run", false, "show what would change and write nothing")
	f.StringVar(&d.progress, "progress", "auto", "progress bar on standard error: auto (when it is a terminal), always or never")
	return cmd
}

func (o *options) discover(cmd *cobra.Command, d *discoverOptions, args []string) error {
	p, err := o.printer(cmd)
	if err != nil {
		return err
	}
	targets, err := d.targets(args)
	if err != nil {
		return err
	}
	c, err := o.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	if d.fromInventory {
		ctx, cancel := o.context(cmd)
		known, err := inventoryTargets(ctx, c)
		cancel()
		if err != nil {
			return c.rpcError(err)
		}
		targets = discovery.MergeTargets(targets, known, d.credential)
	}
	if len(targets) == 0 {
		return fmt.Errorf("no targets: give URLs, --targets FILE or --from-inventory")
	}
	bar := newProgressBar(cmd.ErrOrStderr(), d.progress)
	d.runner.Progress = bar.update
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	results := d.runner.Run(ctx, targets)
	bar.finish()
	sum := discovery.Summarize(results)

	rctx, cancel := o.context(cmd)
	defer cancel()
	rctx = metadata.AppendToOutgoingContext(rctx, actorHeader, actor())
	resp, err := report.Send(rctx, pb.NewDiscoveryServiceClient(c.cc), discovery.Observations(results), d.dryRun)
	if err != nil {
		return c.rpcError(err)
	}
	if !p.table() {
		// JSON and YAML: the server's response, with one note per failed target.
		for _, f := range sum.Failures {
			resp.Notes = append(resp.Notes, fmt.Sprintf("%s %s: %s", f.Kind, f.Target, f.Reason))
		}
		return p.printMessage(resp)
	}
	w := p.w
	verb := "changed"
	if d.dryRun {
		verb = "would change"
	}
	fmt.Fprintf(w, "targets %d: found %d, %s %d, unreachable %d, failed %d\n",
		sum.Targets, sum.Found, verb, len(resp.GetChanges()), sum.Unreachable, sum.Failed)
	for _, f := range sum.Failures {
		fmt.Fprintf(w, "  %-12s %s: %s\n", f.Kind, f.Target, f.Reason)
	}
	if len(resp.GetChanges()) > 0 {
		fmt.Fprintln(w)
		if err := printList(p, resp.GetChanges(), observedChangeColumns); err != nil {
			return err
		}
	}
	for _, n := range resp.GetNotes() {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if sum.Found == 0 {
		return fmt.Errorf("no target answered")
	}
	return nil
}

func (d *discoverOptions) targets(args []string) ([]discovery.Target, error) {
	var out []discovery.Target
	for _, a := range args {
		t, err := discovery.ParseTarget(a)
		if err != nil {
			return nil, err
		}
		if len(args) == 1 {
			t.Hints.Hostname, t.Hints.Rack = d.hostname, d.rack
		}
		out = append(out, t)
	}
	if (d.hostname != "" || d.rack != "") && len(args) != 1 {
		return nil, fmt.Errorf("--hostname and --rack apply to a single URL argument; use a targets file for more")
	}
	if d.targetsFile != "" {
		f, err := os.Open(d.targetsFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		ts, err := discovery.ParseTargets(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.targetsFile, err)
		}
		out = append(out, ts...)
	}
	if d.credential != "" {
		if err := discovery.CheckCredentialRef(d.credential); err != nil {
			return nil, err
		}
	}
	for i := range out {
		if out[i].Credential == "" {
			out[i].Credential = d.credential
		}
		if d.insecure {
			out[i].Insecure = true
		}
	}
	return out, nil
}

// inventoryTargets lists the BMC and management addresses the server
// holds.
func inventoryTargets(ctx context.Context, c *conn) ([]discovery.Target, error) {
	var out []discovery.Target
	nodes, err := c.ListNodes(ctx, &pb.ListRequest{})
	if err != nil {
		return nil, err
	}
	for _, n := range nodes.GetNodes() {
		if t, err := discovery.ParseTarget(n.GetBmcAddress()); err == nil {
			t.Credential, t.Hints.Hostname = n.GetBmcCredentialRef(), n.GetHostname()
			out = append(out, t)
		}
	}
	sws, err := c.ListSwitches(ctx, &pb.ListRequest{})
	if err != nil {
		return nil, err
	}
	for _, s := range sws.GetSwitches() {
		if t, err := discovery.ParseTarget(s.GetMgmtAddress()); err == nil {
			t.Hints.Hostname = s.GetName()
			out = append(out, t)
		}
	}
	return out, nil
}

// progressBar draws "[#####.....] 12/40  found 10  unreachable 1  failed 1"
// on one line of a terminal, redrawn as targets finish.
type progressBar struct {
	w                   io.Writer
	on                  bool
	found, unreach, bad int
	start               time.Time
	drawn               bool
}

func newProgressBar(w io.Writer, mode string) *progressBar {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	return &progressBar{w: w, on: on, start: time.Now()}
}

func (b *progressBar) update(done, total int, r discovery.Result) {
	switch {
	case r.Err == nil:
		b.found++
	case r.Kind == discovery.Unreachable:
		b.unreach++
	default:
		b.bad++
	}
	if !b.on {
		return
	}
	const width = 30
	fill := width * done / max(total, 1)
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d  found %d  unreachable %d  failed %d  %s",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, total, b.found, b.unreach, b.bad,
		time.Since(b.start).Round(100*time.Millisecond))
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
