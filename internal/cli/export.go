package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func newExportCommand(o *options) *cobra.Command {
	var format, site, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the inventory as a fleet file",
		Example: `  railyard export > fleet.yaml
  railyard export -f csv --site ams1 --out ams1.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "yaml", "csv":
			default:
				return fmt.Errorf("unknown export format %q: want yaml or csv", format)
			}
			c, err := o.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			req := &pb.ExportRequest{Format: format}
			if site != "" {
				req.Filter = &pb.Filter{Site: site}
			}
			if out == "" || out == "-" {
				return export(cmd, o, c, req, cmd.OutOrStdout())
			}
			return exportFile(cmd, o, c, req, out)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&format, "format", "f", "yaml", "file format: yaml or csv")
	f.StringVar(&site, "site", "", "only this site")
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(
		[]string{"yaml", "csv"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// export writes the server's export to w as it arrives.
func export(cmd *cobra.Command, o *options, c *conn, req *pb.ExportRequest, w io.Writer) error {
	ctx, cancel := o.context(cmd)
	defer cancel()
	stream, err := c.Export(ctx, req)
	if err != nil {
		return c.rpcError(err)
	}
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return c.rpcError(err)
		}
		if _, err := w.Write(chunk.GetData()); err != nil {
			return err
		}
	}
}

// exportFile exports to the file name, which is replaced only once the
// whole export has arrived.
func exportFile(cmd *cobra.Command, o *options, c *conn, req *pb.ExportRequest, name string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := export(cmd, o, c, req, f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
