// Package webhook delivers the service's events to the webhooks in the
// config's notify: list. Each delivery is a POST of the event's JSON
// object, signed with HMAC-SHA256 under the webhook's secret
// (X-Fetchd-Signature-256: sha256=<hex>), with a delivery id that stays
// the same across retries (X-Fetchd-Delivery). A failed delivery is
// retried with exponential backoff for a bounded time. Each webhook has
// its own bounded queue and its own goroutine: a slow or hanging receiver
// delays only its own deliveries, never a download or another webhook.
package webhook
