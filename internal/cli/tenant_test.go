package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"gopkg.in/yaml.v3"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

func TestParseQuotas(t *testing.T) {
	tests := []struct {
		args    []string
		want    []quotaSetting
		wantErr string
	}{
		{nil, nil, ""},
		{[]string{"H100=256", "B200 = 0", "A100=none", "L40S=NONE", "GH200=-1"},
			[]quotaSetting{{"H100", 256}, {"B200", 0}, {"A100", -1}, {"L40S", -1}, {"GH200", -1}}, ""},
		{[]string{"H100"}, nil, `quota "H100": want MODEL=GPUS, such as H100-SXM5-80GB=256 (or MODEL=none to remove the quota)`},
		{[]string{"H100=-2"}, nil, `quota "H100=-2": GPU count must not be negative (none or -1 removes the quota)`},
		{[]string{"H100=lots"}, nil, `quota "H100=lots": GPU count "lots" is not a whole number (want a number, or none to remove the quota)`},
		{[]string{"H100=1.5"}, nil, `GPU count "1.5" is not a whole number`},
		{[]string{"H100=99999999999"}, nil, `GPU count "99999999999" is not a whole number`},
		{[]string{"=8"}, nil, `quota "=8": no GPU model before =`},
		{[]string{"H100="}, nil, `quota "H100=": no GPU count after =`},
		{[]string{"H100=8", "H100=none"}, nil, `quota "H100=none": H100 is given twice`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseQuotas(tt.args)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if !strings.Contains(gotErr, tt.wantErr) || (tt.wantErr == "") != (gotErr == "") {
				t.Errorf("error = %q; want %q", gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(quotaSetting{})); diff != "" {
				t.Errorf("quotas mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTenantQuotaErrors(t *testing.T) {
	for _, args := range [][]string{
		{"tenant", "quota", "acme", "H100"},
		{"tenant", "quota", "acme", "H100=-5"},
		{"tenant", "quota", "acme", "H100=x"},
		{"tenant", "create", "delta", "--quota", "H100"},
	} {
		f, addr := startCarve(t)
		r := runErr(t, addr, args...)
		if !strings.HasPrefix(r.stderr, `railyard: quota "H100`) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: stderr = %q; want one line about the quota", args, r.stderr)
		}
		if got := f.last(); got != nil {
			t.Errorf("%v: a bad command called the server: %v", args, got)
		}
	}
}

func TestTenant(t *testing.T) {
	f, addr := startCarve(t)
	out := runOK(t, addr, "tenant", "create", "beta", "--description", "Beta Labs", "--quota", fakeModel+"=128", "--quota", "B200=64")
	want := "tenant beta created\n" +
		"MODEL            USED   QUOTA\n" +
		fakeModel + "   0      128\n" +
		"B200             0      64\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("create mismatch (-want +got):\n%s", diff)
	}
	f.mu.Lock()
	reqs := f.reqs
	f.mu.Unlock()
	wantReqs := []proto.Message{
		&pb.CreateTenantRequest{Name: "beta", Description: "Beta Labs"},
		&pb.SetQuotaRequest{Tenant: "beta", GpuModel: fakeModel, Gpus: 128},
		&pb.SetQuotaRequest{Tenant: "beta", GpuModel: "B200", Gpus: 64},
	}
	if diff := cmp.Diff(wantReqs, reqs, protocmp.Transform()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}

	runOK(t, addr, "tenant", "quota", "acme", fakeModel+"=256")
	runOK(t, addr, "carve", "acme", "--gpus", "128")
	runOK(t, addr, "carve", "beta", "--gpus", "8")

	var buf bytes.Buffer
	buf.WriteString(runOK(t, addr, "tenant", "list"))
	buf.WriteString("\n")
	buf.WriteString(runOK(t, addr, "tenant", "quota", "beta"))
	buf.WriteString("\n")
	buf.WriteString(runOK(t, addr, "tenant", "quota", "beta", "B200=none", fakeModel+"=96"))
	buf.WriteString("\n")
	buf.WriteString(runOK(t, addr, "tenant", "quota", "internal"))
	checkGolden(t, "tenant-quotas.table", buf.Bytes())
	if diff := cmp.Diff(map[string]int32{fakeModel: 96}, f.quotas["beta"]); diff != "" {
		t.Errorf("beta's quotas mismatch (-want +got):\n%s", diff)
	}

	// tenant list -o json and yaml: the tenants, each with its quotas.
	type tenant struct {
		Name, Description string
		Quotas            []map[string]any
	}
	for _, format := range []string{"json", "yaml"} {
		out := runOK(t, addr, "tenant", "list", "-o", format)
		var got []tenant
		var err error
		if format == "json" {
			err = json.Unmarshal([]byte(out), &got)
		} else {
			err = yaml.Unmarshal([]byte(out), &got)
		}
		if err != nil || len(got) != 3 || got[0].Name != "acme" || len(got[0].Quotas) != 1 || got[1].Quotas != nil && len(got[1].Quotas) != 0 {
			t.Errorf("-o %s (%v):\n%s", format, err, out)
		}
		if format == "json" && !strings.Contains(out, `"gpu_model": "`+fakeModel+`"`) {
			t.Errorf("-o json lacks the quota's model:\n%s", out)
		}
	}
	out = runOK(t, addr, "tenant", "create", "delta", "--quota", "B200=8", "-o", "json")
	var one tenant
	if err := json.Unmarshal([]byte(out), &one); err != nil || one.Name != "delta" || len(one.Quotas) != 1 {
		t.Errorf("create -o json (%v):\n%s", err, out)
	}

	if r := runErr(t, addr, "tenant", "delete", "beta"); r.stderr != "railyard: failed precondition: tenant \"beta\" holds blocks\n" {
		t.Errorf("delete beta: stderr = %q", r.stderr)
	}
	runOK(t, addr, "carve", "release", "beta-1")
	if out := runOK(t, addr, "tenant", "delete", "beta"); out != "tenant beta deleted\n" {
		t.Errorf("delete beta: stdout = %q", out)
	}
	if r := runErr(t, addr, "tenant", "create", "acme", "--quota", "B200=8"); r.stderr != "railyard: already exists: tenant \"acme\" exists\n" {
		t.Errorf("create acme: stderr = %q", r.stderr)
	}
	if r := runErr(t, addr, "tenant", "quota", "nope", "B200=8"); r.stderr != "railyard: not found: tenant \"nope\" does not exist\n" {
		t.Errorf("quota nope: stderr = %q", r.stderr)
	}
}
