package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func newWatchCommand(o *options) *cobra.Command {
	req := &pb.WatchRequest{}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Print changes to the inventory as they happen",
		Long: `Watch prints changes to the inventory as they happen, one a line (or
one JSON object a line with -o json), until interrupted. --after-seq
replays history after that sequence number first; -1 replays all of it.`,
		Example: `  railyard watch
  railyard watch --after-seq -1 --kind node --kind gpu
  railyard watch --subject gpu-ams1-001 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			c, err := o.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			// A watch runs until interrupted: --timeout doesn't apply.
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			stream, err := c.Watch(ctx, req)
			if err != nil {
				return c.rpcError(err)
			}
			printChange := changePrinter(p)
			for {
				ch, err := stream.Recv()
				if err == io.EOF || isCanceled(ctx, err) {
					return nil
				}
				if err != nil {
					return c.rpcError(err)
				}
				if err := printChange(ch); err != nil {
					return err
				}
			}
		},
	}
	f := cmd.Flags()
	f.Int64Var(&req.AfterSeq, "after-seq", 0, "start after this change (0: from now on; -1: from the beginning)")
	f.StringSliceVar(&req.Kinds, "kind", nil, "only records of this kind (node, gpu, nic, switch, link, ...); repeatable")
	f.StringVar(&req.Subject, "subject", "", "only changes of this node or switch and its parts")
	return cmd
}

// watchLine is the format of a change in table mode. Changes arrive one
// at a time, so columns have fixed widths rather than aligned ones.
const watchLine = "%-8s %-20s %-6s %-13s %-40s %s\n"

// changePrinter returns a func that prints one change in p's format: a
// line of text (after a header, printed now), a line of JSON, or a YAML document.
func changePrinter(p *printer) func(*pb.Change) error {
	switch p.format {
	case formatJSON:
		return func(ch *pb.Change) error {
			js, err := marshalJSON(ch)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(p.w, "%s\n", js)
			return err
		}
	case formatYAML:
		enc := yaml.NewEncoder(p.w)
		enc.SetIndent(2)
		return func(ch *pb.Change) error {
			js, err := marshalJSON(ch)
			if err != nil {
				return err
			}
			n, err := yamlNode(js)
			if err != nil {
				return err
			}
			return enc.Encode(n)
		}
	}
	fmt.Fprintf(p.w, watchLine, "SEQ", "TIME", "OP", "KIND", "KEY", "SOURCE")
	return func(ch *pb.Change) error {
		_, err := fmt.Fprintf(p.w, watchLine, fmt.Sprint(ch.GetSeq()), cell(timeText(ch.GetAt())),
			cell(ch.GetOp()), cell(ch.GetKind()), cell(ch.GetKey()), cell(ch.GetSource()))
		return err
	}
}
