package checksum

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// maxSimilar is how many similar names a NotFoundError lists.
const maxSimilar = 5

// Lookup returns the digest of algorithm algo recorded for exactly name, as
// written in the file (no path cleaning: "./x" is not "x"). It returns a
// *NotFoundError when there is none and a *ConflictError when the file
// records different digests for it; the same digest on several lines is
// fine.
func (f *File) Lookup(name string, algo Algorithm) (Digest, error) {
	if !algo.Known() {
		return Digest{}, fmt.Errorf("lookup %q: algorithm %q: want sha256 or sha512", name, string(algo))
	}
	if name == "" {
		return Digest{}, fmt.Errorf("lookup: empty file name")
	}
	var distinct []Entry
	for _, e := range f.Entries {
		if e.Name != name || e.Digest.Algorithm != algo {
			continue
		}
		if !slices.ContainsFunc(distinct, func(d Entry) bool { return d.Digest == e.Digest }) {
			distinct = append(distinct, e)
		}
	}
	switch len(distinct) {
	case 0:
		return Digest{}, f.notFound(name, algo)
	case 1:
		return distinct[0].Digest, nil
	}
	return Digest{}, &ConflictError{Name: name, Algorithm: algo, Entries: distinct}
}

// Entry returns the entry of algorithm algo for exactly name, with its
// size when the file states one: Lookup with the line and size.
func (f *File) Entry(name string, algo Algorithm) (Entry, error) {
	d, err := f.Lookup(name, algo)
	if err != nil {
		return Entry{}, err
	}
	for _, e := range f.Entries {
		if e.Name == name && e.Digest == d {
			return e, nil
		}
	}
	return Entry{}, f.notFound(name, algo) // unreachable: Lookup found it
}

// Find parses a checksum file whose untagged lines hold digests of
// algorithm algo and returns the digest recorded for exactly name: Parse
// then Lookup, the one call most plugins need.
func Find(data []byte, algo Algorithm, name string) (Digest, error) {
	f, err := Parse(data, algo)
	if err != nil {
		return Digest{}, err
	}
	return f.Lookup(name, algo)
}

func (f *File) notFound(name string, algo Algorithm) *NotFoundError {
	e := &NotFoundError{Name: name, Algorithm: algo, Entries: len(f.Entries)}
	type candidate struct {
		name  string
		score int
		order int
	}
	var cands []candidate
	seen := map[string]bool{}
	for _, en := range f.Entries {
		if en.Name == name {
			if !slices.Contains(e.Has, en.Digest.Algorithm) {
				e.Has = append(e.Has, en.Digest.Algorithm)
			}
			continue
		}
		if seen[en.Name] {
			continue
		}
		seen[en.Name] = true
		if s := similarity(name, en.Name); s > 0 {
			cands = append(cands, candidate{en.Name, s, len(cands)})
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.order, b.order))
	})
	for _, c := range cands[:min(len(cands), maxSimilar)] {
		e.Similar = append(e.Similar, c.name)
	}
	return e
}

// similarity scores how much candidate looks like want, ignoring case: 0 for
// not at all; otherwise higher for equal names, then names containing want,
// then the longest shared prefix or suffix, which must cover at least half of
// want.
func similarity(want, candidate string) int {
	w, c := strings.ToLower(want), strings.ToLower(candidate)
	const tier = 1 << 20
	switch {
	case w == c:
		return 3 * tier
	case strings.Contains(c, w):
		return 2 * tier
	}
	shared := max(commonPrefix(w, c), commonSuffix(w, c))
	if shared == 0 || 2*shared < len(w) {
		return 0
	}
	return min(shared, tier-1)
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}
