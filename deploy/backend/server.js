// A stand-in for the lab backend: it boots nothing, but shows the pattern
// fetchd is built for. The container's entrypoint is
//
//   fetchd sync --best-effort -- node server.js
//
// so by the time this runs, fetchd has made sure the base images in
// $FETCHD_DIR (/images) are present and verified, printed its summary
// into `docker logs`, and exec'd this process, which now has fetchd's PID
// and receives the container's signals.
//
//   GET /        the images a VM could be started from, the QEMU that would boot them,
//                and, with the fetchd sidecar ($FETCHD_API), what its API says of them
//   GET /healthz "ok"
//
// With the sidecar (deploy/compose.yaml), $FETCHD_API is its address and
// $FETCHD_TOKEN_FILE the token every API call but /healthz and /readyz
// needs. A real backend would create each VM disk in /overlays on an
// image's build_path (qemu-img create -f qcow2 -b <build_path> -F qcow2
// /overlays/vm.qcow2): an update then never changes what the disk reads. A
// disk made on the name instead holds the image's updates (fetchd reads
// /overlays, $FETCHD_OVERLAYS). It would also follow GET /v1/events, and
// POST /v1/images/<name>/update when an
// "outdated" event says upstream has a newer build.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

const dir = process.env.FETCHD_DIR || "/images";
const port = Number(process.env.PORT || 3001);
// fetchd picks images for the host's architecture; so does the emulator.
const qemu = { x64: "qemu-system-x86_64", arm64: "qemu-system-aarch64" }[process.arch] || "qemu-system-" + process.arch;

function qemuVersion() {
  try {
    return execFileSync(qemu, ["--version"], { encoding: "utf8", timeout: 5000 }).split("\n")[0];
  } catch (err) {
    return "not installed (" + err.code + ")";
  }
}

function images() {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => ({ name: e.name, bytes: fs.statSync(path.join(dir, e.name)).size }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const api = process.env.FETCHD_API || "";
const tokenFile = process.env.FETCHD_TOKEN_FILE || "";

// fetchdImages asks the sidecar for its images (status, build paths, live
// progress), or returns why it could not.
async function fetchdImages() {
  if (!api) {
    return null;
  }
  try {
    const token = fs.readFileSync(tokenFile, "utf8").trim();
    const res = await fetch(api + "/v1/images", {
      headers: { authorization: "Bearer " + token },
      signal: AbortSignal.timeout(5000),
    });
    const body = await res.json();
    return res.ok ? body : { error: body.error || res.statusText };
  } catch (err) {
    return { error: String(err) };
  }
}

const server = http.createServer(async (req, res) => {
  if (req.url === "/healthz") {
    res.end("ok\n");
    return;
  }
  if (req.url !== "/") {
    res.writeHead(404).end();
    return;
  }
  let body;
  try {
    body = { dir, images: images(), qemu, qemu_version: qemuVersion(), fetchd: await fetchdImages() };
  } catch (err) {
    res.writeHead(500, { "content-type": "text/plain" }).end(String(err) + "\n");
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body, null, 2) + "\n");
});

server.listen(port, () => console.log(`lab backend (stand-in): ${images().length} images in ${dir}, listening on :${server.address().port}`));

// docker stop sends SIGTERM to this process (through the init that
// compose's `init: true` runs as PID 1): stop accepting, then exit.
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    console.log(`lab backend: ${sig}, stopping`);
    server.close(() => process.exit(0));
  });
}
