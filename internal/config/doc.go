// Package config reads fetchd's YAML configuration: where the image
// directory is, which images it should hold and where each comes from
// (a source plugin, or a direct URL with a checksum), the update policy,
// parallelism, size and idle caps, source overrides (mirror base URLs,
// trusted OpenPGP keys) and extra plugin directories.
//
// It is for cmd/fetchd, which calls Load once at start and then hands the
// resulting *Config to the rest of the host. Decoding is strict: an unknown
// key, a value of the wrong type, a duplicate key or an invalid value is an
// *Error that names the file, the line and the key path, so an operator can
// fix the file without guessing. Nothing is defaulted silently except what
// the schema documents.
//
// Relative paths in a file (dir, plugin_path, sources.*.keys) are relative
// to the directory of that file; in the built-in default and in environment
// variables they are relative to the working directory. Config.Dir and all
// other paths in a *Config are absolute.
//
// Decisions the schema makes, each enforced with an error:
//
//   - Image names are compared case-insensitively when checking for
//     duplicates ("Alpine.qcow2" and "alpine.qcow2" cannot both be
//     configured), because the image directory may live on a
//     case-insensitive file system.
//   - A source image needs a release; checksum and format are for url
//     images only (a plugin announces both for its images), and release,
//     arch and variant are for source images only.
//   - release, arch and variant keep the text as written even when YAML
//     reads a number (release: 3.20 is "3.20"), and are limited to letters,
//     digits and . _ + -.
//   - YAML aliases, merge keys (<<), custom tags and multi-document files
//     are refused; a section (sources:, images:, plugin_path:, a source's
//     settings) left empty (null) counts as empty.
//   - URLs the operator writes may be http; Source.HTTPHost and
//     Config.HTTPHosts name those host:port pairs so the downloader can
//     allow http for exactly them.
package config
