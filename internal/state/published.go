package state

import "time"

// Published is, for an image installed from an OCI registry (source oci),
// what its publisher recorded about the build: the registry answer as the
// consumer checked it, and the publisher's own record of where the build
// came from upstream and how it verified it.
type Published struct {
	// Ref is the manifest installed, by digest
	// ("registry/repository@sha256:…").
	Ref string `json:"ref"`
	// Image is the image's name on the publisher.
	Image   string `json:"image,omitempty"`
	Source  string `json:"source,omitempty"`
	Release string `json:"release,omitempty"`
	Arch    string `json:"arch,omitempty"`
	Variant string `json:"variant,omitempty"`
	Build   string `json:"build,omitempty"`
	// UpstreamURL and UpstreamDigest are where the publisher downloaded
	// the bytes and upstream's digest of them ("sha512:…").
	UpstreamURL    string `json:"upstream_url,omitempty"`
	UpstreamDigest string `json:"upstream_digest,omitempty"`
	// Signature is the publisher's record of upstream's signature.
	Signature string `json:"signature,omitempty"`
	// VerifiedBy and VerifiedAt are the publisher's checks.
	VerifiedBy    []string  `json:"verified_by,omitempty"`
	VerifiedAt    time.Time `json:"verified_at"`
	FetchdVersion string    `json:"fetchd_version,omitempty"`
	PublishedAt   time.Time `json:"published_at"`
}

func (p *Published) verifiedAt() time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.VerifiedAt
}

func (p *Published) publishedAt() time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.PublishedAt
}

// utc returns a copy of p with its times in UTC, as the file stores them.
func (p *Published) utc() *Published {
	if p == nil {
		return nil
	}
	c := *p
	c.VerifiedAt, c.PublishedAt = c.VerifiedAt.UTC(), c.PublishedAt.UTC()
	return &c
}
