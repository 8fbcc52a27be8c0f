package main

import (
	"errors"

	"github.com/sandlabx/fetchd/internal/pluginhost"
)

// hints turns typed errors into advice for the user.
func hints(err error) []string {
	var pe *pluginhost.Error
	if errors.As(err, &pe) {
		switch pe.Kind {
		case pluginhost.NotAPlugin:
			return []string{"a file named fetchd-plugin-<name> in a plugin directory must be a fetchd source plugin; rename or remove " + pe.Origin}
		case pluginhost.ProtocolMismatch:
			return []string{"rebuild the plugin with the fetchd sdk that matches this fetchd, or use a fetchd that speaks its protocol"}
		case pluginhost.Crashed:
			return []string{"this is a bug in the plugin; run fetchd with FETCHD_DEBUG=1 to see the plugin's whole log"}
		case pluginhost.Timeout:
			return []string{"the plugin did not answer in time; check the network, or the plugin may hang"}
		case pluginhost.InvalidAnswer:
			return []string{"the plugin broke the protocol's rules; its answer was not used"}
		}
	}
	return nil
}
