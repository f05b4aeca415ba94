package cli

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// quotaSetting is one MODEL=GPUS argument; gpus < 0 removes the quota.
type quotaSetting struct {
	model string
	gpus  int32
}

// parseQuotas reads MODEL=GPUS arguments. GPUS is a whole number, or none
// (or -1) to remove the model's quota.
func parseQuotas(args []string) ([]quotaSetting, error) {
	var qs []quotaSetting
	seen := map[string]bool{}
	for _, a := range args {
		model, n, ok := strings.Cut(a, "=")
		model, n = strings.TrimSpace(model), strings.TrimSpace(n)
		switch {
		case !ok:
			return nil, fmt.Errorf("quota %q: want MODEL=GPUS, such as H100-SXM5-80GB=256 (or MODEL=none to remove the quota)", a)
		case model == "":
			return nil, fmt.Errorf("quota %q: no GPU model before =", a)
		case n == "":
			return nil, fmt.Errorf("quota %q: no GPU count after = (want a number, or none to remove the quota)", a)
		case seen[model]:
			return nil, fmt.Errorf("quota %q: %s is given twice", a, model)
		}
		seen[model] = true
		if strings.EqualFold(n, "none") {
			qs = append(qs, quotaSetting{model, -1})
			continue
		}
		gpus, err := strconv.ParseInt(n, 10, 32)
		switch {
		case err != nil:
			return nil, fmt.Errorf("quota %q: GPU count %q is not a whole number (want a number, or none to remove the quota)", a, n)
		case gpus < -1:
			return nil, fmt.Errorf("quota %q: GPU count must not be negative (none or -1 removes the quota)", a)
		}
		qs = append(qs, quotaSetting{model, int32(gpus)})
	}
	return qs, nil
}

func newTenantCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tenant",
		Aliases: []string{"tenants"},
		Short:   "Create, delete and list tenants, and set their GPU quotas",
		Example: `  railyard tenant create acme --description "Acme Corp" --quota H100-SXM5-80GB=256
  railyard tenant list
  railyard tenant quota acme H100-SXM5-80GB=512 B200=none
  railyard tenant quota acme`,
	}
	cmd.AddCommand(
		newTenantCreateCommand(o),
		newTenantDeleteCommand(o),
		newTenantListCommand(o),
		newTenantQuotaCommand(o),
	)
	return cmd
}

func newTenantCreateCommand(o *options) *cobra.Command {
	var (
		description string
		quotas      []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME [--description D] [--quota MODEL=GPUS ...]",
		Short: "Create a tenant, with quotas",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			qs, err := parseQuotas(quotas)
			if err != nil {
				return err
			}
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, c *conn, cs pb.CarveServiceClient) error {
				t, err := cs.CreateTenant(ctx, &pb.CreateTenantRequest{Name: args[0], Description: description})
				if err != nil {
					return err
				}
				set, err := setQuotas(ctx, cs, t.GetName(), qs)
				if err != nil {
					return fmt.Errorf("tenant %s created, but its quotas are not all set: %w", t.GetName(), c.rpcError(err))
				}
				if !p.table() {
					return printTenants(p, []*pb.Tenant{t}, set, true)
				}
				fmt.Fprintf(p.w, "tenant %s created\n", t.GetName())
				if len(set) == 0 {
					return nil
				}
				return writeTable(p.w, "", set, quotaColumns)
			})
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the tenant is, for people")
	cmd.Flags().StringArrayVar(&quotas, "quota", nil, "a quota, MODEL=GPUS (repeatable)")
	return cmd
}

// setQuotas sets each quota of tenant in turn and returns what the server
// answered.
func setQuotas(ctx context.Context, cs pb.CarveServiceClient, tenant string, qs []quotaSetting) ([]*pb.Quota, error) {
	var set []*pb.Quota
	for _, q := range qs {
		got, err := cs.SetQuota(ctx, &pb.SetQuotaRequest{Tenant: tenant, GpuModel: q.model, Gpus: q.gpus})
		if err != nil {
			return set, err
		}
		set = append(set, got)
	}
	return set, nil
}

func newTenantDeleteCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:               "delete NAME",
		Aliases:           []string{"rm"},
		Short:             "Delete a tenant",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeTenantArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.act(cmd, func(ctx context.Context, cs pb.CarveServiceClient) (proto.Message, error) {
				return cs.DeleteTenant(ctx, &pb.DeleteTenantRequest{Name: args[0]})
			}, "tenant "+args[0]+" deleted")
		},
	}
}

func newTenantListCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List tenants and their quotas",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, c *conn, cs pb.CarveServiceClient) error {
				tenants, err := listPages(ctx, c.ListTenants, &pb.Filter{}, 0, (*pb.ListTenantsResponse).GetTenants)
				if err != nil {
					return err
				}
				resp, err := cs.ListQuotas(ctx, &pb.ListQuotasRequest{})
				if err != nil {
					return err
				}
				return printTenants(p, tenants, resp.GetQuotas(), false)
			})
		},
	}
}

func newTenantQuotaCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "quota NAME [MODEL=GPUS ...]",
		Short: "Set a tenant's GPU quotas, or list them",
		Long: `With MODEL=GPUS pairs, quota caps the GPUs of each model the tenant may
hold; MODEL=none (or MODEL=-1) removes the cap. A tenant without a quota
for a model is not limited for it. Without pairs, quota lists the
tenant's quotas and how much of each it uses.`,
		Example: `  railyard tenant quota acme H100-SXM5-80GB=256 B200=none
  railyard tenant quota acme`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: o.completeTenantArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			qs, err := parseQuotas(args[1:])
			if err != nil {
				return err
			}
			p, err := o.printer(cmd)
			if err != nil {
				return err
			}
			return o.carveCall(cmd, func(ctx context.Context, _ *conn, cs pb.CarveServiceClient) error {
				var quotas []*pb.Quota
				if len(qs) > 0 {
					set, err := setQuotas(ctx, cs, args[0], qs)
					if err != nil {
						return err
					}
					quotas = set
				} else {
					resp, err := cs.ListQuotas(ctx, &pb.ListQuotasRequest{Tenant: args[0]})
					if err != nil {
						return err
					}
					quotas = sortQuotas(resp.GetQuotas())
				}
				if p.table() && len(quotas) == 0 {
					fmt.Fprintf(p.w, "tenant %s has no quotas\n", args[0])
					return nil
				}
				return printList(p, quotas, quotaColumns)
			})
		},
	}
}

// completeTenantArg completes the first argument with tenant names.
func (o *options) completeTenantArg(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return o.completeTenants(cmd, args, toComplete)
}

var quotaColumns = []column[*pb.Quota]{
	{"MODEL", (*pb.Quota).GetGpuModel},
	{"USED", func(q *pb.Quota) string { return itoa(q.GetUsed()) }},
	{"QUOTA", func(q *pb.Quota) string { return quotaText(q.GetGpus()) }},
}

// quotaText reads "none" for a removed quota.
func quotaText(gpus int32) string {
	if gpus < 0 {
		return "none"
	}
	return itoa(gpus)
}

// sortQuotas orders quotas by tenant, then model.
func sortQuotas(qs []*pb.Quota) []*pb.Quota {
	qs = slices.Clone(qs)
	slices.SortStableFunc(qs, func(a, b *pb.Quota) int {
		return cmp.Or(cmp.Compare(a.GetTenant(), b.GetTenant()), cmp.Compare(a.GetGpuModel(), b.GetGpuModel()))
	})
	return qs
}

// tenantQuotas is a tenant with its quotas, a row of tenant list.
type tenantQuotas struct {
	tenant *pb.Tenant
	quotas []*pb.Quota
}

var tenantQuotaColumns = []column[tenantQuotas]{
	{"NAME", func(t tenantQuotas) string { return t.tenant.GetName() }},
	{"DESCRIPTION", func(t tenantQuotas) string { return t.tenant.GetDescription() }},
	{"QUOTAS", func(t tenantQuotas) string { return quotaSummary(t.quotas) }},
}

// quotaSummary reads like "B200 0/64, H100-SXM5-80GB 128/256" (used/quota).
func quotaSummary(qs []*pb.Quota) string {
	var parts []string
	for _, q := range qs {
		parts = append(parts, fmt.Sprintf("%s %d/%s", q.GetGpuModel(), q.GetUsed(), quotaText(q.GetGpus())))
	}
	return strings.Join(parts, ", ")
}

// printTenants prints tenants with their quotas: as a table, or as a JSON
// array (YAML sequence) of the tenant messages, each with a "quotas"
// field. With single, JSON and YAML print the one tenant, not an array.
func printTenants(p *printer, tenants []*pb.Tenant, quotas []*pb.Quota, single bool) error {
	byTenant := map[string][]*pb.Quota{}
	for _, q := range sortQuotas(quotas) {
		name := q.GetTenant()
		if single && name == "" {
			name = tenants[0].GetName()
		}
		byTenant[name] = append(byTenant[name], q)
	}
	rows := make([]tenantQuotas, len(tenants))
	for i, t := range tenants {
		rows[i] = tenantQuotas{t, byTenant[t.GetName()]}
	}
	if p.table() {
		return writeTable(p.w, "", rows, tenantQuotaColumns)
	}
	var buf bytes.Buffer
	if !single {
		buf.WriteByte('[')
	}
	for i, r := range rows {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeTenantJSON(&buf, r); err != nil {
			return err
		}
	}
	if !single {
		buf.WriteByte(']')
	}
	return p.write(buf.Bytes())
}

// writeTenantJSON writes the tenant's message as a JSON object with a
// "quotas" array added.
func writeTenantJSON(w io.Writer, r tenantQuotas) error {
	t, err := marshalJSON(r.tenant)
	if err != nil {
		return err
	}
	qs, err := marshalList(r.quotas)
	if err != nil {
		return err
	}
	t = bytes.TrimSuffix(t, []byte("}"))
	if len(t) > 1 {
		t = append(t, ',')
	}
	fmt.Fprintf(w, `%s"quotas":%s}`, t, qs)
	return nil
}
