package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// Topology levels as the carving API spells them.
var (
	// blockLevels are the levels a block may be required or preferred to
	// fit in, or its segments placed in.
	blockLevels = []string{"nvlink", "leaf", "pod", "site"}
	// defragLevels are the levels whose domains defrag frees whole.
	defragLevels = []string{"leaf", "nvlink", "pod"}
)

// now is the clock for --until durations; tests replace it.
var now = time.Now

// newCarveCommands returns the carving commands: tenant, carve, cordon and
// uncordon.
func newCarveCommands(o *options) []*cobra.Command {
	return []*cobra.Command{
		newTenantCommand(o),
		newCarveCommand(o),
		newCordonCommand(o, true),
		newCordonCommand(o, false),
		newNetworkCommand(o),
	}
}

// actorHeader is the gRPC metadata key that names who makes a change, for
// the server's history (api.ActorHeader; the CLI speaks only gRPC).
const actorHeader = "x-railyard-actor"

// carveCall dials the server and calls f with a client of the carving
// API and a context limited by --timeout that names the actor. An RPC
// error that f returns reads as rpcError makes it; f may turn errors into
// words itself with c.rpcError, which leaves such errors alone.
// act runs a call whose reply carries nothing to show: JSON and YAML print
// the reply, a table prints done.
func (o *options) act(cmd *cobra.Command, call func(ctx context.Context, cs pb.CarveServiceClient) (proto.Message, error), done string) error {
	p, err := o.printer(cmd)
	if err != nil {
		return err
	}
	return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
		resp, err := call(ctx, cs)
		if err != nil {
			return err
		}
		if !p.table() {
			return p.printMessage(resp)
		}
		fmt.Fprintln(p.w, done)
		return nil
	})
}

func (o *options) carveCall(cmd *cobra.Command, f func(ctx context.Context, c *conn, cs pb.CarveServiceClient) error) error {
	c, err := o.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := o.context(cmd)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, actorHeader, actor())
	return c.rpcError(f(ctx, c, pb.NewCarveServiceClient(c.cc)))
}

// parseLevel checks the level given to --flag against allowed and returns
// it lower-cased; the empty string is "not given".
func parseLevel(flag, s string, allowed []string) (string, error) {
	if s == "" {
		return "", nil
	}
	l := strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(allowed, l) {
		return l, nil
	}
	return "", fmt.Errorf("unknown level %q for --%s: want %s", s, flag, orList(allowed))
}

// orList reads like "nvlink, leaf, pod or site".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// carveFlags are the flags of carve itself.
type carveFlags struct {
	model, site      string
	within, prefer   string
	segmentLevel     string
	name             string
	gpus, segment    int32
	priority         int32
	preemptible, dry bool
}

// request turns the flags and TENANT into a CarveRequest, checking what
// can be checked here.
func (f *carveFlags) request(tenant string) (*pb.CarveRequest, error) {
	if tenant == "" {
		return nil, errors.New("no TENANT: railyard carve TENANT --gpus N")
	}
	if f.gpus <= 0 {
		return nil, errors.New("--gpus must be positive")
	}
	if f.segment < 0 {
		return nil, errors.New("--segment must not be negative")
	}
	if f.segmentLevel != "" && f.segment == 0 {
		return nil, errors.New("--segment-level needs --segment NODES")
	}
	req := &pb.CarveRequest{
		Block:        f.name,
		Tenant:       tenant,
		GpuModel:     f.model,
		Site:         f.site,
		Gpus:         f.gpus,
		SegmentNodes: f.segment,
		Priority:     f.priority,
		Preemptible:  f.preemptible,
		DryRun:       f.dry,
	}
	var err error
	if req.Required, err = parseLevel("within", f.within, blockLevels); err != nil {
		return nil, err
	}
	if req.Preferred, err = parseLevel("prefer", f.prefer, blockLevels); err != nil {
		return nil, err
	}
	if req.SegmentLevel, err = parseLevel("segment-level", f.segmentLevel, blockLevels); err != nil {
		return nil, err
	}
	return req, nil
}

func newCarveCommand(o *options) *cobra.Command {
	f := &carveFlags{}
	cmd := &cobra.Command{
		Use:   "carve TENANT --gpus N [flags]",
		Short: "Carve topology-contiguous blocks of GPUs for tenants",
		Long: `Carve allocates a block of GPUs for TENANT, as close together in the
topology as the free capacity allows: within one NVLink domain, leaf
domain, pod or site. --within makes a level a requirement, --prefer only
a wish. A request that cannot be placed now is refused with the reasons,
in numbers. --dry-run shows the placement without committing it.

The subcommands list, show, resize and release blocks, swap failed
nodes, defragment, reserve domains and report capacity.`,
		Example: `  railyard carve acme --gpus 64 --within leaf
  railyard carve acme --gpus 256 --model H100-SXM5-80GB --segment 8 --segment-level leaf --dry-run
  railyard carve list --tenant acme
  railyard carve grow acme-1 --gpus 16
  railyard carve defrag --model H100-SXM5-80GB`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return o.completeTenants(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				if !cmd.Flags().Changed("gpus") {
					return cmd.Help()
				}
				return errors.New("no TENANT: railyard carve TENANT --gpus N")
			}
			if !cmd.Flags().Changed("gpus") {
				msg := fmt.Sprintf("no --gpus: railyard carve %s --gpus N carves a block for tenant %s", args[0], args[0])
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf(" (or did you mean railyard carve %s?)", s[0])
				}
				return errors.New(msg)
			}
			req, err := f.request(args[0])
			if err != nil {
				return err
			}
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				pl, err := cs.Carve(ctx, req)
				if err != nil {
					return err
				}
				return printPlacement(p, pl)
			})
		},
	}
	// A TENANT that looks like a mistyped subcommand gets a suggestion.
	cmd.SuggestionsMinimumDistance = 2
	fl := cmd.Flags()
	fl.Int32Var(&f.gpus, "gpus", 0, "how many GPUs (required)")
	fl.StringVar(&f.model, "model", "", "GPU model (may be left out when the fleet has one)")
	fl.StringVar(&f.site, "site", "", "only this site")
	fl.StringVar(&f.within, "within", "", "the level the block must fit in: nvlink, leaf, pod or site (default site)")
	fl.StringVar(&f.prefer, "prefer", "", "the level the block should fit in: nvlink, leaf, pod or site")
	fl.Int32Var(&f.segment, "segment", 0, "split the block into segments of this many nodes")
	fl.StringVar(&f.segmentLevel, "segment-level", "", "the level each segment must fit in (default: the smallest that holds one)")
	fl.Int32Var(&f.priority, "priority", 0, "the block's priority")
	fl.BoolVar(&f.preemptible, "preemptible", false, "the block may be moved by defrag")
	fl.StringVar(&f.name, "name", "", "the block's name (default TENANT-N)")
	fl.BoolVar(&f.dry, "dry-run", false, "show the placement without committing it")
	for _, name := range []string{"within", "prefer", "segment-level"} {
		cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(blockLevels, cobra.ShellCompDirectiveNoFileComp))
	}

	cmd.AddCommand(
		newCarveListCommand(o),
		newCarveShowCommand(o),
		newResizeCommand(o, "grow"),
		newResizeCommand(o, "shrink"),
		newReleaseCommand(o),
		newSwapCommand(o),
		newDefragCommand(o),
		newReserveCommand(o),
		newUnreserveCommand(o),
		newReservationsCommand(o),
		newCapacityCommand(o),
	)
	return cmd
}

func newCarveListCommand(o *options) *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls", "blocks"},
		Short:   "List blocks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				resp, err := cs.ListBlocks(ctx, &pb.ListBlocksRequest{Tenant: tenant})
				if err != nil {
					return err
				}
				return printList(p, resp.GetBlocks(), blockColumns)
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's blocks")
	cmd.RegisterFlagCompletionFunc("tenant", o.completeTenants)
	return cmd
}

func newCarveShowCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:               "show BLOCK",
		Aliases:           []string{"describe", "get"},
		Short:             "Show a block and its nodes",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeBlocks,
		RunE: func(cmd *cobra.Command, args []string) error {
			return describe(cmd, o, func(c *conn) (*pb.Block, error) {
				ctx, cancel := o.context(cmd)
				defer cancel()
				return pb.NewCarveServiceClient(c.cc).GetBlock(ctx, &pb.GetBlockRequest{Name: args[0]})
			}, writeBlock)
		},
	}
}

// newResizeCommand returns carve grow or carve shrink.
func newResizeCommand(o *options, op string) *cobra.Command {
	var (
		gpus int32
		dry  bool
	)
	short, help := "Add GPUs to a block, as close as possible to its nodes", "how many GPUs to add (required)"
	if op == "shrink" {
		short, help = "Take GPUs from a block, keeping the rest most contiguous", "how many GPUs to take away (required)"
	}
	cmd := &cobra.Command{
		Use:               op + " BLOCK --gpus N",
		Short:             short,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeBlocks,
		RunE: func(cmd *cobra.Command, args []string) error {
			if gpus <= 0 {
				return errors.New("--gpus must be positive")
			}
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			req := &pb.ResizeRequest{Block: args[0], Gpus: gpus, DryRun: dry}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				resize := cs.Grow
				if op == "shrink" {
					resize = cs.Shrink
				}
				pl, err := resize(ctx, req)
				if err != nil {
					return err
				}
				return printPlacement(p, pl)
			})
		},
	}
	cmd.Flags().Int32Var(&gpus, "gpus", 0, help)
	cmd.Flags().BoolVar(&dry, "dry-run", false, "show the change without committing it")
	cmd.MarkFlagRequired("gpus")
	return cmd
}

func newReleaseCommand(o *options) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:               "release BLOCK",
		Short:             "Release a block, freeing its GPUs",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeBlocks,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				pl, err := cs.Release(ctx, &pb.ReleaseRequest{Block: args[0], DryRun: dry})
				if err != nil {
					return err
				}
				return printPlacement(p, pl)
			})
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "show what would be freed without committing it")
	return cmd
}

func newSwapCommand(o *options) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "swap BLOCK NODE",
		Short: "Replace a node of a block by the nearest healthy spare",
		Args:  cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return o.completeMembers(cmd, args[0])
			}
			return o.completeBlocks(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				pl, err := cs.Swap(ctx, &pb.SwapRequest{Block: args[0], Node: args[1], DryRun: dry})
				if err != nil {
					return err
				}
				return printPlacement(p, pl)
			})
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "show the spare without committing the swap")
	return cmd
}

func newDefragCommand(o *options) *cobra.Command {
	var (
		req         pb.DefragRequest
		level       string
		plan, apply bool
	)
	cmd := &cobra.Command{
		Use:   "defrag [--plan | --apply]",
		Short: "Plan (or apply) moves of preemptible blocks that free whole domains",
		Long: `Defrag proposes moves of preemptible blocks out of nearly free domains
so that those domains become whole, the cheapest first, moving at most
--max-nodes nodes. It only plans unless --apply is given.`,
		Example: `  railyard carve defrag --model H100-SXM5-80GB
  railyard carve defrag --level nvlink --max-nodes 16 --apply`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.MaxNodes < 0 {
				return errors.New("--max-nodes must not be negative")
			}
			var err error
			if req.Level, err = parseLevel("level", level, defragLevels); err != nil {
				return err
			}
			req.Apply = apply
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				d, err := cs.Defrag(ctx, &req)
				if err != nil {
					return err
				}
				if p.table() {
					return writeDefragPlan(p.w, d)
				}
				return p.printMessage(d)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.GpuModel, "model", "", "GPU model (may be left out when the fleet has one)")
	fl.Int32Var(&req.MaxNodes, "max-nodes", 0, "move at most this many nodes (0 for the server's default, 64)")
	fl.StringVar(&level, "level", "", "the domains to free whole: leaf (default), nvlink or pod")
	fl.BoolVar(&plan, "plan", false, "only propose the moves (the default)")
	fl.BoolVar(&apply, "apply", false, "perform the moves")
	cmd.MarkFlagsMutuallyExclusive("plan", "apply")
	cmd.RegisterFlagCompletionFunc("level", cobra.FixedCompletions(defragLevels, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newReserveCommand(o *options) *cobra.Command {
	var (
		r      pb.Reservation
		domain string
		until  string
	)
	cmd := &cobra.Command{
		Use:   "reserve NAME --tenant T (--domain LEVEL:NAME | --nodes N1,N2)",
		Short: "Keep a domain or nodes for one tenant",
		Long: `Reserve keeps a domain (--domain leaf:lab-su01) or a list of nodes out
of other tenants' blocks, until --until (a time in RFC 3339, or a
duration from now such as 168h), or until unreserved.`,
		Example: `  railyard carve reserve acme-su01 --tenant acme --domain leaf:lab-su01 --until 168h
  railyard carve reserve acme-spares --tenant acme --nodes lab-su01-r01-n01,lab-su01-r01-n02 --note "spares"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res := &pb.Reservation{Name: args[0], Tenant: r.Tenant, Nodes: r.Nodes, Note: r.Note}
			if domain != "" {
				var err error
				if res.Level, res.Domain, err = parseDomain(domain); err != nil {
					return err
				}
			}
			if until != "" {
				t, err := parseUntil(until, now())
				if err != nil {
					return err
				}
				res.Until = timestamppb.New(t)
			}
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				got, err := cs.Reserve(ctx, &pb.ReserveRequest{Reservation: res})
				if err != nil {
					return err
				}
				if !p.table() {
					return p.printMessage(got)
				}
				msg := fmt.Sprintf("reserved %s for %s as %s", reservedText(got), got.GetTenant(), got.GetName())
				if u := timeText(got.GetUntil()); u != "" {
					msg += " until " + u
				}
				fmt.Fprintln(p.w, msg)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&r.Tenant, "tenant", "", "the tenant to reserve for (required)")
	fl.StringVar(&domain, "domain", "", "the domain to reserve, as LEVEL:NAME (leaf:lab-su01)")
	fl.StringSliceVar(&r.Nodes, "nodes", nil, "the nodes to reserve, comma-separated")
	fl.StringVar(&until, "until", "", "when the reservation ends: RFC 3339 time, or a duration from now (168h)")
	fl.StringVar(&r.Note, "note", "", "why, for people")
	cmd.MarkFlagRequired("tenant")
	cmd.MarkFlagsOneRequired("domain", "nodes")
	cmd.MarkFlagsMutuallyExclusive("domain", "nodes")
	cmd.RegisterFlagCompletionFunc("tenant", o.completeTenants)
	return cmd
}

// parseDomain reads LEVEL:NAME.
func parseDomain(s string) (level, name string, err error) {
	l, n, ok := strings.Cut(s, ":")
	if !ok || n == "" {
		return "", "", fmt.Errorf("--domain %q: want LEVEL:NAME, such as leaf:lab-su01", s)
	}
	if level, err = parseLevel("domain", l, blockLevels); err != nil {
		return "", "", err
	}
	return level, n, nil
}

// parseUntil reads an RFC 3339 time, or a positive duration after now.
func parseUntil(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--until %q: want a time such as 2025-06-01T00:00:00Z or a duration such as 168h", s)
	}
	if d <= 0 {
		return time.Time{}, fmt.Errorf("--until %q: the duration must be positive", s)
	}
	return now.Add(d).UTC().Truncate(time.Second), nil
}

func newUnreserveCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "unreserve NAME",
		Short: "Remove a reservation",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			o.completeCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) {
				resp, err := cs.ListReservations(ctx, &pb.ListReservationsRequest{})
				if err != nil {
					return
				}
				for _, r := range resp.GetReservations() {
					names = append(names, r.GetName())
				}
			})
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.act(cmd, func(ctx context.Context, cs pb.CarveServiceClient) (proto.Message, error) {
				return cs.Unreserve(ctx, &pb.UnreserveRequest{Name: args[0]})
			}, "reservation "+args[0]+" removed")
		},
	}
}

func newReservationsCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "reservations",
		Aliases: []string{"reservation"},
		Short:   "List reservations",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				resp, err := cs.ListReservations(ctx, &pb.ListReservationsRequest{})
				if err != nil {
					return err
				}
				return printList(p, resp.GetReservations(), reservationColumns)
			})
		},
	}
}

func newCapacityCommand(o *options) *cobra.Command {
	var req pb.CapacityRequest
	cmd := &cobra.Command{
		Use:   "capacity",
		Short: "Show how usable the free GPUs of a model are, and a tenant's quota",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				resp, err := cs.Capacity(ctx, &req)
				if err != nil {
					return err
				}
				if p.table() {
					return writeCapacity(p.w, req.GetTenant(), resp)
				}
				return p.printMessage(resp)
			})
		},
	}
	cmd.Flags().StringVar(&req.Tenant, "tenant", "", "count for this tenant: its reservations and quota")
	cmd.Flags().StringVar(&req.GpuModel, "model", "", "GPU model (may be left out when the fleet has one)")
	cmd.RegisterFlagCompletionFunc("tenant", o.completeTenants)
	return cmd
}

// newCordonCommand returns cordon or, with cordon false, uncordon.
func newCordonCommand(o *options, cordon bool) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cordon NODE",
		Short: "Keep a node out of new blocks (blocks holding it keep it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			done := "node " + args[0] + " cordoned"
			if !cordon {
				done = "node " + args[0] + " uncordoned"
			}
			return o.act(cmd, func(ctx context.Context, cs pb.CarveServiceClient) (proto.Message, error) {
				return cs.Cordon(ctx, &pb.CordonRequest{Node: args[0], Cordoned: cordon, Reason: reason})
			}, done)
		},
	}
	if cordon {
		cmd.Flags().StringVar(&reason, "reason", "", "why, for people")
	} else {
		cmd.Use = "uncordon NODE"
		cmd.Short = "Let a cordoned node into new blocks again"
	}
	return cmd
}

// completionTimeout limits the calls made for shell completion, which
// shows nothing when the server is slow or away.
const completionTimeout = 2 * time.Second

// completeCall runs f against the server for shell completion.
func (o *options) completeCall(cmd *cobra.Command, f func(ctx context.Context, c *conn, cs pb.CarveServiceClient)) {
	c, err := o.dial()
	if err != nil {
		return
	}
	defer c.Close()
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	f(ctx, c, pb.NewCarveServiceClient(c.cc))
}

// completeBlocks completes the first argument with block names.
func (o *options) completeBlocks(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	o.completeCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) {
		resp, err := cs.ListBlocks(ctx, &pb.ListBlocksRequest{})
		if err != nil {
			return
		}
		for _, b := range resp.GetBlocks() {
			names = append(names, b.GetName())
		}
	})
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeMembers completes a node of block.
func (o *options) completeMembers(cmd *cobra.Command, block string) ([]string, cobra.ShellCompDirective) {
	var names []string
	o.completeCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) {
		b, err := cs.GetBlock(ctx, &pb.GetBlockRequest{Name: block})
		if err != nil {
			return
		}
		for _, m := range b.GetMembers() {
			names = append(names, m.GetNode())
		}
	})
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeTenants completes a --tenant flag with tenant names.
func (o *options) completeTenants(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var names []string
	o.completeCall(cmd, func(ctx context.Context, c *conn, _ pb.CarveServiceClient) {
		tenants, err := listPages(ctx, c.ListTenants, &pb.Filter{}, 0, (*pb.ListTenantsResponse).GetTenants)
		if err != nil {
			return
		}
		for _, t := range tenants {
			names = append(names, t.GetName())
		}
	})
	return names, cobra.ShellCompDirectiveNoFileComp
}
