package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func newDescribeCommand(o *options) *cobra.Command {
	var history int32
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Show a node or switch in detail, with its history",
		Example: `  railyard describe node gpu-ams1-001
  railyard describe switch leaf-ams1-01 -o yaml`,
	}
	cmd.PersistentFlags().Int32Var(&history, "history", 0, "how many history entries to show (0 for the server's default)")
	cmd.AddCommand(
		&cobra.Command{
			Use:     "node HOSTNAME",
			Aliases: []string{"nodes"},
			Short:   "Show a node, its GPUs, NICs and history",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return describe(cmd, o, func(c *conn) (*pb.NodeDetail, error) {
					ctx, cancel := o.context(cmd)
					defer cancel()
					return c.GetNode(ctx, &pb.GetNodeRequest{Hostname: args[0], HistoryLimit: history})
				}, writeNodeDetail)
			},
		},
		&cobra.Command{
			Use:     "switch NAME",
			Aliases: []string{"switches"},
			Short:   "Show a switch, its ports and history",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return describe(cmd, o, func(c *conn) (*pb.SwitchDetail, error) {
					ctx, cancel := o.context(cmd)
					defer cancel()
					return c.GetSwitch(ctx, &pb.GetSwitchRequest{Name: args[0], HistoryLimit: history})
				}, writeSwitchDetail)
			},
		},
	)
	return cmd
}

// describe gets a detail message and prints it: as text with write, or
// whole as JSON or YAML.
func describe[T proto.Message](cmd *cobra.Command, o *options, get func(*conn) (T, error), write func(io.Writer, T) error) error {
	p, err := o.printer(cmd)
	if err != nil {
		return err
	}
	c, err := o.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := get(c)
	if err != nil {
		return c.rpcError(err)
	}
	if p.table() {
		return write(p.w, d)
	}
	return p.printMessage(d)
}

// writeNodeDetail writes a node, its GPUs, its NICs port by port, and its
// history, newest first.
func writeNodeDetail(w io.Writer, d *pb.NodeDetail) error {
	n := d.GetNode()
	if err := writeFields(w, []field{
		{"Hostname", n.GetHostname()},
		{"State", n.GetState()},
		{"Site", n.GetSite()},
		{"Pod", n.GetPod()},
		{"Leaf domain", n.GetLeafDomain()},
		{"Rack", n.GetRack()},
		{"Vendor", n.GetVendor()},
		{"Model", n.GetModel()},
		{"Serial", n.GetSerial()},
		{"GPUs", gpuSummary(n.GetGpuCount(), n.GetGpuModel())},
		{"BMC", n.GetBmcAddress()},
		{"BMC credentials", n.GetBmcCredentialRef()},
		{"Provenance", n.GetProvenance()},
		{"Last seen", staleText(n.GetLastSeen(), n.GetStale())},
	}); err != nil {
		return err
	}
	section(w, "GPUs", len(d.GetGpus()))
	if err := writeTable(w, "  ", d.GetGpus(), nodeGPUColumns); err != nil {
		return err
	}
	section(w, "NICs", len(d.GetNics()))
	if err := writeTable(w, "  ", nicPorts(d.GetNics()), nicPortColumns); err != nil {
		return err
	}
	return writeHistory(w, d.GetHistory())
}

// writeSwitchDetail writes a switch, its ports and its history, newest
// first.
func writeSwitchDetail(w io.Writer, d *pb.SwitchDetail) error {
	s := d.GetSwitch()
	if err := writeFields(w, []field{
		{"Name", s.GetName()},
		{"Role", s.GetRole()},
		{"Fabric", s.GetFabric()},
		{"Rail", itoa(s.GetRail())},
		{"Site", s.GetSite()},
		{"Pod", s.GetPod()},
		{"Leaf domain", s.GetLeafDomain()},
		{"Rack", s.GetRack()},
		{"Vendor", s.GetVendor()},
		{"Model", s.GetModel()},
		{"OS", s.GetOs()},
		{"Serial", s.GetSerial()},
		{"Management", s.GetMgmtAddress()},
		{"Driver", s.GetDriver()},
		{"Ports", itoa(s.GetPortCount())},
		{"Provenance", s.GetProvenance()},
		{"Last seen", staleText(s.GetLastSeen(), s.GetStale())},
	}); err != nil {
		return err
	}
	section(w, "Ports", len(d.GetPorts()))
	if err := writeTable(w, "  ", d.GetPorts(), switchPortColumns); err != nil {
		return err
	}
	return writeHistory(w, d.GetHistory())
}

func section(w io.Writer, name string, n int) {
	fmt.Fprintf(w, "\n%s (%d):\n", name, n)
}

// writeHistory writes changes newest first.
func writeHistory(w io.Writer, history []*pb.Change) error {
	history = slices.Clone(history)
	slices.SortStableFunc(history, func(a, b *pb.Change) int {
		return cmp.Compare(b.GetSeq(), a.GetSeq())
	})
	section(w, "History", len(history))
	return writeTable(w, "  ", history, historyColumns)
}

// nicPort is one port of a NIC, or a NIC without ports.
type nicPort struct {
	nic  *pb.NIC
	port *pb.NICPort // nil for a NIC without ports
}

func nicPorts(nics []*pb.NIC) []nicPort {
	var rows []nicPort
	for _, n := range nics {
		if len(n.GetPorts()) == 0 {
			rows = append(rows, nicPort{nic: n})
		}
		for _, p := range n.GetPorts() {
			rows = append(rows, nicPort{nic: n, port: p})
		}
	}
	return rows
}

var (
	// nodeGPUColumns are gpuColumns less the node, plus memory and NUMA.
	nodeGPUColumns = []column[*pb.GPU]{
		{"INDEX", func(g *pb.GPU) string { return itoa(g.GetIndex()) }},
		{"MODEL", (*pb.GPU).GetModel},
		{"UUID", (*pb.GPU).GetUuid},
		{"SERIAL", (*pb.GPU).GetSerial},
		{"MEMORY", func(g *pb.GPU) string { return memoryText(g.GetMemoryMib()) }},
		{"HEALTH", (*pb.GPU).GetHealth},
		{"NVLINK-DOMAIN", (*pb.GPU).GetNvlinkDomain},
		{"PCI", (*pb.GPU).GetPciBusId},
		{"NUMA", func(g *pb.GPU) string { return itoa(g.GetNumaNode()) }},
	}
	nicPortColumns = []column[nicPort]{
		{"NIC", func(r nicPort) string { return r.nic.GetName() }},
		{"KIND", func(r nicPort) string { return r.nic.GetKind() }},
		{"ROLE", func(r nicPort) string { return r.nic.GetRole() }},
		{"RAIL", func(r nicPort) string { return itoa(r.nic.GetRail()) }},
		{"FABRIC", func(r nicPort) string { return r.nic.GetFabric() }},
		{"PORT", func(r nicPort) string { return r.port.GetName() }},
		{"MAC/GUID", func(r nicPort) string { return macOrGUID(r.port) }},
		{"SPEED", func(r nicPort) string { return speedText(r.port.GetSpeedGbps()) }},
		{"PEER", func(r nicPort) string { return endpointText(r.port.GetPeer()) }},
	}
	switchPortColumns = []column[*pb.SwitchPort]{
		{"PORT", (*pb.SwitchPort).GetName},
		{"SPEED", func(p *pb.SwitchPort) string { return speedText(p.GetSpeedGbps()) }},
		{"PEER", func(p *pb.SwitchPort) string { return endpointText(p.GetPeer()) }},
	}
)

// macOrGUID shows a port's MAC (Ethernet), GUID (InfiniBand) or both.
func macOrGUID(p *pb.NICPort) string {
	var ids []string
	for _, id := range []string{p.GetMac(), p.GetGuid()} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, ",")
}

func speedText(gbps int32) string {
	if gbps == 0 {
		return ""
	}
	return itoa(gbps) + "G"
}

func memoryText(mib int32) string {
	if mib == 0 {
		return ""
	}
	if mib%1024 == 0 {
		return itoa(mib/1024) + "GiB"
	}
	return itoa(mib) + "MiB"
}
