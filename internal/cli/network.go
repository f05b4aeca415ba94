package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/metadata"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func (o *options) networkCall(cmd *cobra.Command, f func(ctx context.Context, ns pb.NetworkServiceClient) error) error {
	c, err := o.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := o.context(cmd)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, actorHeader, actor())
	return c.rpcError(f(ctx, pb.NewNetworkServiceClient(c.cc)))
}

func newNetworkCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "network",
		Aliases: []string{"networks", "net"},
		Short:   "Tenant access networks: plan, set, release, sync and watch devices",
		Long: `A tenant's network is an east-west compute network (an InfiniBand partition,
or an EVPN VRF on Ethernet) and a north-south storage network (a tenant VRF
with an L3VNI and an L2VNI segment on the tenant's storage ports, leaking to
and from the shared storage VRF). Railyard derives them from the tenant's
blocks, follows the blocks as they grow, shrink or swap nodes, and pushes
each device's configuration through its vendor driver.`,
		Example: `  railyard network plan acme            # what setting acme's network would change, per device
  railyard network set acme              # compute and storage networks for acme
  railyard network set acme --no-compute --storage-subnet 10.70.0.0/22
  railyard network get acme
  railyard network sync --all            # read every device back and correct drift
  railyard network devices
  railyard network release acme --wait`,
	}
	cmd.AddCommand(newNetworkSetCommand(o), newNetworkPlanCommand(o), newNetworkGetCommand(o), newNetworkListCommand(o),
		newNetworkReleaseCommand(o), newNetworkSyncCommand(o), newNetworkDevicesCommand(o))
	return cmd
}

type intentFlags struct {
	noCompute, noStorage bool
	tenantID             int
	l3vni, l2vni         uint32
	vlan                 int
	pkey                 string
	subnet               string
}

func (f *intentFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.noCompute, "no-compute", false, "no east-west compute network")
	cmd.Flags().BoolVar(&f.noStorage, "no-storage", false, "no north-south storage network")
	cmd.Flags().IntVar(&f.tenantID, "tenant-id", 0, "the tenant's number (VNIs, PKeys and RDs follow from it)")
	cmd.Flags().Uint32Var(&f.l3vni, "l3vni", 0, "override the tenant VRF's L3VNI")
	cmd.Flags().Uint32Var(&f.l2vni, "l2vni", 0, "override the storage segment's L2VNI")
	cmd.Flags().IntVar(&f.vlan, "vlan", 0, "override the segment's VLAN (2000-2999)")
	cmd.Flags().StringVar(&f.pkey, "pkey", "", "override the InfiniBand partition key (0x0001-0x7ffe)")
	cmd.Flags().StringVar(&f.subnet, "storage-subnet", "", "override the tenant's storage subnet (e.g. 10.70.0.0/22)")
}

func (f *intentFlags) request(tenant string) (*pb.SetTenantNetworkRequest, error) {
	r := &pb.SetTenantNetworkRequest{Tenant: tenant, Compute: !f.noCompute, Storage: !f.noStorage,
		Overrides: &pb.NetworkOverrides{TenantId: int32(f.tenantID), L3Vni: f.l3vni, L2Vni: f.l2vni, Vlan: int32(f.vlan), StorageSubnet: f.subnet}}
	if f.pkey != "" {
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(f.pkey), "0x"), 16, 16)
		if err != nil {
			return nil, fmt.Errorf("--pkey %q: want a hex partition key such as 0x0101", f.pkey)
		}
		r.Overrides.Pkey = uint32(v)
	}
	if f.noCompute && f.noStorage {
		return nil, fmt.Errorf("--no-compute and --no-storage leave nothing to set")
	}
	return r, nil
}

func newNetworkSetCommand(o *options) *cobra.Command {
	var f intentFlags
	cmd := &cobra.Command{
		Use:               "set TENANT",
		Short:             "Create or change a tenant's networks",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeTenantArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(args[0])
			if err != nil {
				return err
			}
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.networkCall(cmd, func(ctx context.Context, ns pb.NetworkServiceClient) error {
				n, err := ns.SetTenantNetwork(ctx, req)
				if err != nil {
					return err
				}
				return printNetwork(p, n)
			})
		},
	}
	f.add(cmd)
	return cmd
}

func newNetworkPlanCommand(o *options) *cobra.Command {
	var (
		f       intentFlags
		observe bool
		cmds    bool
	)
	cmd := &cobra.Command{
		Use:   "plan TENANT",
		Short: "Show, per device, what a tenant's networks would change",
		Long: `plan compiles the tenant's intent (the stored one, or the one the flags
describe when the tenant has none) with every other tenant's and shows the
typed change and the driver commands for each device, before anything is
pushed. With --observe it reads each device and diffs against what the
device really holds.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeTenantArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			req := &pb.PlanTenantNetworkRequest{Tenant: args[0], Observe: observe}
			if cmd.Flags().NFlag() > 0 && (cmd.Flags().Changed("no-compute") || cmd.Flags().Changed("no-storage") || cmd.Flags().Changed("tenant-id") ||
				cmd.Flags().Changed("l3vni") || cmd.Flags().Changed("l2vni") || cmd.Flags().Changed("vlan") || cmd.Flags().Changed("pkey") || cmd.Flags().Changed("storage-subnet")) {
				if req.Intent, err = f.request(args[0]); err != nil {
					return err
				}
			}
			return o.networkCall(cmd, func(ctx context.Context, ns pb.NetworkServiceClient) error {
				plan, err := ns.PlanTenantNetwork(ctx, req)
				if err != nil && req.Intent == nil && strings.Contains(err.Error(), "has no network") {
					// Plan the default intent for a tenant with none yet.
					req.Intent, _ = f.request(args[0])
					plan, err = ns.PlanTenantNetwork(ctx, req)
				}
				if err != nil {
					return err
				}
				if !p.table() {
					return p.printMessage(plan)
				}
				if err := printNetwork(p, plan.GetNetwork()); err != nil {
					return err
				}
				if len(plan.GetDevices()) == 0 {
					fmt.Fprintln(p.w, "\nno device changes")
					return nil
				}
				for _, d := range plan.GetDevices() {
					src := "stored revision " + strconv.FormatInt(d.GetRevision(), 10)
					if d.GetObserved() {
						src = "the device"
					} else if d.GetRevision() == 0 {
						src = "nothing (new device)"
					}
					fmt.Fprintf(p.w, "\n%s (%s), against %s:\n", d.GetDevice(), d.GetDriver(), src)
					for _, l := range strings.Split(strings.TrimRight(d.GetChange(), "\n"), "\n") {
						fmt.Fprintf(p.w, "  %s\n", l)
					}
					if d.GetError() != "" {
						fmt.Fprintf(p.w, "  error: %s\n", d.GetError())
					}
					if cmds {
						fmt.Fprintln(p.w, "  commands:")
						for _, c := range d.GetCommands() {
							fmt.Fprintf(p.w, "    %s\n", c)
						}
					} else if n := len(d.GetCommands()); n > 0 {
						fmt.Fprintf(p.w, "  (%d driver commands; --commands shows them)\n", n)
					}
				}
				return nil
			})
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&observe, "observe", false, "diff against what each device holds now")
	cmd.Flags().BoolVar(&cmds, "commands", false, "show the driver commands")
	return cmd
}

func newNetworkGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:               "get TENANT",
		Short:             "Show a tenant's networks and whether every device carries them",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeTenantArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.networkCall(cmd, func(ctx context.Context, ns pb.NetworkServiceClient) error {
				n, err := ns.GetTenantNetwork(ctx, &pb.GetTenantNetworkRequest{Tenant: args[0]})
				if err != nil {
					return err
				}
				return printNetwork(p, n)
			})
		},
	}
}

var networkColumns = []column[*pb.TenantNetwork]{
	{"TENANT", func(n *pb.TenantNetwork) string { return n.GetTenant() }},
	{"ID", func(n *pb.TenantNetwork) string { return strconv.Itoa(int(n.GetId())) }},
	{"STATE", func(n *pb.TenantNetwork) string { return n.GetState() }},
	{"READY", func(n *pb.TenantNetwork) string { return yesNo(n.GetReady()) }},
	{"FABRICS", func(n *pb.TenantNetwork) string {
		var fs []string
		for _, f := range n.GetFabrics() {
			if f.GetPkey() != 0 {
				fs = append(fs, fmt.Sprintf("%s pkey %#04x", f.GetFabric(), f.GetPkey()))
			} else {
				fs = append(fs, fmt.Sprintf("%s %s vni %d/%d vlan %d %s", f.GetFabric(), f.GetVrf(), f.GetL3Vni(), f.GetL2Vni(), f.GetVlan(), f.GetSubnet()))
			}
		}
		return strings.Join(fs, "; ")
	}},
	{"PENDING", func(n *pb.TenantNetwork) string { return strconv.Itoa(len(n.GetPendingDevices())) }},
}

func newNetworkListCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List tenant networks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.networkCall(cmd, func(ctx context.Context, ns pb.NetworkServiceClient) error {
				r, err := ns.ListTenantNetworks(ctx, &pb.ListTenantNetworksRequest{})
				if err != nil {
					return err
				}
				return printList(p, r.GetNetworks(), networkColumns)
			})
		},
	}
}

func printNetwork(p *printer, n *pb.TenantNetwork) error {
	if !p.table() {
		return p.printMessage(n)
	}
	fmt.Fprintf(p.w, "tenant %s: network %s, id %d, ready %s\n", n.GetTenant(), n.GetState(), n.GetId(), yesNo(n.GetReady()))
	for _, f := range n.GetFabrics() {
		if f.GetPkey() != 0 {
			fmt.Fprintf(p.w, "  %s (%s %s): partition %#04x, %d ports, on %s\n", f.GetFabric(), f.GetRole(), f.GetKind(), f.GetPkey(), f.GetPorts(), strings.Join(f.GetDevices(), ", "))
			continue
		}
		fmt.Fprintf(p.w, "  %s (%s %s): vrf %s l3vni %d rt %s; segment vlan %d l2vni %d subnet %s gateway %s; %d ports on %s\n",
			f.GetFabric(), f.GetRole(), f.GetKind(), f.GetVrf(), f.GetL3Vni(), f.GetRouteTarget(), f.GetVlan(), f.GetL2Vni(), f.GetSubnet(), f.GetGateway(),
			f.GetPorts(), strings.Join(f.GetDevices(), ", "))
	}
	if len(n.GetPendingDevices()) > 0 {
		fmt.Fprintf(p.w, "  waiting for: %s\n", strings.Join(n.GetPendingDevices(), ", "))
	}
	for _, f := range n.GetFindings() {
		fmt.Fprintf(p.w, "  note: %s %s: %s\n", f.GetFabric(), f.GetNode(), f.GetReason())
	}
	return nil
}

func newNetworkReleaseCommand(o *options) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:               "release TENANT",
		Short:             "Take a tenant's networks off every device",
		Long:              "release takes the tenant's networks off every device. The network is released when every device has synced without it; --wait syncs and waits for that.",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeTenantArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.networkCall(cmd, func(ctx context.Context, ns pb.NetworkServiceClient) error {
				n, err := ns.ReleaseTenantNetwork(ctx, &pb.ReleaseTenantNetworkRequest{Tenant: args[0]})
				if err != nil {
					return err
				}
				if n.GetState() == "released" {
					fmt.Fprintf(p.w, "tenant %s: network released; every port is isolated\n", args[0])
					return nil
				}
				if wait <= 0 {
					return printNetwork(p, n)
				}
				deadline := time.Now().Add(wait)
				for {
					r, err := ns.SyncNetwork(ctx, &pb.SyncNetworkRequest{})
					if err != nil {
						return err
					}
					for _, t := range r.GetReleased() {
						if t == args[0] {
							fmt.Fprintf(p.w, "tenant %s: network released; every port is isolated\n", t)
							return nil
						}
					}
					if _, err := ns.GetTenantNetwork(ctx, &pb.GetTenantNetworkRequest{Tenant: args[0]}); err != nil && strings.Contains(err.Error(), "has no network") {
						fmt.Fprintf(p.w, "tenant %s: network released; every port is isolated\n", args[0])
						return nil
					}
					if time.Now().After(deadline) {
						return fmt.Errorf("tenant %s: still releasing after %s: %s", args[0], wait, syncErrors(r))
					}
					time.Sleep(time.Second)
				}
			})
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "sync and wait up to this long for the release to finish")
	return cmd
}

func syncErrors(r *pb.SyncNetworkResponse) string {
	var es []string
	for _, x := range r.GetReports() {
		if x.GetError() != "" {
			es = append(es, x.GetDevice()+": "+x.GetError())
		}
	}
	if len(es) == 0 {
		return "devices still syncing"
	}
	return strings.Join(es, "; ")
}

var syncColumns = []column[*pb.SyncReport]{
	{"DEVICE", func(r *pb.SyncReport) string { return r.GetDevice() }},
	{"DRIVER", func(r *pb.SyncReport) string { return r.GetDriver() }},
	{"CHANGED", func(r *pb.SyncReport) string { return yesNo(r.GetChanged()) }},
	{"COMMANDS", func(r *pb.SyncReport) string { return strconv.Itoa(int(r.GetCommands())) }},
	{"PASSES", func(r *pb.SyncReport) string { return strconv.Itoa(int(r.GetPasses())) }},
	{"TIME", func(r *pb.SyncReport) string { return (time.Duration(r.GetDurationMs()) * time.Millisecond).String() }},
	{"ERROR", func(r *pb.SyncReport) string { return r.GetError() }},
}

func newNetworkSyncCommand(o *options) *cobra.Command {
	var all, dry bool
	cmd := &cobra.Command{
		Use:   "sync [DEVICE...]",
		Short: "Sync devices to their desired configuration now",
		Long: `sync compiles the tenant networks and brings devices to their desired
configuration: the devices behind their revision, the named devices, or with
--all every device (a drift check: a hand edit is reported and corrected).
--dry-run reads the devices and shows the drift without changing anything.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.networkCall(cmd, func(ctx context.Context, ns pb.NetworkServiceClient) error {
				r, err := ns.SyncNetwork(ctx, &pb.SyncNetworkRequest{Devices: args, All: all, DryRun: dry})
				if err != nil {
					return err
				}
				if !p.table() {
					return p.printMessage(r)
				}
				if err := writeTable(p.w, "", r.GetReports(), syncColumns); err != nil {
					return err
				}
				for _, x := range r.GetReports() {
					if x.GetDrift() != "" {
						fmt.Fprintf(p.w, "\n%s drift:\n%s", x.GetDevice(), x.GetDrift())
					}
				}
				for _, t := range r.GetReleased() {
					fmt.Fprintf(p.w, "tenant %s: network released\n", t)
				}
				var failed int
				for _, x := range r.GetReports() {
					if x.GetError() != "" {
						failed++
					}
				}
				if failed > 0 {
					return fmt.Errorf("%d of %d devices failed to sync", failed, len(r.GetReports()))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "sync every device (drift check)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "read and diff only")
	return cmd
}

var deviceColumns = []column[*pb.NetworkDevice]{
	{"DEVICE", func(d *pb.NetworkDevice) string { return d.GetDevice() }},
	{"DRIVER", func(d *pb.NetworkDevice) string { return d.GetDriver() }},
	{"FABRIC", func(d *pb.NetworkDevice) string { return d.GetFabric() }},
	{"REVISION", func(d *pb.NetworkDevice) string {
		return fmt.Sprintf("%d/%d", d.GetAppliedRevision(), d.GetRevision())
	}},
	{"IN-SYNC", func(d *pb.NetworkDevice) string { return yesNo(d.GetInSync()) }},
	{"LAST-SYNC", func(d *pb.NetworkDevice) string {
		if d.GetLastSync() == nil {
			return "never"
		}
		return d.GetLastSync().AsTime().Format(time.RFC3339) + " (" + (time.Duration(d.GetLastDurationMs()) * time.Millisecond).String() + ")"
	}},
	{"DRIFTS", func(d *pb.NetworkDevice) string { return strconv.Itoa(int(d.GetDriftCount())) }},
	{"TENANTS", func(d *pb.NetworkDevice) string { return strings.Join(d.GetTenants(), ",") }},
	{"LAST-ERROR", func(d *pb.NetworkDevice) string { return d.GetLastError() }},
}

func newNetworkDevicesCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "devices",
		Short: "List managed devices: revision applied, last sync, drift, last error",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.networkCall(cmd, func(ctx context.Context, ns pb.NetworkServiceClient) error {
				r, err := ns.ListNetworkDevices(ctx, &pb.ListNetworkDevicesRequest{})
				if err != nil {
					return err
				}
				return printList(p, r.GetDevices(), deviceColumns)
			})
		},
	}
}
