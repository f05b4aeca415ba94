package sonicfake

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// clickFail prints what click's ctx.fail prints: the usage line, the
// help hint and the error.
func clickFail(cmd, usage, msg string) string {
	return fmt.Sprintf("Usage: %s %s\nTry \"%s -h\" for help.\n\nError: %s\n", cmd, usage, cmd, msg)
}

// command is one click leaf command: its argument names (for the usage
// line and arity) and its body.
type command struct {
	args  []string
	flags []string
	run   func(d *Device, a []string, flags map[string]bool) (string, error)
}

// failure is a ctx.fail from a command body.
type failure string

func (f failure) Error() string { return string(f) }

func fail(format string, a ...any) error { return failure(fmt.Sprintf(format, a...)) }

var commands = map[string]command{
	"vlan add":             {args: []string{"<vid>"}, run: (*Device).vlanAdd},
	"vlan del":             {args: []string{"<vid>"}, run: (*Device).vlanDel},
	"vlan member add":      {args: []string{"<vid>", "port"}, flags: []string{"-u", "--untagged"}, run: (*Device).memberAdd},
	"vlan member del":      {args: []string{"<vid>", "<port>"}, run: (*Device).memberDel},
	"vxlan map add":        {args: []string{"<vxlan_name>", "<vlan_id>", "<vni>"}, run: (*Device).mapAdd},
	"vxlan map del":        {args: []string{"<vxlan_name>", "<vlan_id>", "<vni>"}, run: (*Device).mapDel},
	"vrf add":              {args: []string{"<vrf_name>"}, run: (*Device).vrfAdd},
	"vrf del":              {args: []string{"<vrf_name>"}, run: (*Device).vrfDel},
	"vrf add_vrf_vni_map":  {args: []string{"<vrf-name>", "<vni>"}, run: (*Device).vrfVNIAdd},
	"vrf del_vrf_vni_map":  {args: []string{"<vrf-name>"}, run: (*Device).vrfVNIDel},
	"interface vrf bind":   {args: []string{"<interface_name>", "<vrf_name>"}, run: (*Device).bind},
	"interface vrf unbind": {args: []string{"<interface_name>"}, run: (*Device).unbind},
	"interface ip add":     {args: []string{"<interface_name>", "<ip_addr>"}, run: (*Device).ipAdd},
	"interface ip remove":  {args: []string{"<interface_name>", "<ip_addr>"}, run: (*Device).ipRemove},
	"interface shutdown":   {args: []string{"<interface_name>"}, run: adminStatus("down")},
	"interface startup":    {args: []string{"<interface_name>"}, run: adminStatus("up")},
	"checkpoint":           {args: []string{"CHECKPOINT_NAME"}, flags: []string{"-v", "--verbose"}, run: (*Device).checkpoint},
	"delete-checkpoint":    {args: []string{"CHECKPOINT_NAME"}, flags: []string{"-v", "--verbose"}, run: (*Device).deleteCheckpoint},
	"list-checkpoints":     {run: (*Device).listCheckpoints},
	"rollback":             {args: []string{"CHECKPOINT_NAME"}, flags: []string{"-v", "--verbose"}, run: (*Device).rollback},
	"vxlan evpn_nvo add":   {args: []string{"<nvo_name>", "<vxlan_name>"}, run: nvoConfigured},
	"vxlan add":            {args: []string{"<vxlan_name>", "<src_ip>"}, run: readOnlyUnderlay},
}

// The underlay has its VTEP and NVO; adding a second fails as on a
// switch.
func readOnlyUnderlay(d *Device, a []string, _ map[string]bool) (string, error) {
	return "", fail("VTEP already configured.")
}

func nvoConfigured(d *Device, a []string, _ map[string]bool) (string, error) {
	return "", fail("EVPN NVO already configured")
}

// config runs "config <words>".
func (d *Device) config(w []string) string {
	// The longest command path that matches wins; groups in between
	// print click's "No such command".
	for n := min(3, len(w)); n >= 1; n-- {
		path := strings.Join(w[:n], " ")
		c, ok := commands[path]
		if !ok {
			continue
		}
		name := "config " + path
		usage := "[OPTIONS] " + strings.Join(c.args, " ")
		flags := map[string]bool{}
		var args []string
		for _, a := range w[n:] {
			if strings.HasPrefix(a, "-") && !isNumber(a) {
				if !slices.Contains(c.flags, a) {
					return clickFail(name, usage, fmt.Sprintf("no such option: %s", a))
				}
				flags[a] = true
				continue
			}
			args = append(args, a)
		}
		if len(args) < len(c.args) {
			return clickFail(name, usage, fmt.Sprintf("Missing argument \"%s\".", c.args[len(args)]))
		}
		if len(args) > len(c.args) {
			return clickFail(name, usage, fmt.Sprintf("Got unexpected extra argument (%s)", strings.Join(args[len(c.args):], " ")))
		}
		out, err := c.run(d, args, flags)
		if err != nil {
			return out + clickFail(name, usage, err.Error())
		}
		return out
	}
	sub := ""
	if len(w) > 0 {
		sub = w[0]
	}
	return clickFail("config", "[OPTIONS] COMMAND [ARGS]...", fmt.Sprintf("No such command \"%s\".", sub))
}

func isNumber(s string) bool { _, err := strconv.Atoi(s); return err == nil }

func vid(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fail("Invalid value for \"<vid>\": %s is not a valid integer", s)
	}
	if v < 1 || v > 4094 {
		return 0, fail("Invalid VLAN ID %d (1-4094)", v)
	}
	return v, nil
}

func (d *Device) vlanAdd(a []string, _ map[string]bool) (string, error) {
	v, err := vid(a[0])
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("Vlan%d", v)
	if _, ok := d.get("VLAN", name); ok {
		return "", fail("%s already exists", name)
	}
	d.set("VLAN", name, map[string]string{"vlanid": fmt.Sprint(v)})
	return "", nil
}

func (d *Device) vlanDel(a []string, _ map[string]bool) (string, error) {
	v, err := vid(a[0])
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("Vlan%d", v)
	if _, ok := d.get("VLAN", name); !ok {
		return "", fail("%s does not exist", name)
	}
	for k := range d.db["VLAN_INTERFACE"] {
		if k == name || strings.HasPrefix(k, name+"|") {
			return "", fail("%s can not be removed. First remove IP addresses assigned to this VLAN", name)
		}
	}
	for k, f := range d.db["VXLAN_TUNNEL_MAP"] {
		if f["vlan"] == name {
			return "", fail("vlan: %d can not be removed. First remove vxlan mapping '%s' assigned to VLAN", v, strings.SplitN(k, "|", 2)[1])
		}
	}
	for k := range d.db["VLAN_MEMBER"] {
		if strings.HasPrefix(k, name+"|") {
			return "", fail("VLAN ID %d can not be removed. First remove all members assigned to this VLAN.", v)
		}
	}
	d.del("VLAN", name)
	return "", nil
}

func (d *Device) memberAdd(a []string, flags map[string]bool) (string, error) {
	v, err := vid(a[0])
	if err != nil {
		return "", err
	}
	name, port := fmt.Sprintf("Vlan%d", v), a[1]
	if _, ok := d.get("VLAN", name); !ok {
		return "", fail("%s does not exist", name)
	}
	if _, ok := d.get("VLAN_MEMBER", name+"|"+port); ok {
		return "", fail("%s is already a member of %s", port, name)
	}
	if _, ok := d.get("PORT", port); !ok {
		return "", fail("%s does not exist", port)
	}
	if _, ok := d.get("INTERFACE", port); ok {
		return "", fail("%s is a router interface!", port)
	}
	untagged := flags["-u"] || flags["--untagged"]
	if untagged {
		for k, f := range d.db["VLAN_MEMBER"] {
			if strings.HasSuffix(k, "|"+port) && f["tagging_mode"] == "untagged" {
				return "", fail("%s is already untagged member!", port)
			}
		}
	}
	mode := "tagged"
	if untagged {
		mode = "untagged"
	}
	d.set("VLAN_MEMBER", name+"|"+port, map[string]string{"tagging_mode": mode})
	return "", nil
}

func (d *Device) memberDel(a []string, _ map[string]bool) (string, error) {
	v, err := vid(a[0])
	if err != nil {
		return "", err
	}
	name, port := fmt.Sprintf("Vlan%d", v), a[1]
	if _, ok := d.get("VLAN", name); !ok {
		return "", fail("%s does not exist", name)
	}
	if _, ok := d.get("VLAN_MEMBER", name+"|"+port); !ok {
		return "", fail("%s is not a member of %s", port, name)
	}
	d.del("VLAN_MEMBER", name+"|"+port)
	return "", nil
}

func vniArg(s string) (string, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		return "", fail("Invalid VNI %s. Only valid VNI is accepted", s)
	}
	if n < 1 || n > 16777215 {
		return "", fail("Invalid VNI %s. Valid range [1 to 16777215].", s)
	}
	return s, nil
}

func (d *Device) mapArgs(a []string) (string, string, error) {
	if !isNumber(a[1]) || strings.HasPrefix(a[1], "-") {
		return "", "", fail("Invalid vlan %s. Only valid vlan is accepted", a[2])
	}
	if v, _ := strconv.Atoi(a[1]); v < 1 || v > 4094 {
		return "", "", fail(" Invalid Vlan Id , Valid Range : 1 to 4094 ")
	}
	vni, err := vniArg(a[2])
	if err != nil {
		return "", "", err
	}
	if _, ok := d.get("VXLAN_TUNNEL", a[0]); !ok {
		return "", "", fail("VTEP %s not configured", a[0])
	}
	return "Vlan" + a[1], vni, nil
}

func (d *Device) mapAdd(a []string, _ map[string]bool) (string, error) {
	vlan, vni, err := d.mapArgs(a)
	if err != nil {
		return "", err
	}
	if _, ok := d.get("VLAN", vlan); !ok {
		return "", fail("%s not configured", vlan)
	}
	for _, f := range d.db["VXLAN_TUNNEL_MAP"] {
		if f["vlan"] == vlan {
			return "", fail(" Vlan Id already mapped ")
		}
		if f["vni"] == vni {
			return "", fail(" VNI Id already mapped ")
		}
	}
	d.set("VXLAN_TUNNEL_MAP", a[0]+"|map_"+vni+"_"+vlan, map[string]string{"vlan": vlan, "vni": vni})
	return "", nil
}

func (d *Device) mapDel(a []string, _ map[string]bool) (string, error) {
	vlan, vni, err := d.mapArgs(a)
	if err != nil {
		return "", err
	}
	for _, k := range slices.Sorted(maps.Keys(d.db["VRF"])) {
		if d.db["VRF"][k]["vni"] == vni {
			return "", fail("VNI mapped to vrf %s, Please remove VRF VNI mapping", k)
		}
	}
	d.del("VXLAN_TUNNEL_MAP", a[0]+"|map_"+vni+"_"+vlan)
	return "", nil
}

func vrfName(n string) error {
	if !strings.HasPrefix(n, "Vrf") && n != "mgmt" && n != "management" {
		return fail("'vrf_name' must begin with 'Vrf' or named 'mgmt'/'management' in case of ManagementVRF.")
	}
	if len(n) > 15 {
		return fail("'vrf_name' is too long!")
	}
	return nil
}

func (d *Device) vrfAdd(a []string, _ map[string]bool) (string, error) {
	if err := vrfName(a[0]); err != nil {
		return "", err
	}
	if _, ok := d.get("VRF", a[0]); ok {
		return "", fail("VRF %s already exists!", a[0])
	}
	d.set("VRF", a[0], map[string]string{})
	return "", nil
}

func (d *Device) vrfDel(a []string, _ map[string]bool) (string, error) {
	if err := vrfName(a[0]); err != nil {
		return "", err
	}
	if _, ok := d.get("VRF", a[0]); !ok {
		return "", fail("VRF %s does not exist!", a[0])
	}
	for _, t := range []string{"INTERFACE", "VLAN_INTERFACE", "LOOPBACK_INTERFACE"} {
		for k, f := range d.db[t] {
			if f["vrf_name"] == a[0] {
				d.unbindLocked(t, k)
			}
		}
	}
	d.del("VRF", a[0])
	return fmt.Sprintf("VRF %s deleted and all associated IP addresses removed.\n", a[0]), nil
}

func (d *Device) vrfVNIAdd(a []string, _ map[string]bool) (string, error) {
	if _, ok := d.get("VRF", a[0]); !ok {
		return "", fail("vrf %s doesnt exists", a[0])
	}
	vni, err := vniArg(a[1])
	if err != nil {
		return "", err
	}
	found := false
	for _, f := range d.db["VXLAN_TUNNEL_MAP"] {
		found = found || f["vni"] == vni
	}
	if !found {
		return "", fail("VLAN VNI not mapped. Please create VLAN VNI map entry first")
	}
	for _, k := range slices.Sorted(maps.Keys(d.db["VRF"])) {
		if d.db["VRF"][k]["vni"] == vni {
			return "", fail("VNI already mapped to vrf %s", k)
		}
	}
	d.db["VRF"][a[0]]["vni"] = vni
	return "", nil
}

func (d *Device) vrfVNIDel(a []string, _ map[string]bool) (string, error) {
	if _, ok := d.get("VRF", a[0]); !ok {
		return "", fail("vrf %s doesnt exists", a[0])
	}
	d.db["VRF"][a[0]]["vni"] = "0"
	return "", nil
}

func ifTable(name string) string {
	switch {
	case strings.HasPrefix(name, "Ethernet"):
		return "INTERFACE"
	case strings.HasPrefix(name, "Vlan"):
		return "VLAN_INTERFACE"
	case strings.HasPrefix(name, "PortChannel"):
		return "PORTCHANNEL_INTERFACE"
	case strings.HasPrefix(name, "Loopback"):
		return "LOOPBACK_INTERFACE"
	}
	return ""
}

// unbindLocked removes an interface's addresses and its entry.
func (d *Device) unbindLocked(t, name string) {
	for k := range d.db[t] {
		if strings.HasPrefix(k, name+"|") {
			d.del(t, k)
		}
	}
	d.del(t, name)
}

func (d *Device) bind(a []string, _ map[string]bool) (string, error) {
	ifname, vrf := a[0], a[1]
	if _, ok := d.get("VRF", vrf); !ok {
		return "", fail("VRF %s does not exist!", vrf)
	}
	t := ifTable(ifname)
	if t == "" {
		return "", fail("'interface_name' is not valid. Valid names [Ethernet/PortChannel/Vlan/Loopback]")
	}
	if e, ok := d.get(t, ifname); ok && e["vrf_name"] == vrf {
		return "", nil
	}
	d.unbindLocked(t, ifname)
	d.set(t, ifname, map[string]string{"vrf_name": vrf})
	return "", nil
}

func (d *Device) unbind(a []string, _ map[string]bool) (string, error) {
	t := ifTable(a[0])
	if t == "" {
		return "", fail("'interface_name' is not valid. Valid names [Ethernet/PortChannel/Vlan/Loopback]")
	}
	if e, ok := d.get(t, a[0]); !ok || e["vrf_name"] == "" {
		return "", nil
	}
	d.unbindLocked(t, a[0])
	return "", nil
}

func (d *Device) ifaceExists(name string) bool {
	switch ifTable(name) {
	case "VLAN_INTERFACE":
		_, ok := d.get("VLAN", name)
		return ok
	case "INTERFACE":
		_, ok := d.get("PORT", name)
		return ok
	}
	return false
}

func ipArg(s string) (string, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", fail("'ip_addr' is not valid.")
	}
	return p.String(), nil
}

func (d *Device) ipAdd(a []string, _ map[string]bool) (string, error) {
	t := ifTable(a[0])
	if t == "" {
		return "", fail("'interface_name' is not valid. Valid names [Ethernet/PortChannel/Vlan/Loopback]")
	}
	if !d.ifaceExists(a[0]) {
		return "", fail("Interface %s does not exist", a[0])
	}
	ip, err := ipArg(a[1])
	if err != nil {
		return "", err
	}
	if _, ok := d.get(t, a[0]); !ok {
		d.set(t, a[0], map[string]string{})
	}
	d.set(t, a[0]+"|"+ip, map[string]string{})
	return "", nil
}

func (d *Device) ipRemove(a []string, _ map[string]bool) (string, error) {
	t := ifTable(a[0])
	if t == "" {
		return "", fail("'interface_name' is not valid. Valid names [Ethernet/PortChannel/Vlan/Loopback]")
	}
	ip, err := ipArg(a[1])
	if err != nil {
		return "", err
	}
	if _, ok := d.get(t, a[0]+"|"+ip); !ok {
		return "", fail("Cannot find %s on %s", ip, a[0])
	}
	d.del(t, a[0]+"|"+ip)
	e := d.db[t][a[0]]
	left := false
	for k := range d.db[t] {
		left = left || strings.HasPrefix(k, a[0]+"|")
	}
	if !left && e["vrf_name"] == "" {
		d.del(t, a[0])
	}
	return "", nil
}

func adminStatus(s string) func(d *Device, a []string, _ map[string]bool) (string, error) {
	return func(d *Device, a []string, _ map[string]bool) (string, error) {
		e, ok := d.get("PORT", a[0])
		if !ok {
			return "", fail("Interface name is invalid. Please enter a valid interface name!!")
		}
		e["admin_status"] = s
		return "", nil
	}
}

func (d *Device) checkpoint(a []string, _ map[string]bool) (string, error) {
	d.checkpoints[a[0]] = clone(d.db)
	return "Config Rollback: Checkpoint " + a[0] + " created\nCheckpoint created successfully.\n", nil
}

func (d *Device) deleteCheckpoint(a []string, _ map[string]bool) (string, error) {
	if _, ok := d.checkpoints[a[0]]; !ok {
		return "Failed to delete config checkpoint\n", fail("Checkpoint '%s' does not exist", a[0])
	}
	delete(d.checkpoints, a[0])
	return "Checkpoint deleted successfully.\n", nil
}

func (d *Device) listCheckpoints(_ []string, _ map[string]bool) (string, error) {
	names := slices.Sorted(maps.Keys(d.checkpoints))
	if len(names) == 0 {
		return "[]\n", nil
	}
	return "[\n    \"" + strings.Join(names, "\",\n    \"") + "\"\n]\n", nil
}

func (d *Device) rollback(a []string, _ map[string]bool) (string, error) {
	cp, ok := d.checkpoints[a[0]]
	if !ok {
		return "Failed to rollback config\n", fail("Checkpoint '%s' does not exist", a[0])
	}
	d.db = clone(cp)
	return "Config rolled back successfully.\n", nil
}
