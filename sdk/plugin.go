package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/wire"
)

// grpcPlugin is the plugin side of go-plugin's GRPCPlugin.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	src  Source
	desc Description
}

func (p *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	sourcev1.RegisterSourceServiceServer(s, &server{src: p.src, desc: p.desc, broker: broker})
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the plugin side has no client")
}

// server adapts a Source to SourceService.
type server struct {
	sourcev1.UnimplementedSourceServiceServer
	src    Source
	desc   Description
	broker *plugin.GRPCBroker
}

func (s *server) Describe(context.Context, *sourcev1.DescribeRequest) (*sourcev1.DescribeResponse, error) {
	return describeToProto(s.desc), nil
}

func (s *server) Resolve(ctx context.Context, req *sourcev1.ResolveRequest) (resp *sourcev1.ResolveResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = status.Errorf(codes.Internal, "plugin panicked in Resolve: %v\n%s", r, debug.Stack())
		}
	}()
	release, arch, variant, err := s.desc.Canonical(req.GetRelease(), req.GetArch(), req.GetVariant())
	if err != nil {
		return nil, toStatus(err)
	}
	base := strings.TrimRight(req.GetBaseUrl(), "/")
	if base == "" {
		base = strings.TrimRight(s.desc.DefaultBaseURL, "/")
	}
	fetcher, closeFetcher := s.dialFetcher(req.GetFetchServiceId())
	defer closeFetcher()
	art, err := s.src.Resolve(ctx, ResolveRequest{
		Release:     release,
		Arch:        arch,
		Variant:     variant,
		BaseURL:     base,
		TrustedKeys: req.GetTrustedKeys(),
		Fetcher:     fetcher,
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if err := art.Validate(base, s.desc); err != nil {
		return nil, status.Errorf(codes.Internal, "plugin bug: its answer fails the protocol's rules: %v", err)
	}
	return &sourcev1.ResolveResponse{Artifact: artifactToProto(art)}, nil
}

// dialFetcher connects to the host's fetch service for one call.
func (s *server) dialFetcher(id uint32) (Fetcher, func()) {
	if id == 0 || s.broker == nil {
		return noFetcher{}, func() {}
	}
	conn, err := s.broker.DialWithOptions(id,
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(wire.MaxFetchMessageBytes)))
	if err != nil {
		return noFetcher{err: err}, func() {}
	}
	return &hostFetcher{client: sourcev1.NewFetchServiceClient(conn)}, func() { _ = conn.Close() }
}

// toStatus turns a Source's error into the gRPC status the protocol asks for.
func toStatus(err error) error {
	if _, ok := status.FromError(err); ok && !isSentinel(err) {
		// Already a status (e.g. straight from the fetch service).
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, ErrInvalidArgument):
		code = codes.InvalidArgument
	case errors.Is(err, ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, ErrBadMetadata):
		code = codes.FailedPrecondition
	case errors.Is(err, ErrUnimplemented):
		code = codes.Unimplemented
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	return status.Error(code, err.Error())
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrNotFound, ErrInvalidArgument, ErrUnavailable, ErrBadMetadata, ErrUnimplemented} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// hostFetcher is the Fetcher a running plugin gets: fetchd's fetch service.
type hostFetcher struct {
	client sourcev1.FetchServiceClient
}

func (f *hostFetcher) Fetch(ctx context.Context, url string) ([]byte, error) {
	resp, err := f.client.Fetch(ctx, &sourcev1.FetchRequest{Url: url})
	if err != nil {
		st, _ := status.FromError(err)
		var kind error
		switch st.Code() {
		case codes.NotFound:
			kind = ErrNotFound
		case codes.PermissionDenied, codes.ResourceExhausted, codes.InvalidArgument:
			kind = ErrBadMetadata
		case codes.DeadlineExceeded:
			kind = context.DeadlineExceeded
		case codes.Canceled:
			kind = context.Canceled
		default:
			kind = ErrUnavailable
		}
		return nil, &FetchError{URL: url, Msg: st.Message(), kind: kind}
	}
	return resp.GetBody(), nil
}

// FetchError is a failed Fetch. It wraps ErrNotFound, ErrUnavailable,
// ErrBadMetadata or a context error.
type FetchError struct {
	URL  string
	Msg  string
	kind error
}

func (e *FetchError) Error() string { return e.Msg }
func (e *FetchError) Unwrap() error { return e.kind }

// NewFetchError returns a FetchError of the given kind (ErrNotFound,
// ErrUnavailable or ErrBadMetadata), for Fetchers outside the host.
func NewFetchError(url, msg string, kind error) *FetchError {
	return &FetchError{URL: url, Msg: msg, kind: kind}
}

type noFetcher struct{ err error }

func (f noFetcher) Fetch(_ context.Context, url string) ([]byte, error) {
	msg := "fetchd offered no fetch service for this call"
	if f.err != nil {
		msg = fmt.Sprintf("cannot reach fetchd's fetch service: %v", f.err)
	}
	return nil, &FetchError{URL: url, Msg: msg, kind: ErrUnavailable}
}
