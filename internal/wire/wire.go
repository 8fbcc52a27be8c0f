// Package wire holds the constants both ends of the plugin protocol must
// agree on: the go-plugin handshake, the plugin name and the message-size
// caps. The sdk (plugin side) and pluginhost (host side) both import it, so
// the two cannot drift apart. The same values are written down for authors
// in other languages in proto/fetchd/source/v1/source.proto.
package wire

import (
	"time"

	"github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the go-plugin application protocol version. It equals
// the major version of the proto package (fetchd.source.v1).
const ProtocolVersion = 1

// PluginName is the key of the source plugin in go-plugin's plugin set.
const PluginName = "source"

// Handshake is the go-plugin handshake. The cookie is not a secret: it only
// tells a plugin binary that it was started by fetchd.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "FETCHD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "8c3b8e0c5f2d4a7e9b1f6d0a2c4e6f80",
}

const (
	// MaxAnswerBytes caps a Describe or Resolve answer the host accepts.
	// Real answers are a few KiB.
	MaxAnswerBytes = 1 << 20
	// DefaultFetchBytes is the body cap of a FetchService call that names
	// none; MaxFetchBytes is the most the host ever returns.
	DefaultFetchBytes = 16 << 20
	MaxFetchBytes     = 32 << 20
	// MaxStreamBytes is the most the host streams for one FetchStream
	// call; StreamChunkBytes the most data one FetchStreamResponse holds.
	MaxStreamBytes   = 1 << 30
	StreamChunkBytes = 1 << 20
	// MaxFetchMessageBytes bounds a FetchResponse message on the broker
	// connection: the body plus room for the other fields.
	MaxFetchMessageBytes = MaxFetchBytes + 64<<10
)

// Default deadlines for the calls the host makes.
const (
	StartTimeout    = 10 * time.Second
	DescribeTimeout = 10 * time.Second
	ResolveTimeout  = 2 * time.Minute
)
