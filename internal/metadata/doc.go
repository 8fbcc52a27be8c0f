// Package metadata is how fetchd GETs upstream metadata (checksum files,
// manifests, listings) on behalf of source plugins: under the network
// policy (internal/netpolicy), with a size cap, and through an on-disk cache
// so that an unchanged upstream costs a conditional request (304) rather
// than a download, and --offline can answer from what was seen last time.
//
// Who reads this: whoever changes what fetchd sends upstream for metadata.
package metadata
