package redfish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"

	"github.com/stmcginnis/gofish/common"

	"github.com/railyard/railyard/internal/discovery"
)

// classify wraps err, which came from asking the service for what, in the
// discovery.Kind it deserves. An error that is already classified keeps its
// kind.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var de *discovery.Error
	if errors.As(err, &de) {
		return err
	}
	kind := kindOf(err)
	var he *common.Error
	if errors.As(err, &he) {
		err = statusError{he}
	}
	return &discovery.Error{Kind: kind, Err: fmt.Errorf("%s: %w", what, err)}
}

// statusError shows an HTTP error response by its status and the
// service's message, not the whole Redfish error body as gofish does.
type statusError struct{ e *common.Error }

func (s statusError) Unwrap() error { return s.e }

func (s statusError) Error() string {
	msg := s.e.Message
	if msg == "" && len(s.e.ExtendedInfos) > 0 {
		msg = s.e.ExtendedInfos[0].Message
	}
	if msg == "" {
		msg = http.StatusText(s.e.HTTPReturnedStatusCode)
	}
	return fmt.Sprintf("HTTP %d: %s", s.e.HTTPReturnedStatusCode, msg)
}

func kindOf(err error) discovery.Kind {
	var he *common.Error
	if errors.As(err, &he) {
		switch code := he.HTTPReturnedStatusCode; code {
		case http.StatusUnauthorized, http.StatusForbidden:
			return discovery.Unauthorized
		case http.StatusNotFound:
			// The service linked to something it cannot serve.
			return discovery.Malformed
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return discovery.Unreachable
		case 0:
			// gofish could not read the body of an error response.
			return discovery.Unreachable
		}
		return discovery.Failed
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded) {
		return discovery.Unreachable
	}
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	if errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &record) || errors.Is(err, http.ErrSchemeMismatch) {
		// A certificate we do not trust or a server that does not speak
		// TLS: retrying will not help.
		return discovery.Failed
	}
	var (
		ue *url.Error
		ne net.Error
		oe *net.OpError
	)
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &oe) {
		return discovery.Unreachable
	}
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	if errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return discovery.Malformed
	}
	return discovery.Failed
}

// malformed reports a document that does not say what Redfish says it must.
func malformed(uri, format string, args ...any) error {
	return discovery.Errorf(discovery.Malformed, "%s: %s", uri, fmt.Sprintf(format, args...))
}
