// Package api is fetchd's HTTP API: the handlers under /v1, /healthz,
// /readyz and /metrics, who may call them (a Unix socket checked with
// SO_PEERCRED, a bearer token for anything that changes something, a rate
// limit), the listeners, and the OpenAPI document that describes it all
// (openapi.json, served at /v1/openapi.json). It knows nothing about
// images itself: a Backend (the service) answers.
package api
