// Package sdk is what a fetchd source plugin's author imports.
//
// A source plugin knows where one distribution publishes its VM images and
// how their digests are vouched for. fetchd (the host) starts the plugin as
// a child process, asks it what it offers (Describe) and what the current
// image is (Resolve), then downloads, verifies and installs the image
// itself. A plugin never downloads images and needs no network code: it
// reads upstream metadata through ResolveRequest.Fetcher, which fetchd
// serves under its own network policy.
//
// The whole author experience:
//
//	package main
//
//	import "github.com/sandlabx/fetchd/sdk"
//
//	func main() { sdk.Serve(mysource.New()) }
//
// where mysource.New returns a value implementing Source. Keep the logic in
// a package of its own so tests can call it without a process, and run the
// conformance kit in sdk/sdktest against it. Helpers for the work a Resolve
// usually does live beside this package: sdk/checksum parses checksum files,
// sdk/signature verifies OpenPGP signatures over them, sdk/version picks the
// newest of a list of versions.
//
// Errors: wrap ErrNotFound, ErrInvalidArgument, ErrUnavailable,
// ErrBadMetadata or ErrUnimplemented so fetchd can tell the user what kind
// of failure it was. Write messages lowercase, without a trailing period,
// naming what failed and where.
//
// Protobuf never appears in this API; the contract underneath is
// proto/fetchd/source/v1/source.proto, which authors in other languages
// implement directly.
package sdk
