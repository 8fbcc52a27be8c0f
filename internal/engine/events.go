package engine

// EventKind says what an Event reports.
type EventKind int

// The event kinds, in the order an image goes through them.
const (
	// Resolving: asking the source for the current artifact.
	Resolving EventKind = iota
	// Downloading: a download starts (Total is its size, 0 if unknown;
	// Done counts bytes kept from an earlier partial).
	Downloading
	// Progress: bytes arrived.
	Progress
	// Verifying: the download is complete and being checked.
	Verifying
	// Done: the image is finished; Result says how.
	Done
	// Removed: after the syncs, retention removed a build of the image
	// that its move pushed beyond the image's retain count (Removed says
	// which). Prune's removals are in its report, not events.
	Removed
)

// Event is one step of one image, for progress display.
type Event struct {
	Kind  EventKind
	Image string
	URL   string
	Done  int64
	Total int64
	// Reused counts bytes of Done kept from an earlier partial download.
	Reused int64
	Result *Result
	// Removed is the build a Removed event tells of.
	Removed *PruneItem
}

// Reporter receives events; it must be safe for concurrent use.
type Reporter interface {
	Event(Event)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(Event)

// Event calls f.
func (f ReporterFunc) Event(e Event) { f(e) }

type nopReporter struct{}

func (nopReporter) Event(Event) {}
