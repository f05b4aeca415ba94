package cli

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// maxPageSize is the largest page the server hands out.
const maxPageSize = 5000

// getFlags are the flags of get and its subcommands.
type getFlags struct {
	filter pb.Filter
	limit  int
}

func newGetCommand(o *options) *cobra.Command {
	g := &getFlags{}
	cmd := &cobra.Command{
		Use:   "get",
		Short: "List nodes, GPUs, NICs, switches, links or tenants",
		Example: `  railyard get nodes --site ams1 --state available
  railyard get gpus --node gpu-ams1-001 -o json
  railyard get switches --role leaf --fabric ib0`,
	}
	f := cmd.PersistentFlags()
	f.StringVar(&g.filter.Site, "site", "", "only this site")
	f.StringVar(&g.filter.Pod, "pod", "", "only this pod")
	f.StringVar(&g.filter.LeafDomain, "leaf-domain", "", "only this leaf domain")
	f.StringVar(&g.filter.Rack, "rack", "", "only this rack")
	f.StringVar(&g.filter.State, "state", "", "only nodes in this state (discovered, available, allocated, maintenance, failed, retired)")
	f.StringVar(&g.filter.GpuModel, "gpu-model", "", "only this GPU model")
	f.StringVar(&g.filter.Fabric, "fabric", "", "only this fabric")
	f.StringVar(&g.filter.Node, "node", "", "only the parts of this node")
	f.StringVar(&g.filter.Role, "role", "", "only switches with this role (leaf, spine, core)")
	f.IntVar(&g.limit, "limit", 0, "list at most this many (0 for all)")
	cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(
		[]string{"discovered", "available", "allocated", "maintenance", "failed", "retired"},
		cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(
		[]string{"leaf", "spine", "core"}, cobra.ShellCompDirectiveNoFileComp))

	cmd.AddCommand(
		newGetKindCommand(o, g, "nodes", "node", nodeColumns, func(ctx context.Context, c *conn, f *pb.Filter, limit int) ([]*pb.Node, error) {
			if limit == 0 {
				return drainStream(ctx, c.StreamNodes, f, (*pb.ListNodesResponse).GetNodes)
			}
			return listPages(ctx, c.ListNodes, f, limit, (*pb.ListNodesResponse).GetNodes)
		}),
		newGetKindCommand(o, g, "gpus", "gpu", gpuColumns, func(ctx context.Context, c *conn, f *pb.Filter, limit int) ([]*pb.GPU, error) {
			if limit == 0 {
				return drainStream(ctx, c.StreamGPUs, f, (*pb.ListGPUsResponse).GetGpus)
			}
			return listPages(ctx, c.ListGPUs, f, limit, (*pb.ListGPUsResponse).GetGpus)
		}),
		newGetKindCommand(o, g, "nics", "nic", nicColumns, func(ctx context.Context, c *conn, f *pb.Filter, limit int) ([]*pb.NIC, error) {
			if limit == 0 {
				return drainStream(ctx, c.StreamNICs, f, (*pb.ListNICsResponse).GetNics)
			}
			return listPages(ctx, c.ListNICs, f, limit, (*pb.ListNICsResponse).GetNics)
		}),
		newGetKindCommand(o, g, "switches", "switch", switchColumns, func(ctx context.Context, c *conn, f *pb.Filter, limit int) ([]*pb.Switch, error) {
			return listPages(ctx, c.ListSwitches, f, limit, (*pb.ListSwitchesResponse).GetSwitches)
		}),
		newGetKindCommand(o, g, "links", "link", linkColumns, func(ctx context.Context, c *conn, f *pb.Filter, limit int) ([]*pb.Link, error) {
			if limit == 0 {
				return drainStream(ctx, c.StreamLinks, f, (*pb.ListLinksResponse).GetLinks)
			}
			return listPages(ctx, c.ListLinks, f, limit, (*pb.ListLinksResponse).GetLinks)
		}),
		newGetKindCommand(o, g, "tenants", "tenant", tenantColumns, func(ctx context.Context, c *conn, f *pb.Filter, limit int) ([]*pb.Tenant, error) {
			return listPages(ctx, c.ListTenants, f, limit, (*pb.ListTenantsResponse).GetTenants)
		}),
	)
	return cmd
}

// fetchFunc fetches up to limit records (0 for all) matching f.
type fetchFunc[T any] func(ctx context.Context, c *conn, f *pb.Filter, limit int) ([]T, error)

// newGetKindCommand returns "get <plural>", which prints what fetch finds.
func newGetKindCommand[T proto.Message](o *options, g *getFlags, plural, singular string, cols []column[T], fetch fetchFunc[T]) *cobra.Command {
	return &cobra.Command{
		Use:     plural,
		Aliases: []string{singular},
		Short:   "List " + plural,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.limit < 0 {
				return errors.New("--limit must not be negative")
			}
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			c, err := o.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := o.context(cmd)
			defer cancel()
			items, err := fetch(ctx, c, &g.filter, g.limit)
			if err != nil {
				return c.rpcError(err)
			}
			return printList(p, items, cols)
		},
	}
}

// page is a List response.
type page interface {
	GetNextPageToken() string
}

// listPages calls a List RPC page after page until it has limit items
// (0 for all) or the pages run out.
func listPages[R page, T any](ctx context.Context, list func(context.Context, *pb.ListRequest, ...grpc.CallOption) (R, error), f *pb.Filter, limit int, items func(R) []T) ([]T, error) {
	req := &pb.ListRequest{Filter: f}
	if limit > 0 {
		req.PageSize = int32(min(limit, maxPageSize))
	}
	var all []T
	for {
		resp, err := list(ctx, req)
		if err != nil {
			return nil, err
		}
		all = append(all, items(resp)...)
		if limit > 0 && len(all) >= limit {
			return all[:limit], nil
		}
		next := resp.GetNextPageToken()
		if next == "" || next == req.PageToken {
			return all, nil
		}
		req.PageToken = next
	}
}

// drainStream calls a Stream RPC and collects every batch it sends.
func drainStream[R any, T any](ctx context.Context, open func(context.Context, *pb.ListRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[R], error), f *pb.Filter, items func(*R) []T) ([]T, error) {
	stream, err := open(ctx, &pb.ListRequest{Filter: f})
	if err != nil {
		return nil, err
	}
	var all []T
	for {
		batch, err := stream.Recv()
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, items(batch)...)
	}
}
