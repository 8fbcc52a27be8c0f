package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/wire"
)

// MetadataFetcher GETs metadata for plugins under the host's network
// policy. Errors should wrap one of the Fetch* sentinels so that the plugin
// learns what kind of failure it was.
type MetadataFetcher interface {
	FetchMetadata(ctx context.Context, url string, maxBytes int64) (Document, error)
}

// Document is a fetched metadata file.
type Document struct {
	Body        []byte
	FinalURL    string
	ContentType string
}

// Kinds of fetch failure a MetadataFetcher reports (by wrapping them).
var (
	ErrFetchNotFound = errors.New("not found")
	ErrFetchRefused  = errors.New("refused by network policy")
	ErrFetchTooLarge = errors.New("larger than the size cap")
)

// fetchServer serves FetchService to one plugin for one call.
type fetchServer struct {
	sourcev1.UnimplementedFetchServiceServer
	fetcher MetadataFetcher
	// onFetch, if set, is told of every URL fetched, the body served and
	// the error.
	onFetch func(url string, body []byte, err error)
}

func (s *fetchServer) Fetch(ctx context.Context, req *sourcev1.FetchRequest) (*sourcev1.FetchResponse, error) {
	max := req.GetMaxBytes()
	if max <= 0 {
		max = wire.DefaultFetchBytes
	}
	if max > wire.MaxFetchBytes {
		max = wire.MaxFetchBytes
	}
	doc, err := s.get(ctx, req.GetUrl(), max)
	if err != nil {
		return nil, err
	}
	return &sourcev1.FetchResponse{Body: doc.Body, FinalUrl: doc.FinalURL, ContentType: doc.ContentType}, nil
}

// FetchStream is Fetch in chunks, up to the larger stream cap. The host
// holds the body once (it checks and caches it whole); the plugin gets it
// piece by piece and need never hold it.
func (s *fetchServer) FetchStream(req *sourcev1.FetchStreamRequest, stream grpc.ServerStreamingServer[sourcev1.FetchStreamResponse]) error {
	max := req.GetMaxBytes()
	if max <= 0 {
		max = wire.DefaultFetchBytes
	}
	max = min(max, wire.MaxStreamBytes)
	doc, err := s.get(stream.Context(), req.GetUrl(), max)
	if err != nil {
		return err
	}
	first := &sourcev1.FetchStreamResponse{FinalUrl: doc.FinalURL, ContentType: doc.ContentType}
	body := doc.Body
	for {
		n := min(len(body), wire.StreamChunkBytes)
		m := &sourcev1.FetchStreamResponse{Data: body[:n]}
		if first != nil {
			first.Data, m, first = body[:n], first, nil
		}
		if err := stream.Send(m); err != nil {
			return err
		}
		body = body[n:]
		if len(body) == 0 {
			return nil
		}
	}
}

// get fetches url with the host's fetcher, reports it, and turns a failure
// into the status the protocol gives it.
func (s *fetchServer) get(ctx context.Context, url string, max int64) (Document, error) {
	if s.fetcher == nil {
		return Document{}, status.Errorf(codes.Unavailable, "GET %s: fetchd has no network access configured", url)
	}
	doc, err := s.fetcher.FetchMetadata(ctx, url, max)
	if err == nil && int64(len(doc.Body)) > max {
		err = &FetchError{Msg: fmt.Sprintf("GET %s: body larger than %d bytes", url, max), Kind: ErrFetchTooLarge}
	}
	if s.onFetch != nil {
		s.onFetch(url, doc.Body, err)
	}
	if err != nil {
		code := codes.Unavailable
		switch {
		case errors.Is(err, ErrFetchNotFound):
			code = codes.NotFound
		case errors.Is(err, ErrFetchRefused):
			code = codes.PermissionDenied
		case errors.Is(err, ErrFetchTooLarge):
			code = codes.ResourceExhausted
		case errors.Is(err, context.DeadlineExceeded):
			code = codes.DeadlineExceeded
		case errors.Is(err, context.Canceled):
			code = codes.Canceled
		}
		return Document{}, status.Error(code, err.Error())
	}
	return doc, nil
}

// serveFetch serves FetchService on a new broker id until stop is called.
func serveFetch(broker *plugin.GRPCBroker, fs *fetchServer) (id uint32, stop func()) {
	id = broker.NextId()
	var (
		mu      sync.Mutex
		srv     *grpc.Server
		stopped bool
	)
	go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		opts = append(opts,
			grpc.MaxRecvMsgSize(64<<10),
			grpc.MaxSendMsgSize(wire.MaxFetchMessageBytes))
		s := grpc.NewServer(opts...)
		sourcev1.RegisterFetchServiceServer(s, fs)
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			s.Stop() // Serve will return at once
		} else {
			srv = s
		}
		return s
	})
	return id, func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if srv != nil {
			srv.Stop()
		}
	}
}

// FetchFunc adapts a function to MetadataFetcher.
type FetchFunc func(ctx context.Context, url string, maxBytes int64) (Document, error)

// FetchMetadata calls f.
func (f FetchFunc) FetchMetadata(ctx context.Context, url string, maxBytes int64) (Document, error) {
	return f(ctx, url, maxBytes)
}

// FetchError is a fetch failure whose message is shown as is and whose kind
// is one of the Fetch* sentinels.
type FetchError struct {
	Msg  string
	Kind error
	// Cause is the network or policy error behind it, if any (the host
	// side's; the plugin only sees Msg and Kind).
	Cause error
}

func (e *FetchError) Error() string { return e.Msg }

// Unwrap returns the kind and the cause, either of which may be absent.
func (e *FetchError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Kind, e.Cause} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
