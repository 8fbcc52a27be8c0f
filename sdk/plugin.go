package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

// toStatus turns a Source's error into the gRPC status the protocol asks
// for: the code of its kind (codeTable), and its message without the
// kind's own text at the end (fetchd says what kind of failure it was in
// its own words; "…: upstream metadata failed a check" on every message
// said nothing).
func toStatus(err error) error {
	if _, ok := status.FromError(err); ok && kindOf(err) == nil {
		// Already a status (e.g. straight from the fetch service).
		return err
	}
	msg := err.Error()
	if k := kindOf(err); k != nil {
		msg = strings.TrimSuffix(msg, ": "+k.Error())
	}
	return status.Error(codeOf(err), msg)
}

// hostFetcher is the Fetcher a running plugin gets: fetchd's fetch service.
type hostFetcher struct {
	client sourcev1.FetchServiceClient
}

func (f *hostFetcher) Fetch(ctx context.Context, url string, opts ...FetchOption) (*Document, error) {
	o := FetchSettings(MaxFetchBytes, opts)
	resp, err := f.client.Fetch(ctx, &sourcev1.FetchRequest{Url: url, MaxBytes: o.MaxBytes})
	if err != nil {
		return nil, fetchError(url, err)
	}
	return &Document{Body: resp.GetBody(), URL: resp.GetFinalUrl(), ContentType: resp.GetContentType()}, nil
}

func (f *hostFetcher) Open(ctx context.Context, url string, opts ...FetchOption) (*Stream, error) {
	o := FetchSettings(MaxStreamBytes, opts)
	ctx, cancel := context.WithCancel(ctx)
	stream, err := f.client.FetchStream(ctx, &sourcev1.FetchStreamRequest{Url: url, MaxBytes: o.MaxBytes})
	if err != nil {
		cancel()
		return nil, fetchError(url, err)
	}
	first, err := stream.Recv()
	if status.Code(err) == codes.Unimplemented {
		// A fetchd older than FetchStream: one message, within its cap.
		cancel()
		doc, err := f.Fetch(ctx, url, MaxBytes(min(o.MaxBytes, MaxFetchBytes)))
		if err != nil {
			return nil, err
		}
		return &Stream{ReadCloser: io.NopCloser(bytes.NewReader(doc.Body)), URL: doc.URL, ContentType: doc.ContentType}, nil
	}
	if err != nil {
		cancel()
		return nil, fetchError(url, err)
	}
	r := &chunkReader{url: url, stream: stream, cancel: cancel, buf: first.GetData()}
	return &Stream{ReadCloser: r, URL: first.GetFinalUrl(), ContentType: first.GetContentType()}, nil
}

// chunkReader reads a FetchStream call's chunks as one body.
type chunkReader struct {
	url    string
	stream grpc.ServerStreamingClient[sourcev1.FetchStreamResponse]
	cancel context.CancelFunc
	buf    []byte
	err    error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		m, err := r.stream.Recv()
		if err == io.EOF {
			r.err = io.EOF
			continue
		}
		if err != nil {
			r.err = fetchError(r.url, err)
			continue
		}
		r.buf = m.GetData()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *chunkReader) Close() error {
	r.cancel()
	return nil
}

// fetchError turns a fetch service status into a FetchError of the kind
// its code says.
func fetchError(url string, err error) error {
	st, _ := status.FromError(err)
	return &FetchError{URL: url, Msg: st.Message(), kind: kindOfCode(st.Code())}
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

func (f noFetcher) Fetch(_ context.Context, url string, _ ...FetchOption) (*Document, error) {
	return nil, f.error(url)
}

func (f noFetcher) Open(_ context.Context, url string, _ ...FetchOption) (*Stream, error) {
	return nil, f.error(url)
}

func (f noFetcher) error(url string) error {
	msg := "fetchd offered no fetch service for this call"
	if f.err != nil {
		msg = fmt.Sprintf("cannot reach fetchd's fetch service: %v", f.err)
	}
	return &FetchError{URL: url, Msg: msg, kind: ErrUnavailable}
}
