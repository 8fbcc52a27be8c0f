// Package replica serves replicas of upstream image publishers for tests
// and benchmarks: a directory tree laid out exactly as upstream lays it out
// (the per-distro generators live beside each plugin, e.g.
// plugins/ubuntu/replica), served over HTTP on 127.0.0.1.
//
// The server behaves like upstream's web servers where fetchd cares: it
// answers Range requests, sends Content-Length and Last-Modified, serves a
// directory's index.html (generators write listings in upstream's HTML
// format) and can redirect paths as cloud-images.ubuntu.com does. Hooks let
// fault tests make it misbehave.
package replica
