// Package ipmisim runs a real OpenIPMI ipmi_sim BMC simulator for tests.
//
// Start writes a lan.conf and an emulator command file into t.TempDir(),
// starts ipmi_sim -n -p on a free UDP port of 127.0.0.1 and waits until it
// answers an RMCP presence ping; t.Cleanup stops it. The simulated BMC has
// one user (admin privilege, RMCP+ cipher suite 3), FRU device 0 built by
// EncodeFRU from the Config (written with the emulator's mc_add_fru_data
// command) and a chassis control script that keeps the power state and the
// next boot device in files, so that "ipmitool chassis power ..." and
// "chassis bootdev ..." work and tests can read the result back (Power,
// BootDevice).
//
// Tests that need the simulator skip when ipmi_sim (or ipmitool, which
// every client of the simulator needs) is not installed, and fail instead
// when the environment variable CI is set.
package ipmisim
