package switchcli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/railyard/railyard/internal/model"
)

// SONiC's CLI is bash plus the click-based show command, whose output is
// text: "Key: Value" lines (show version), the ONIE TLV table (show
// platform syseeprom), a tabulate table (show interfaces status) and
// lldpctl's plain output (show lldp neighbors).
var sonicPlatform = &platformSpec{
	name: "sonic",
	def: networkPlatformYAML("sonic", []string{
		"command not found",
		"Error: No such command",
		"Usage: show",
		"Permission denied",
	}),
	os: "SONiC",
	commands: []string{
		"hostname",
		"show version",
		"show platform syseeprom",
		"show interfaces status",
		"show lldp neighbors",
	},
	shell:  true,
	prompt: func(h string) string { return "admin@" + h + ":~$ " },
	banner: "Linux sonic 5.10.0-23-2-amd64 #1 SMP Debian 5.10.179-3 (2023-07-27) x86_64\n" +
		"You are on\n  ____   ___  _   _ _  ____\n / ___| / _ \\| \\ | (_)/ ___|\n \\___ \\| | | |  \\| | | |\n  ___) | |_| | |\\  | | |___\n |____/ \\___/|_| \\_|_|\\____|\n\n" +
		"-- Software for Open Networking in the Cloud --\n\nUnauthorized access and/or use are prohibited.\nAll access and/or use are subject to monitoring.\n\nHelp:    https://sonic-net.github.io/SONiC/\n\nLast login: Tue Mar 12 09:41:07 2024 from 10.20.0.5\n",
}

var tlvRe = regexp.MustCompile(`^(\S.*?)\s+0x([0-9A-Fa-f]{2})\s+(\d+)\s*(.*)$`)

func parseSONiC(out []string) (model.SwitchFacts, error) {
	cmds := sonicPlatform.commands
	sf := model.SwitchFacts{OS: "SONiC", Name: strings.TrimSpace(out[0])}
	if sf.Name == "" || strings.ContainsAny(sf.Name, " \t\n") {
		return model.SwitchFacts{}, malformed("%s: not a host name: %s", cmds[0], firstLine(out[0]))
	}

	kv := map[string]string{}
	for _, line := range strings.Split(out[1], "\n") {
		if strings.HasPrefix(line, "Docker images") {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if ok {
			kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	ver, ok := kv["SONiC Software Version"]
	if !ok {
		return model.SwitchFacts{}, malformed("%s: no \"SONiC Software Version\": %s", cmds[1], firstLine(out[1]))
	}
	sf.Version = strings.TrimPrefix(ver, "SONiC.")
	sf.Model = kv["HwSKU"]
	sf.Serial = kv["Serial Number"]

	tlv := map[string]string{}
	for _, line := range strings.Split(out[2], "\n") {
		if m := tlvRe.FindStringSubmatch(strings.TrimRight(line, " ")); m != nil {
			tlv[m[1]] = strings.TrimSpace(m[4])
		}
	}
	if len(tlv) == 0 {
		return model.SwitchFacts{}, malformed("%s: no TLV rows: %s", cmds[2], firstLine(out[2]))
	}
	sf.Vendor = tlv["Manufacturer"]
	if sf.Vendor == "" {
		sf.Vendor = tlv["Vendor Name"]
	}
	if sf.Serial == "" {
		sf.Serial = tlv["Serial Number"]
	}
	if sf.Model == "" {
		sf.Model = tlv["Product Name"]
	}
	if m, ok := normMAC(tlv["Base MAC Address"]); ok {
		sf.ChassisID = m
	}

	tbl, err := parseRuledTable(cmds[3], out[3])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	for _, c := range []string{"Interface", "Oper"} {
		if !tbl.has(c) {
			return model.SwitchFacts{}, malformed("%s: no %q column", cmds[3], c)
		}
	}
	for _, r := range tbl.rows {
		name := tbl.get(r, "Interface")
		if name == "" {
			return model.SwitchFacts{}, malformed("%s: row without an interface name", cmds[3])
		}
		sf.Ports = append(sf.Ports, model.PortFacts{
			Name:      name,
			SpeedGbps: parseSpeedText(tbl.get(r, "Speed"), 'M'),
			Up:        tbl.get(r, "Oper") == "up",
		})
	}

	sf.Neighbors, err = parseLLDPDText(cmds[4], out[4])
	if err != nil {
		return model.SwitchFacts{}, err
	}
	return sf, finish(&sf, false)
}

// A ruledTable is text laid out by tabulate's "simple" format: a header
// line, a line of dash runs (one per column) and the rows, each value
// within its column's span.
type ruledTable struct {
	cols  []string
	spans [][2]int
	rows  []string
}

func parseRuledTable(cmd, out string) (*ruledTable, error) {
	lines := strings.Split(out, "\n")
	for i := 1; i < len(lines); i++ {
		rule := strings.TrimRight(lines[i], " ")
		if rule == "" || strings.Trim(rule, "- ") != "" || !strings.Contains(rule, "--") {
			continue
		}
		t := &ruledTable{}
		for j := 0; j < len(rule); {
			if rule[j] != '-' {
				j++
				continue
			}
			k := j
			for k < len(rule) && rule[k] == '-' {
				k++
			}
			t.spans = append(t.spans, [2]int{j, k})
			j = k
		}
		head := lines[i-1]
		for _, sp := range t.spans {
			t.cols = append(t.cols, strings.TrimSpace(slice(head, sp[0], sp[1])))
		}
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) != "" {
				t.rows = append(t.rows, l)
			}
		}
		return t, nil
	}
	return nil, malformed("%s: no table: %s", cmd, firstLine(out))
}

// slice cuts s[a:b], tolerating short lines.
func slice(s string, a, b int) string {
	if a >= len(s) {
		return ""
	}
	if b > len(s) {
		b = len(s)
	}
	return s[a:b]
}

func (t *ruledTable) has(col string) bool {
	for _, c := range t.cols {
		if c == col {
			return true
		}
	}
	return false
}

// get returns a row's value in a column; the last column runs to the end
// of the line. A value that spills over its column's edge (hand-edited
// or differently aligned output) is taken whole: the cut is widened to
// the blanks around it.
func (t *ruledTable) get(row, col string) string {
	for i, c := range t.cols {
		if c != col {
			continue
		}
		a, b := t.spans[i][0], t.spans[i][1]
		if i == len(t.cols)-1 || b > len(row) {
			b = len(row)
		}
		if a >= b {
			return ""
		}
		for a > 0 && row[a-1] != ' ' && row[a] != ' ' {
			a--
		}
		for b < len(row) && row[b] != ' ' && row[b-1] != ' ' {
			b++
		}
		return strings.TrimSpace(row[a:b])
	}
	return ""
}

// renderRuledTable lays rows out like tabulate(..., tablefmt="simple",
// stralign="right"), as SONiC's show commands do.
func renderRuledTable(cols []string, rows [][]string) string {
	w := make([]int, len(cols))
	for i, c := range cols {
		w[i] = len(c)
	}
	for _, r := range rows {
		for i, v := range r {
			w[i] = max(w[i], len(v))
		}
	}
	line := func(vals []string) string {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprintf("%*s", w[i], v)
		}
		return strings.Join(parts, "  ")
	}
	var b strings.Builder
	b.WriteString(line(cols) + "\n")
	dashes := make([]string, len(cols))
	for i := range cols {
		dashes[i] = strings.Repeat("-", w[i])
	}
	b.WriteString(strings.Join(dashes, "  ") + "\n")
	for _, r := range rows {
		b.WriteString(line(r) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func renderSONiC(sf model.SwitchFacts) ([]string, error) {
	p := sonicPlatform
	if err := checkOS(p, sf); err != nil {
		return nil, err
	}
	switch {
	case sf.Description != "":
		return nil, cannot(p.name, "a description")
	case sf.ChassisID != "" && !isMAC(sf.ChassisID):
		return nil, cannot(p.name, "a chassis id that is not a MAC (it is the EEPROM base MAC)")
	case strings.Contains(sf.Name, " "):
		return nil, cannot(p.name, "a host name with blanks")
	}
	var ver strings.Builder
	fmt.Fprintf(&ver, "SONiC Software Version: SONiC.%s\n", sf.Version)
	ver.WriteString("SONiC OS Version: 12\nDistribution: Debian 12.5\nKernel: 6.1.0-11-2-amd64\n" +
		"Build commit: 2d5c6f8e1\nBuild date: Thu Jan 18 03:12:44 UTC 2024\nBuilt by: sonicbld@sonic-bld-7\n\n" +
		"Platform: x86_64-accton_as7726_32x-r0\n")
	if sf.Model != "" {
		fmt.Fprintf(&ver, "HwSKU: %s\n", sf.Model)
	}
	ver.WriteString("ASIC: broadcom\nASIC Count: 1\n")
	if sf.Serial != "" {
		fmt.Fprintf(&ver, "Serial Number: %s\n", sf.Serial)
	}
	ver.WriteString("Model Number: FP4ZZ7632012A\nHardware Revision: R01\n" +
		"Uptime: 10:21:39 up 42 days,  3:02,  1 user,  load average: 1.10, 1.07, 1.05\n" +
		"Date: Mon 18 Mar 2024 10:21:39\n\nDocker images:\n" +
		"REPOSITORY                    TAG                    IMAGE ID      SIZE\n" +
		"docker-syncd-brcm             latest                 a1b2c3d4e5f6  735MB\n" +
		"docker-lldp                   latest                 0f1e2d3c4b5a  351MB")

	var ee strings.Builder
	ee.WriteString("TlvInfo Header:\n   Id String:    TlvInfo\n   Version:      1\n   Total Length: 169\n" +
		"TLV Name             Code Len Value\n-------------------- ---- --- -----\n")
	tlv := func(name string, code int, val string) {
		fmt.Fprintf(&ee, "%-20s 0x%02X %3d %s\n", name, code, len(val), val)
	}
	tlv("Part Number", 0x22, "FP4ZZ7632012A")
	if sf.Serial != "" {
		tlv("Serial Number", 0x23, sf.Serial)
	}
	if sf.ChassisID != "" {
		tlv("Base MAC Address", 0x24, strings.ToUpper(sf.ChassisID))
	}
	tlv("Manufacture Date", 0x25, "05/23/2019 18:09:42")
	tlv("Platform Name", 0x28, "x86_64-accton_as7726_32x-r0")
	if sf.Vendor != "" {
		tlv("Manufacturer", 0x2B, sf.Vendor)
	}
	ee.WriteString("CRC-32               0xFE   4 0x8B6C0E4A\n(checksum valid)")

	cols := []string{"Interface", "Lanes", "Speed", "MTU", "FEC", "Alias", "Vlan", "Oper", "Admin", "Type", "Asym PFC"}
	var rows [][]string
	for i, pt := range sf.Ports {
		if err := renderable(pt.Name); err != nil {
			return nil, err
		}
		if pt.Name == "" || strings.ContainsAny(pt.Name, " ") {
			return nil, cannot(p.name, fmt.Sprintf("port name %q", pt.Name))
		}
		if pt.MAC != "" {
			return nil, cannot(p.name, "port MACs")
		}
		speed, fec, typ := "N/A", "N/A", "N/A"
		if pt.SpeedGbps > 0 {
			speed, fec, typ = fmt.Sprintf("%dG", pt.SpeedGbps), "rs", "QSFP28 or later"
		}
		oper := "down"
		if pt.Up {
			oper = "up"
		}
		l := 4*i + 1
		rows = append(rows, []string{pt.Name, fmt.Sprintf("%d,%d,%d,%d", l, l+1, l+2, l+3), speed, "9100", fec,
			fmt.Sprintf("etp%d", i+1), "routed", oper, "up", typ, "off"})
	}
	lldp, err := renderLLDPDText(sf.Neighbors)
	if err != nil {
		return nil, err
	}
	return []string{sf.Name, ver.String(), ee.String(), renderRuledTable(cols, rows), lldp}, nil
}

func isMAC(s string) bool {
	m, ok := normMAC(s)
	return ok && m == s
}
