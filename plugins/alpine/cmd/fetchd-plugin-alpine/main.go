// Command fetchd-plugin-alpine serves the alpine source as a stand-alone plugin
// binary. fetchd has the same source built in; a binary of this name in a
// plugin directory replaces the built-in.
package main

import (
	"github.com/sandlabx/fetchd/plugins/alpine"
	"github.com/sandlabx/fetchd/sdk"
)

func main() { sdk.Serve(alpine.New()) }
