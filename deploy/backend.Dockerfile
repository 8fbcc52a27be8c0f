# syntax=docker/dockerfile:1
#
# The lab backend's image with fetchd as its entrypoint: fetchd makes sure
# the base images in /images are present and verified, prints the summary
# into `docker logs`, then execs the Node.js server, which takes fetchd's
# PID and receives the container's signals. deploy/backend/ is a stand-in
# server that boots nothing; a real backend replaces it.
#
# Built from the repository root (compose.yaml does this):
#
#   docker build -f deploy/backend.Dockerfile -t fetchd-lab-backend .

# fetchd, cross-compiled on the build machine's platform (static binary).
FROM --platform=$BUILDPLATFORM golang:1.26.8 AS fetchd
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w" -o /out/fetchd ./cmd/fetchd

# Node.js 26, the current LTS, on Debian 13 (trixie).
FROM node:26-trixie-slim
ARG TARGETARCH
# fetchd picks images for the machine's architecture, so the emulator that
# boots them is that architecture's (with UEFI firmware: Alpine's default
# image is a UEFI one). qemu-utils: qemu-img, which fetchd runs to check
# every image; util-linux: prlimit, which caps it.
RUN set -eux; \
    case "$TARGETARCH" in \
      amd64) qemu="qemu-system-x86 ovmf" ;; \
      arm64) qemu="qemu-system-arm qemu-efi-aarch64" ;; \
      *) echo "no QEMU system emulator for $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates qemu-utils util-linux $qemu; \
    rm -rf /var/lib/apt/lists/*
# The same unprivileged uid as the fetchd image, so one /images volume
# serves both. /overlays is where the VM disks (qcow2 overlays on the
# images) live: fetchd reads their headers so that an update never moves
# a name under a disk that uses it (README, "VM disks on the images").
RUN groupadd --gid 10001 lab \
 && useradd --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin lab \
 && mkdir -p /images /overlays \
 && chown lab:lab /images /overlays
COPY --from=fetchd /out/fetchd /usr/local/bin/fetchd
WORKDIR /app
COPY deploy/backend/package.json deploy/backend/package-lock.json ./
RUN npm ci --omit=dev
COPY deploy/backend/ ./
ENV FETCHD_DIR=/images FETCHD_OVERLAYS=/overlays
USER 10001:10001
EXPOSE 3001
# --best-effort: start the server even if an image could not be fetched
# (the seed script's behaviour); the summary says which one and why.
ENTRYPOINT ["fetchd", "sync", "--best-effort", "--"]
CMD ["node", "server.js"]
