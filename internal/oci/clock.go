package oci

import "time"

// now is the clock signatures and provenance use.
var now = time.Now
