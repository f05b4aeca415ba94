package opensmfake

import (
	"strings"
	"testing"

	"github.com/railyard/railyard/internal/fabric"
)

func TestShell(t *testing.T) {
	for _, c := range []struct {
		name string
		cmds []string
		want string // the last command's output
		file string // then the partition file's content, when set
	}{
		{"cat missing", []string{"cat /etc/opensm/nope"}, "cat: /etc/opensm/nope: No such file or directory\n", ""},
		{"printf and cat", []string{`printf '%s\n' 'a b' "c'd" > /tmp/x`, "cat /tmp/x"}, "a b\nc'd\n", ""},
		{"printf into a missing directory", []string{"printf x > /nope/x"}, "bash: /nope/x: No such file or directory\n", ""},
		{"mv replaces", []string{"printf 'new\\n' > /tmp/n", "mv -f /tmp/n " + PartitionsPath}, "", "new\n"},
		{"mv missing", []string{"mv -f /tmp/n /tmp/m"}, "mv: cannot stat '/tmp/n': No such file or directory\n", ""},
		{"cp keeps the source", []string{"cp -p " + PartitionsPath + " /tmp/b", "cat /tmp/b"}, Header, Header},
		{"rm without -f", []string{"rm /tmp/none"}, "rm: cannot remove '/tmp/none': No such file or directory\n", ""},
		{"kill wrong pid", []string{"kill -HUP 1"}, "bash: kill: (1) - No such process\n", ""},
		{"kill with no pid file", []string{"rm -f " + PIDPath, "kill -HUP $(cat " + PIDPath + ")"},
			"cat: /var/run/opensm.pid: No such file or directory\n" + killUsage, ""},
		{"unknown command", []string{"sed -i s/a/b/ x"}, "bash: sed: command not found\n", ""},
		{"unsupported syntax", []string{"cat x | wc"}, "bash: syntax error near unexpected token `|'\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := New(fabric.DeviceConfig{})
			var out string
			for _, cmd := range c.cmds {
				out = d.Exec(cmd)
			}
			if out != c.want {
				t.Errorf("output %q, want %q", out, c.want)
			}
			if c.file != "" && d.Running() != c.file {
				t.Errorf("file %q, want %q", d.Running(), c.file)
			}
		})
	}
}

func TestHUPReloads(t *testing.T) {
	d := New(fabric.DeviceConfig{})
	d.Exec("printf 'x ;\\n' > " + PartitionsPath)
	if d.Loaded() != Header || d.HUPs() != 0 {
		t.Fatal("opensm read the file without a signal")
	}
	if out := d.Exec("kill -HUP $(cat " + PIDPath + ")"); out != "" {
		t.Fatal(out)
	}
	if d.Loaded() != "x ;\n" || d.HUPs() != 1 {
		t.Errorf("loaded %q after %d HUPs", d.Loaded(), d.HUPs())
	}
	d.Exec("printf x > /tmp/stray")
	if p := d.Pending(); strings.Join(p, ",") != "file /tmp/stray" {
		t.Errorf("pending %v", p)
	}
}
