package main

import (
	"github.com/sandlabx/fetchd/internal/engine"
	"github.com/sandlabx/fetchd/internal/report"
)

// The --json encoding of results lives in internal/report, shared with
// the service's API and events.

func resultsToJSON(rs []engine.Result) []report.Image { return report.FromResults(rs) }
