//go:build race

package pluginhost

// raceEnabled: the race detector's runtime reserves far more memory than
// a plugin is allowed, so tests of memory limits cannot run under it.
const raceEnabled = true
