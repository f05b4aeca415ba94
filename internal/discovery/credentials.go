package discovery

import (
	"fmt"
	"os"
	"strings"
)

// Credentials are what a source needs to log in. They are resolved from a
// reference at the moment of use and never stored, logged or returned:
// String, GoString and MarshalJSON all print REDACTED.
type Credentials struct {
	Username string
	Password string
	// Community is the SNMP v1/v2c community.
	Community string
	// SNMP v3 (USM): AuthProtocol is MD5, SHA, SHA256 or SHA512;
	// PrivProtocol is DES, AES, AES192 or AES256.
	AuthProtocol string
	PrivProtocol string
	PrivPassword string
}

const redacted = "REDACTED"

func (Credentials) String() string               { return redacted }
func (Credentials) GoString() string             { return redacted }
func (Credentials) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Credentials) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (c Credentials) Empty() bool                { return c == Credentials{} }

// CheckCredentialRef reports whether ref is a well-formed reference.
func CheckCredentialRef(ref string) error {
	kind, name, ok := strings.Cut(ref, ":")
	if !ok || name == "" || kind != "env" && kind != "file" {
		// Not quoted: a value that is not a reference may be the secret.
		return fmt.Errorf("a credential must be a reference, env:NAME or file:PATH (the value given is not shown)")
	}
	return nil
}

// ResolveCredentials reads the credentials a reference names. An empty
// reference gives empty credentials. The secret is in either form:
//
//	user:password                       (one line)
//	username=admin                      (key=value lines: username,
//	password=...                         password, community, auth_protocol,
//	                                     priv_protocol, priv_password)
//
// Errors name the reference, never its contents.
func ResolveCredentials(ref string) (Credentials, error) {
	if ref == "" {
		return Credentials{}, nil
	}
	if err := CheckCredentialRef(ref); err != nil {
		return Credentials{}, err
	}
	kind, name, _ := strings.Cut(ref, ":")
	var raw string
	switch kind {
	case "env":
		v, ok := os.LookupEnv(name)
		if !ok {
			return Credentials{}, fmt.Errorf("credential %s: environment variable %s is not set", ref, name)
		}
		raw = v
	case "file":
		b, err := os.ReadFile(name)
		if err != nil {
			return Credentials{}, fmt.Errorf("credential %s: %v", ref, err.(*os.PathError).Err)
		}
		raw = string(b)
	}
	c, err := parseCredentials(raw)
	if err != nil {
		return Credentials{}, fmt.Errorf("credential %s: %w", ref, err)
	}
	return c, nil
}

func parseCredentials(raw string) (Credentials, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Credentials{}, fmt.Errorf("empty")
	}
	if !strings.Contains(raw, "=") || !strings.Contains(raw, "\n") && strings.Contains(raw, ":") && strings.Index(raw, ":") < strings.Index(raw, "=") {
		user, pass, ok := strings.Cut(raw, ":")
		if !ok || strings.ContainsAny(raw, "\n") {
			return Credentials{}, fmt.Errorf("want user:password or key=value lines")
		}
		return Credentials{Username: user, Password: pass, Community: pass}, nil
	}
	var c Credentials
	for i, line := range strings.Split(raw, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Credentials{}, fmt.Errorf("line %d: want key=value", i+1)
		}
		switch strings.TrimSpace(k) {
		case "username", "user":
			c.Username = strings.TrimSpace(v)
		case "password":
			c.Password = strings.TrimSpace(v)
		case "community":
			c.Community = strings.TrimSpace(v)
		case "auth_protocol":
			c.AuthProtocol = strings.ToUpper(strings.TrimSpace(v))
		case "priv_protocol":
			c.PrivProtocol = strings.ToUpper(strings.TrimSpace(v))
		case "priv_password":
			c.PrivPassword = strings.TrimSpace(v)
		default:
			return Credentials{}, fmt.Errorf("line %d: unknown key %q", i+1, strings.TrimSpace(k))
		}
	}
	return c, nil
}
