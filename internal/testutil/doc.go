// Package testutil holds helpers shared by fetchd's tests: finding the real
// qemu-img and making images with it.
//
// It is for test code only. Tests that need qemu-img call RequireQemuImg,
// which skips the test when qemu-img is missing, unless the environment sets
// FETCHD_REQUIRE_QEMU=1 (as CI does), in which case the test fails instead:
// a CI machine without qemu-utils must not pass by skipping.
package testutil
