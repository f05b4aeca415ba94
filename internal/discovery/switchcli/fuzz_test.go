package switchcli

import (
	"errors"
	"os"
	"testing"
)

// seedOutputs returns the command outputs of the platform's testdata
// transcript, for fuzz seeds.
func seedOutputs(f *testing.F, platform string) []string {
	f.Helper()
	for _, c := range transcriptCases {
		if c.platform == platform {
			data, err := os.ReadFile(c.file())
			if err != nil {
				f.Fatal(err)
			}
			return splitTranscript(f, platform, c.prompt, data)
		}
	}
	f.Fatalf("no transcript for %s", platform)
	return nil
}

// checkParse is the fuzz property: Parse never panics, fails only with a
// malformed-output error, and otherwise returns well-formed facts.
func checkParse(t *testing.T, platform string, outs []string) {
	sf, err := Parse(platform, outs)
	if err != nil {
		if !errors.Is(err, errMalformed) {
			t.Fatalf("error is not a malformed-output error: %v", err)
		}
		return
	}
	if err := checkFacts(sf); err != nil {
		t.Fatalf("Parse returned ill-formed facts: %v\n%+v", err, sf)
	}
	if sf.OS != platforms[platform].os {
		t.Fatalf("OS %q", sf.OS)
	}
	for _, m := range sf.Missing {
		if m == "" {
			t.Fatalf("empty Missing entry")
		}
	}
}

func FuzzEOS(f *testing.F) {
	s := seedOutputs(f, "eos")
	f.Add(s[0], s[1], s[2], s[3])
	f.Add("{}", "{}", `{"interfaceStatuses": {"x": 1}}`, `{"lldpNeighbors": {"Et1": {"lldpNeighborInfo": {"chassisId": 5}}}}`)
	f.Add("% Invalid input", "", "", "")
	f.Fuzz(func(t *testing.T, a, b, c, d string) { checkParse(t, "eos", []string{a, b, c, d}) })
}

func FuzzNXOS(f *testing.F) {
	s := seedOutputs(f, "nxos")
	f.Add(s[0], s[1], s[2])
	f.Add(`{"host_name": "n"}`, `{"TABLE_interface": {"ROW_interface": {"interface": "Ethernet1/1", "speed": "a-1000"}}}`, "")
	f.Add(`{"host_name": "n"}`, `{"TABLE_interface": {"ROW_interface": [1, "x", null]}}`, `{"TABLE_nbor_detail": {"ROW_nbor_detail": "x"}}`)
	f.Fuzz(func(t *testing.T, a, b, c string) { checkParse(t, "nxos", []string{a, b, c}) })
}

func FuzzJunos(f *testing.F) {
	s := seedOutputs(f, "junos")
	f.Add(s[0], s[1], s[2], s[3])
	f.Add(`{"system-information": [{"host-name": "x"}]}`, `{"lldp-local-info": {}}`, `{"interface-information": [[]]}`, `{"lldp-neighbors-information": [{"lldp-neighbor-information": [{"lldp-local-interface": [{"data": 1}]}]}]}`)
	f.Fuzz(func(t *testing.T, a, b, c, d string) { checkParse(t, "junos", []string{a, b, c, d}) })
}

func FuzzSONiC(f *testing.F) {
	s := seedOutputs(f, "sonic")
	f.Add(s[0], s[1], s[2], s[3], s[4])
	f.Add("h", "SONiC Software Version: x", "X 0x24 6 zz", "a\n--\nb", "LLDP neighbors:\nInterface: ,")
	f.Fuzz(func(t *testing.T, a, b, c, d, e string) { checkParse(t, "sonic", []string{a, b, c, d, e}) })
}

func FuzzCumulus(f *testing.F) {
	s := seedOutputs(f, "cumulus")
	f.Add(s[0], s[1], s[2], s[3], s[4])
	f.Add(`{"hostname": "c"}`, `{"tlv": {}}`, `{"swp1": {"link": 3}}`, "sudo: a password is required", "sudo: a password is required")
	f.Add(`{"hostname": "c"}`, `{"tlv": {"Product Name": 1}}`, `{}`, `{"local-chassis": []}`, `{"lldp": {"interface": [{"swp1": {"chassis": {"id": {"type": "mac"}}}}]}}`)
	f.Fuzz(func(t *testing.T, a, b, c, d, e string) { checkParse(t, "cumulus", []string{a, b, c, d, e}) })
}

func FuzzFRR(f *testing.F) {
	s := seedOutputs(f, "frr")
	f.Add(s[0], s[1], s[2], s[3])
	f.Add("FRRouting 1 () on x", `{"lo": {}}`, "unable to connect to socket", `{"lldp": []}`)
	f.Add("FRRouting 9.1 (h) on Linux", `{"eth0": {"speed": 4294967295, "hardwareAddress": "zz"}}`, `{"local-chassis": {"chassis": {"id": {"value": "00:11:22:33:44:55"}}}}`, `{"lldp": {"interface": {"eth0": {"port": {"id": {"type": "mac", "value": "0011.2233.4455"}}}}}}`)
	f.Fuzz(func(t *testing.T, a, b, c, d string) { checkParse(t, "frr", []string{a, b, c, d}) })
}
