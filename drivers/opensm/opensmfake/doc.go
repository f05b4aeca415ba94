// Package opensmfake is a stateful fake of a host running OpenSM, for
// tests and benchmarks of the opensm driver: a bash login over a small
// file system (a map from path to content, with directories) and one
// opensm process whose pid is in /var/run/opensm.pid.
//
// It understands the shell commands the driver sends and little else:
// cat, printf FORMAT ARGS... > FILE, cp [-p], mv [-f], rm [-f], kill
// -HUP PID (also -s HUP and -1) with $(cat FILE) command substitution.
// Errors read as bash and coreutils print them ("cat: X: No such file or
// directory", "bash: kill: (N) - No such process", "mv: cannot stat
// 'X': No such file or directory"). A SIGHUP makes opensm re-read the
// partition file (Loaded) and is counted (HUPs). Pending lists files
// that were not on the host when it was made and are not the partition
// file: a temporary or backup file the driver left behind.
package opensmfake
