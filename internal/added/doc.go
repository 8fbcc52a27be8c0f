// Package added keeps the images added through `fetchd serve`'s API (the
// web UI's "add an image") in <dir>/.fetchd/images.yaml, beside the
// config file's images: read and written through the private directory's
// descriptors (package store: owned by fetchd's uid, mode 0600, no
// symlinks, a capped read, an atomic replace), in the config file's own
// syntax and parsed by its own rules (config.ParseAdded).
//
// Every command that loads the configuration applies the file (Apply),
// so that sync, status and prune know the added images as serve does.
package added
