// Command fetchd-plugin-inhouse is the example plugin's binary. Build it
// and put it in a plugin directory:
//
//	go build -o ~/.local/lib/fetchd/plugins/ ./examples/inhouse/cmd/fetchd-plugin-inhouse
//	FETCHD_PLUGIN_PATH=~/.local/lib/fetchd/plugins fetchd list-sources
package main

import (
	"github.com/sandlabx/fetchd/examples/inhouse"
	"github.com/sandlabx/fetchd/sdk"
)

func main() { sdk.Serve(inhouse.New()) }
