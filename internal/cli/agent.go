package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/metadata"

	"github.com/railyard/railyard/internal/agent"
	"github.com/railyard/railyard/internal/discovery/report"
	"github.com/railyard/railyard/internal/model"
	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func newAgentCommand(o *options) *cobra.Command {
	var cfg agent.Config
	var once bool
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the node agent: report this node's GPUs, NVLinks, NICs and GPU health to the server",
		Long: `The node agent runs on each GPU server. It reads the GPUs through NVML
(UUID, model, memory, serial, PCI bus id, NUMA node, NVLink peers and link
states, ECC and XID counters) and the NICs through sysfs (which NICs share a
PCIe switch with which GPU), and reports them to the server every --interval.

Where NVML is missing (no NVIDIA driver), the agent says so and exits with a
non-zero status.`,
		Example: `  railyard agent --server railyard.example:7443 --interval 5m
  railyard agent --once`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			dc := pb.NewDiscoveryServiceClient(c.cc)
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			send := func(ctx context.Context, obs *model.Observation) error {
				rctx, cancel := o.context(cmd)
				defer cancel()
				rctx = metadata.AppendToOutgoingContext(rctx, actorHeader, "agent:"+obs.Target)
				resp, err := report.Send(rctx, dc, []model.Observation{*obs}, false)
				if err != nil {
					return c.rpcError(err)
				}
				cfg.Logger.Info("reported", "node", obs.Target, "gpus", observedGPUs(obs), "changes", len(resp.GetChanges()))
				return nil
			}
			ctx := cmd.Context()
			if once {
				obs, err := agent.Collect(nvml.New(), cfg.Sys)
				if err != nil {
					return agentError(err)
				}
				return send(ctx, obs)
			}
			return agentError(agent.Run(ctx, cfg, send))
		},
	}
	cmd.Flags().DurationVar(&cfg.Interval, "interval", agent.DefaultInterval, "time between reports")
	cmd.Flags().BoolVar(&once, "once", false, "report once and exit")
	cmd.Flags().BoolVar(&cfg.WatchXIDs, "xids", true, "count XID error events between reports")
	return cmd
}

func observedGPUs(o *model.Observation) int {
	n := 0
	for _, nf := range o.Nodes {
		n += len(nf.GPUs)
	}
	return n
}

// agentError says plainly when the host has no NVML.
func agentError(err error) error {
	if errors.Is(err, agent.ErrNoNVML) {
		return fmt.Errorf("%w; the agent needs the NVIDIA driver (libnvidia-ml.so) and exits", err)
	}
	return err
}
