// Package strictjson reads upstream JSON metadata strictly and within
// bounds, for plugin authors.
//
// encoding/json is lenient in ways that matter when the document decides
// which image a VM boots: it keeps the last of two equal keys, matches
// struct fields ignoring case (so {"ref": A, "Ref": B} reads as B), accepts
// trailing data after a value when used as a stream, and nests as deep as
// the input goes (a 16 MiB {"a":{"a":…}} costs gigabytes in a token-based
// pre-scan). Check refuses all of that:
//
//   - the input must be exactly one JSON value, with only whitespace
//     around it, and not look like an HTML page (a wrong URL often answers
//     with one);
//   - no object may have two keys that are equal ignoring case;
//   - objects and arrays may nest at most Limits.Depth deep (default 64;
//     real metadata nests under ten);
//   - numbers must fit a float64;
//   - the input may be at most Limits.Bytes long (default 16 MiB, the
//     host's default cap for a fetched document).
//
// Unmarshal is Check followed by json.Unmarshal, the one call most plugins
// need:
//
//	var m manifest
//	if err := strictjson.Unmarshal(body, &m, strictjson.Limits{}); err != nil {
//		return fmt.Errorf("%s: %v: %w", url, err, sdk.ErrBadMetadata)
//	}
//
// For a document too large to hold twice (Ubuntu's simplestreams products
// file), decode it from a stream with a json.Decoder, keep only what you
// need, and run Unmarshal on the part you keep.
package strictjson
