// Package rawplugin serves a hand-made SourceService over go-plugin with
// fetchd's handshake, bypassing sdk.Serve, which refuses to send an answer
// that breaks the protocol's rules. Fake plugins in tests use it to put
// exactly such answers on the wire and prove that the host checks for
// itself.
package rawplugin

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	sourcev1 "github.com/sandlabx/fetchd/internal/gen/fetchd/source/v1"
	"github.com/sandlabx/fetchd/internal/wire"
	"github.com/sandlabx/fetchd/sdk"
)

// Server answers Describe with Desc and Resolve with what Answer returns
// (nil Answer: UNIMPLEMENTED).
type Server struct {
	sourcev1.UnimplementedSourceServiceServer
	Desc   *sourcev1.DescribeResponse
	Answer func(*sourcev1.ResolveRequest) *sourcev1.Artifact
}

func (s *Server) Describe(context.Context, *sourcev1.DescribeRequest) (*sourcev1.DescribeResponse, error) {
	return s.Desc, nil
}

func (s *Server) Resolve(ctx context.Context, req *sourcev1.ResolveRequest) (*sourcev1.ResolveResponse, error) {
	if s.Answer == nil {
		return s.UnimplementedSourceServiceServer.Resolve(ctx, req)
	}
	return &sourcev1.ResolveResponse{Artifact: s.Answer(req)}, nil
}

// Plugin is the go-plugin plugin serving s (server side only).
func Plugin(s *Server) plugin.Plugin { return &rawPlugin{srv: s} }

// Serve serves s as a plugin of fetchd's protocol version; it returns when
// the host is done with it.
func Serve(s *Server) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{wire.ProtocolVersion: {wire.PluginName: Plugin(s)}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}

type rawPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	srv *Server
}

func (p *rawPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	sourcev1.RegisterSourceServiceServer(s, p.srv)
	return nil
}

func (p *rawPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("rawplugin: no client side")
}

// DescribeToProto is d as a Describe answer: sdk's own converter (see
// internal/wire/bridge.go).
var DescribeToProto = wire.DescribeToProto.(func(sdk.Description) *sourcev1.DescribeResponse)
