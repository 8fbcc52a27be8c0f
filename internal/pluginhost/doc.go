// Package pluginhost is fetchd's side of the plugin system: it finds source
// plugins on disk (Discover), starts them as child processes over go-plugin
// with the settings SECURITY.md asks for (Host.Start), serves them the
// metadata fetch service, and checks every answer before anyone uses it.
//
// Who reads this: whoever changes how fetchd loads, talks to or distrusts a
// plugin. Plugin authors want package sdk instead.
package pluginhost
