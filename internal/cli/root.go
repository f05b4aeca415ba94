package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// DefaultServer is the server address used when neither --server nor
// RAILYARD_SERVER is set.
const DefaultServer = "127.0.0.1:7443"

// serverEnv names the environment variable that overrides DefaultServer.
const serverEnv = "RAILYARD_SERVER"

// options holds the root's persistent flags, shared by every command.
type options struct {
	server  string
	output  string
	timeout time.Duration
}

// NewRootCommand returns the railyard command tree with extra (such as
// serve and sample, which live elsewhere) added to it.
//
// Executing the root prints any error itself, as "railyard: <reason>" on
// its error writer, so callers need only exit 1 when Execute fails.
// Long-running commands (watch) stop when the context passed to
// ExecuteContext is cancelled.
func NewRootCommand(extra ...*cobra.Command) *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:   "railyard",
		Short: "Railyard is the inventory of a GPU cloud",
		Long: `Railyard is the source of truth for sites, racks, nodes, GPUs, NICs,
switches, cables and tenants. This command talks to a railyard server
over gRPC; see --server.`,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// Flags and arguments parsed: from here on an error is not a
			// usage mistake, so don't bury it under the usage text.
			cmd.Root().SilenceUsage = true
			return nil
		},
	}
	root.SetErrPrefix("railyard:")

	server := os.Getenv(serverEnv)
	if server == "" {
		server = DefaultServer
	}
	pf := root.PersistentFlags()
	pf.StringVar(&o.server, "server", server, "address of the railyard server (env "+serverEnv+")")
	pf.StringVarP(&o.output, "output", "o", formatTable, "output format: table, json or yaml")
	pf.DurationVar(&o.timeout, "timeout", 30*time.Second, "time limit for a request (0 for none)")
	root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]string{formatTable, formatJSON, formatYAML}, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		newGetCommand(o),
		newDescribeCommand(o),
		newImportCommand(o),
		newExportCommand(o),
		newValidateCommand(o),
		newWatchCommand(o),
		newDiscoverCommand(o),
		newAgentCommand(o),
	)
	root.AddCommand(newCarveCommands(o)...)
	root.AddCommand(newMaintCommand(o))
	root.AddCommand(extra...)
	// Cobra adds "completion bash|zsh|fish|powershell" when the root
	// executes, writing to the root's output as it is set then; adding it
	// here would fix the output too early.
	return root
}

// conn is a connection to the server for one command.
type conn struct {
	o  *options
	cc *grpc.ClientConn
	pb.InventoryServiceClient
}

// dial returns a client of the server. It does not connect: the first
// call does, and fails with an error that says the server can't be
// reached.
func (o *options) dial() (*conn, error) {
	cc, err := grpc.NewClient(o.server, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("invalid server address %q: %v", o.server, err)
	}
	return &conn{o: o, cc: cc, InventoryServiceClient: pb.NewInventoryServiceClient(cc)}, nil
}

func (c *conn) Close() error { return c.cc.Close() }

// context returns the context for one request, limited by --timeout.
func (o *options) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if o.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.timeout)
}

// printer returns the printer chosen by -o for cmd's output.
func (o *options) printer(cmd *cobra.Command) (*printer, error) {
	return newPrinter(cmd.OutOrStdout(), o.output)
}
