package sdk

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sandlabx/fetchd/internal/wire"
)

// ProtocolVersion is the plugin protocol version this SDK speaks: the major
// version of the proto package fetchd.source.v1.
const ProtocolVersion = wire.ProtocolVersion

// Serve runs src as a fetchd source plugin and does not return. Call it from
// main:
//
//	func main() { sdk.Serve(mysource.New()) }
//
// Serve owns the handshake with fetchd and the protocol version. Started by
// hand (not by fetchd) it does not serve: with --version it prints the
// plugin's name, version and protocol version; with "describe" it prints the
// Description as JSON; otherwise it explains how the plugin is used and
// exits with status 2.
func Serve(src Source) {
	os.Exit(serve(src, os.Args, os.Stdout, os.Stderr))
}

// serveBuiltin is Serve for the sources built into the fetchd binary, which
// re-executes itself as the plugin process; args are the arguments after
// fetchd's own ones. fetchd reaches it through internal/wire.
func serveBuiltin(src Source, args []string) {
	os.Exit(serve(src, append([]string{"fetchd"}, args...), os.Stdout, os.Stderr))
}

func serve(src Source, argv []string, stdout, stderr io.Writer) int {
	desc := src.Describe()
	if err := desc.Validate(); err != nil {
		fmt.Fprintf(stderr, "%s: error: the plugin's Describe answer is invalid: %v\n", progName(argv), err)
		return 1
	}
	if os.Getenv(wire.Handshake.MagicCookieKey) != wire.Handshake.MagicCookieValue {
		return byHand(desc, argv, stdout, stderr)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			wire.ProtocolVersion: {wire.PluginName: &grpcPlugin{src: src, desc: desc}},
		},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts,
				grpc.MaxRecvMsgSize(wire.MaxAnswerBytes),
				grpc.MaxSendMsgSize(wire.MaxAnswerBytes))
			return grpc.NewServer(opts...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       desc.Name,
			Level:      hclog.Warn,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	})
	return 0
}

// byHand answers a plugin started outside fetchd.
func byHand(desc Description, argv []string, stdout, stderr io.Writer) int {
	var args []string
	if len(argv) > 1 {
		args = argv[1:]
	}
	if len(args) == 1 {
		switch args[0] {
		case "--version", "-version", "version":
			fmt.Fprintf(stdout, "%s %s (fetchd plugin protocol %d)\n", desc.Name, desc.Version, wire.ProtocolVersion)
			return 0
		case "describe", "--describe":
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(desc); err != nil {
				fmt.Fprintf(stderr, "%s: error: %v\n", progName(argv), err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, `%[1]s is a fetchd source plugin (source %[2]q, version %[3]s, protocol %[4]d).
fetchd starts it; it is not meant to be run by hand. To use it, put it in a
directory on FETCHD_PLUGIN_PATH (or the plugins directory next to the config
file) and run: fetchd list-sources

To inspect it: %[1]s --version | %[1]s describe
`, progName(argv), desc.Name, desc.Version, wire.ProtocolVersion)
	return 2
}

func progName(argv []string) string {
	if len(argv) == 0 {
		return "plugin"
	}
	return filepath.Base(argv[0])
}
