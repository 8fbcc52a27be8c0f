//go:build race

package ubuntu_test

const raceEnabled = true
