package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	pb "github.com/railyard/railyard/proto/railyard/v1"
)

// codeWords spells gRPC codes the way people say them.
var codeWords = map[codes.Code]string{
	codes.OK:                 "ok",
	codes.Canceled:           "canceled",
	codes.Unknown:            "unknown error",
	codes.InvalidArgument:    "invalid argument",
	codes.DeadlineExceeded:   "deadline exceeded",
	codes.NotFound:           "not found",
	codes.AlreadyExists:      "already exists",
	codes.PermissionDenied:   "permission denied",
	codes.ResourceExhausted:  "resource exhausted",
	codes.FailedPrecondition: "failed precondition",
	codes.Aborted:            "aborted",
	codes.OutOfRange:         "out of range",
	codes.Unimplemented:      "unimplemented",
	codes.Internal:           "internal error",
	codes.Unavailable:        "unavailable",
	codes.DataLoss:           "data loss",
	codes.Unauthenticated:    "unauthenticated",
}

// codeInWords returns c in lowercase words, such as "not found".
func codeInWords(c codes.Code) string {
	if w, ok := codeWords[c]; ok {
		return w
	}
	return strings.ToLower(c.String())
}

// rpcError turns an error from a call into one line for people: the
// status code in words and the server's message, or, when the server
// could not be reached, a hint about --server. A status that carries a
// Refusal (a request the server understood but cannot place now) reads
// as the request and its reasons, one a line; see refusalError.
func (c *conn) rpcError(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if r := refusalOf(st); r != nil {
		return &refusalError{code: st.Code(), message: st.Message(), refusal: r}
	}
	switch st.Code() {
	case codes.Unavailable:
		return c.unreachable(st.Message())
	case codes.DeadlineExceeded:
		if c.cc.GetState() != connectivity.Ready {
			return c.unreachable("no connection within --timeout " + c.o.timeout.String())
		}
	}
	return fmt.Errorf("%s: %s", codeInWords(st.Code()), st.Message())
}

func (c *conn) unreachable(reason string) error {
	return fmt.Errorf("cannot reach server at %s (is 'railyard serve' running? set --server or %s): %s",
		c.o.server, serverEnv, tidyReason(reason))
}

// tidyReason strips gRPC's wrapping from a transport error message:
// `connection error: desc = "transport: Error while dialing: dial tcp
// 127.0.0.1:7443: connect: connection refused"` becomes `dial tcp
// 127.0.0.1:7443: connect: connection refused`.
func tidyReason(s string) string {
	if r, ok := strings.CutPrefix(s, `connection error: desc = "`); ok {
		s = strings.TrimSuffix(r, `"`)
	}
	s = strings.TrimPrefix(s, "transport: ")
	s = strings.TrimPrefix(s, "Error while dialing: ")
	s = strings.TrimPrefix(s, "error while dialing: ")
	return s
}

// isCanceled reports whether err is the end of a call that the caller
// cancelled, such as a watch stopped by Ctrl-C.
func isCanceled(ctx context.Context, err error) bool {
	if ctx.Err() == nil {
		return false
	}
	return errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled
}

// refusalError is a call refused with a Refusal in its status details,
// usually RESOURCE_EXHAUSTED from the carving API. It reads
//
//	cannot place 256 H100 GPUs (32 nodes) for acme within one leaf domain:
//	  - quota: quota allows 128 more H100 GPUs for acme (holds 128 of 256)
//	  - fragmented: the largest free leaf domain has 192 GPUs (24 nodes): lab-su01
//
// so that cobra prints it after "railyard: " with each reason on its own
// line.
type refusalError struct {
	code    codes.Code
	message string // the status message, used when the refusal has no request
	refusal *pb.Refusal
}

func (e *refusalError) Error() string {
	var b strings.Builder
	if req := e.refusal.GetRequest(); req != "" {
		b.WriteString("cannot place " + req)
	} else {
		b.WriteString(codeInWords(e.code))
		if e.message != "" {
			b.WriteString(": " + e.message)
		}
	}
	reasons := e.refusal.GetReasons()
	if len(reasons) > 0 {
		b.WriteString(":")
	}
	for _, r := range reasons {
		b.WriteString("\n  - ")
		if r.GetCode() != "" {
			b.WriteString(r.GetCode() + ": ")
		}
		b.WriteString(oneLine(r.GetMessage()))
	}
	return b.String()
}

// refusalOf returns the first Refusal in st's details, or nil.
func refusalOf(st *status.Status) *pb.Refusal {
	for _, d := range st.Details() {
		if r, ok := d.(*pb.Refusal); ok {
			return r
		}
	}
	return nil
}

// oneLine folds line breaks in s into spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
