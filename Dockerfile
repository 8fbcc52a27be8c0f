# syntax=docker/dockerfile:1
#
# fetchd as a container: a static fetchd binary on Debian's current stable
# (13, trixie) with qemu-img and CA certificates. It runs as an unprivileged
# user (uid 10001) and keeps images in the /images volume.
#
#   docker build -t fetchd .
#   docker run --rm -v "$PWD/images:/images" fetchd            # fetchd sync
#   docker run --rm -v "$PWD/images:/images" fetchd status --check
#
# The mounted directory must be writable by uid 10001 (chown 10001 images),
# or run with --user "$(id -u)". deploy/ has a lab backend with fetchd as
# its entrypoint, and a compose file that builds both images.

# The binary is static (CGO_ENABLED=0), so it is cross-compiled on the
# build machine's own platform for the target's: no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26.8 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/fetchd ./cmd/fetchd

FROM debian:trixie-slim
# qemu-utils: qemu-img, which fetchd runs to check every image.
# util-linux: prlimit, which caps qemu-img's memory and CPU.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates qemu-utils util-linux \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin fetchd \
 && mkdir -p /images \
 && chown fetchd:fetchd /images
COPY --from=build /out/fetchd /usr/local/bin/fetchd
ENV FETCHD_DIR=/images
VOLUME ["/images"]
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/fetchd"]
CMD ["sync"]
