// Command railyard is Railyard's one binary: the server (serve), the
// operator CLI that talks to it over gRPC (get, describe, import, export,
// validate, watch), and offline tools (sample).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/railyard/railyard/internal/app"
	"github.com/railyard/railyard/internal/cli"
	"github.com/railyard/railyard/internal/discovery"
	// The discovery sources this binary speaks, registered by URL scheme.
	_ "github.com/railyard/railyard/internal/discovery/ipmi"
	_ "github.com/railyard/railyard/internal/discovery/redfish"
	_ "github.com/railyard/railyard/internal/discovery/snmp"
	_ "github.com/railyard/railyard/internal/discovery/switchcli"
	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/fleetgen"
	samples "github.com/railyard/railyard/inventory-samples"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := cli.NewRootCommand(serveCommand(), sampleCommand())
	if err := root.ExecuteContext(ctx); err != nil {
		os.Exit(1) // the root has printed the error
	}
}

func serveCommand() *cobra.Command {
	var cfg app.Config
	var verbose bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Railyard server (gRPC API over the inventory)",
		Long: `Run the Railyard server: open (and migrate) the inventory database and serve the
railyard.v1 gRPC API, with the standard gRPC health and reflection services.

The inventory is SQLite by default (--db PATH); give a postgres:// URL to run
on PostgreSQL. --sample imports one of the built-in sample fleets at start;
re-importing it into the same database changes nothing.`,
		Example: `  railyard serve --db railyard.db --sample lab-1su
  railyard serve --listen 0.0.0.0:7443 --db postgres://railyard@db/railyard`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SilenceUsage = true
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			cfg.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			cfg.Ready = func(addr net.Addr) {
				fmt.Fprintf(cmd.OutOrStdout(), "railyard serving on %s (db %s)\n", addr, cfg.DB)
			}
			return app.Run(cmd.Context(), cfg)
		},
	}
	cmd.Flags().StringVar(&cfg.Listen, "listen", cli.DefaultServer, "gRPC listen address")
	cmd.Flags().StringVar(&cfg.DB, "db", "railyard.db", "inventory database: a SQLite file path, or a postgres:// URL")
	cmd.Flags().StringVar(&cfg.Sample, "sample", "", "import this sample fleet at start ("+strings.Join(samples.Names(), ", ")+")")
	cmd.Flags().BoolVar(&cfg.Carve.SubNode, "carve-subnode", false, "allow blocks of fewer GPUs than a node, packed onto shared nodes")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "debug logging")
	d := &cfg.Discovery
	cmd.Flags().DurationVar(&d.Interval, "discover-interval", 0, "run discovery every interval over the inventory's BMC and switch addresses (0: never)")
	cmd.Flags().StringVar(&d.TargetsFile, "discover-targets", "", "also discover the targets in this file (one URL per line, with key=value hints)")
	cmd.Flags().StringVar(&d.Credential, "discover-credential", "", "credential reference (env:NAME or file:PATH) for targets that name none")
	cmd.Flags().IntVar(&d.Runner.Concurrency, "discover-concurrency", discovery.DefaultConcurrency, "targets asked at once")
	cmd.Flags().DurationVar(&d.Runner.Timeout, "discover-timeout", discovery.DefaultTimeout, "time limit per target attempt")
	cmd.Flags().IntVar(&d.Runner.Retries, "discover-retries", discovery.DefaultRetries, "retries of an unreachable target, with exponential backoff")
	cmd.Flags().DurationVar(&d.StaleAfter, "stale-after", 24*time.Hour, "mark devices and cables stale when discovery has not seen them for this long (0: never)")
	n := &cfg.Network
	cmd.Flags().DurationVar(&n.Interval, "network-interval", 30*time.Second, "reconcile tenant networks at least this often, and on every inventory change (0: only on request)")
	cmd.Flags().DurationVar(&n.DriftEvery, "network-drift-every", 10*time.Minute, "read every device back this often and correct drift (0: never)")
	cmd.Flags().BoolVar(&n.ReportOnly, "network-report-only", false, "report device drift and change nothing")
	cmd.Flags().StringVar(&n.Credential, "network-credential", "", "credential reference (env:NAME or file:PATH) for logging in to network devices")
	cmd.Flags().StringVar(&n.Endpoints, "network-endpoints", "", "file of \"device address [credential-ref]\" lines, for devices not reached at their management address (UFM, OpenSM)")
	cmd.Flags().IntVar(&n.Parallel, "network-parallel", 16, "devices synced at once per fabric")
	cmd.Flags().BoolVar(&n.Simulate, "network-simulate", false, "program simulated in-process devices instead of the real ones (demos and trials)")
	m := &cfg.Maintenance
	cmd.Flags().DurationVar(&m.Interval, "maint-interval", 5*time.Second, "run maintenance campaigns: admit nodes and start their steps this often (0: never; the API still stores campaigns)")
	cmd.Flags().DurationVar(&m.LeaseTTL, "maint-lease-ttl", 30*time.Second, "how long a node's maintenance lease outlives a server that died holding it")
	cmd.Flags().IntVar(&m.Parallel, "maint-parallel", 64, "maintenance steps run at once")
	cmd.Flags().BoolVar(&m.SimulateBMC, "maint-simulate-bmc", false, "power-cycle and update simulated in-process BMCs instead of the real ones (demos and trials)")
	return cmd
}

func sampleCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "List, print or generate sample fleets (offline; no server needed)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the built-in sample fleets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, n := range samples.Names() {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "Print a built-in sample fleet file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rc, _, err := samples.Open(args[0])
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(cmd.OutOrStdout(), rc)
			return err
		},
	})
	var spec fleetgen.Spec
	var format, out string
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Generate a fleet file of any size (for tests, benchmarks and demos)",
		Example: `  railyard sample generate --gpus 100000 --shape h100-superpod --out fleet-100k.yaml
  railyard sample generate --gpus 9216 --shape gb200-nvl72 --sites 2 -f csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SilenceUsage = true
			f, err := fleetgen.Generate(spec)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if out != "" {
				file, err := os.Create(out)
				if err != nil {
					return err
				}
				defer file.Close()
				w = file
			}
			return fleetfile.Encode(w, f, fleetfile.Format(format))
		},
	}
	gen.Flags().IntVar(&spec.GPUs, "gpus", 256, "number of GPUs")
	gen.Flags().StringVar(&spec.Shape, "shape", "h100-superpod", "fleet shape: h100-superpod or gb200-nvl72")
	gen.Flags().IntVar(&spec.Sites, "sites", 1, "number of sites")
	gen.Flags().StringVar(&spec.Name, "name", "", "site name prefix")
	gen.Flags().StringVarP(&format, "format", "f", "yaml", "file format: yaml or csv")
	gen.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")
	cmd.AddCommand(gen)
	return cmd
}
