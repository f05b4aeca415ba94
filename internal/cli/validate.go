package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// severityError is the severity of findings that fail validation.
const severityError = "error"

func newValidateCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a fleet file, or the stored inventory",
		Long: `Validate checks a fleet file, or the stored inventory when no file is
given, and lists its findings. It fails if any finding is an error.`,
		Example: `  railyard validate fleet/ams1.yaml
  railyard validate`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			req := &pb.ValidateRequest{}
			if len(args) == 1 {
				b, err := os.ReadFile(args[0])
				if err != nil {
					return err
				}
				req.Filename = filepath.Base(args[0])
				req.Content = b
			}
			c, err := o.dial()
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := o.context(cmd)
			defer cancel()
			resp, err := c.Validate(ctx, req)
			if err != nil {
				return c.rpcError(err)
			}
			findings := resp.GetFindings()
			if p.table() && len(findings) == 0 {
				fmt.Fprintln(p.w, "no findings")
			} else if err := printList(p, findings, findingColumns); err != nil {
				return err
			}
			var errs int
			for _, f := range findings {
				if f.GetSeverity() == severityError {
					errs++
				}
			}
			switch errs {
			case 0:
				return nil
			case 1:
				return fmt.Errorf("validation failed: 1 error")
			}
			return fmt.Errorf("validation failed: %d errors", errs)
		},
	}
}
