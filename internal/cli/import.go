package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// chunkSize is how much of a file each ImportChunk carries.
const chunkSize = 1 << 20

func newImportCommand(o *options) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Apply a fleet file (YAML or CSV) to the inventory",
		Long: `Import applies a fleet file to the inventory. The file is authoritative
for the sites it names: records it lacks are deleted. Only differences are
written, in one transaction, and a bad file changes nothing. The file's
extension (.yaml, .yml or .csv) picks its format.`,
		Example: `  railyard import fleet/ams1.yaml --dry-run
  railyard import fleet/ams1.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			c, err := o.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			resp, err := sendImport(cmd, o, c, f, &pb.ImportChunk{
				Filename: filepath.Base(args[0]),
				DryRun:   dryRun,
				Actor:    actor(),
			})
			if err != nil {
				return err
			}
			if !p.table() {
				return p.printMessage(resp)
			}
			return writeImportSummary(cmd, args[0], resp)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and show the changes, but write nothing")
	return cmd
}

// sendImport streams r to the server in chunks, the first carrying first's
// metadata, and returns the server's answer.
func sendImport(cmd *cobra.Command, o *options, c *conn, r io.Reader, first *pb.ImportChunk) (*pb.ImportResponse, error) {
	ctx, cancel := o.context(cmd)
	defer cancel()
	stream, err := c.Import(ctx)
	if err != nil {
		return nil, c.rpcError(err)
	}
	buf := make([]byte, chunkSize)
	chunk := first
	for {
		n, rerr := io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return nil, rerr
		}
		last := rerr != nil
		// Always send the first chunk, even for an empty file: it names
		// the file.
		if n > 0 || chunk == first {
			chunk.Data = buf[:n]
			if err := stream.Send(chunk); err != nil {
				if err == io.EOF {
					// The server ended the call; CloseAndRecv has why.
					break
				}
				return nil, c.rpcError(err)
			}
			chunk = &pb.ImportChunk{}
		}
		if last {
			break
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, c.rpcError(err)
	}
	return resp, nil
}

// writeImportSummary writes what an import did (or would do), the
// changes of a dry run, and any warnings.
func writeImportSummary(cmd *cobra.Command, file string, resp *pb.ImportResponse) error {
	w := cmd.OutOrStdout()
	if resp.GetDryRun() {
		fmt.Fprintf(w, "dry run: would create %d, update %d, delete %d (%s)\n",
			resp.GetCreated(), resp.GetUpdated(), resp.GetDeleted(), file)
		if len(resp.GetChanges()) > 0 {
			if err := writeTable(w, "  ", resp.GetChanges(), changeColumns); err != nil {
				return err
			}
		}
	} else {
		fmt.Fprintf(w, "imported %s: %d created, %d updated, %d deleted\n",
			file, resp.GetCreated(), resp.GetUpdated(), resp.GetDeleted())
	}
	writeFindings(cmd.ErrOrStderr(), resp.GetFindings())
	return nil
}

// writeFindings writes findings one a line, for people.
func writeFindings(w io.Writer, findings []*pb.Finding) {
	for _, f := range findings {
		fmt.Fprintf(w, "%s: %s: %s (%s)\n", cell(f.GetSeverity()), cell(f.GetObject()), f.GetMessage(), cell(f.GetCode()))
	}
}

// actor is who is importing, for the history.
func actor() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
