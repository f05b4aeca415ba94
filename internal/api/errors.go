package api

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/railyard/railyard/internal/carve"
	"github.com/railyard/railyard/internal/fleetfile"
	"github.com/railyard/railyard/internal/inventory"
	"github.com/railyard/railyard/internal/maintenance"
	"github.com/railyard/railyard/internal/model"
)

// errInvalid marks request errors found by the API itself.
var errInvalid = errors.New("invalid argument")

// codeOf maps an error to its gRPC code. It is the one place where
// sentinel errors meet status codes.
func codeOf(err error) codes.Code {
	var fe *fleetfile.Error
	switch {
	case err == nil:
		return codes.OK
	case status.Code(err) != codes.Unknown:
		return status.Code(err)
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, inventory.ErrNotFound), errors.Is(err, carve.ErrNotFound):
		return codes.NotFound
	case errors.Is(err, inventory.ErrAlreadyExists):
		return codes.AlreadyExists
	case errors.Is(err, inventory.ErrConflict), errors.Is(err, carve.ErrStale):
		return codes.FailedPrecondition
	case errors.Is(err, errFindings):
		return codes.FailedPrecondition
	case errors.Is(err, inventory.ErrInvalid), errors.Is(err, errInvalid), errors.Is(err, carve.ErrInvalid), errors.As(err, &fe),
		errors.Is(err, maintenance.ErrInvalid),
		errors.Is(err, fleetfile.ErrUnknownFormat), errors.Is(err, model.ErrBadIdentifier):
		return codes.InvalidArgument
	}
	return codes.Internal
}

// toStatus converts err to a gRPC status error with its code and message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
		return err
	}
	return status.Error(codeOf(err), err.Error())
}
