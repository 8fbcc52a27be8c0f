// Command fetchd-plugin-fedora is the example Fedora plugin's binary.
package main

import (
	"github.com/sandlabx/fetchd/examples/fedora"
	"github.com/sandlabx/fetchd/sdk"
)

func main() { sdk.Serve(fedora.New()) }
