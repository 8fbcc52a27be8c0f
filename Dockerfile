# syntax=docker/dockerfile:1
#
# fetchd as a container: a static fetchd binary on a small Debian with
# qemu-img and CA certificates. It runs as an unprivileged user and keeps
# images in the /images volume.
#
#   docker build -t fetchd .
#   docker run --rm -v "$PWD/images:/images" fetchd            # fetchd sync
#   docker run --rm -v "$PWD/images:/images" fetchd status --check
#
# To run a lab backend after the sync, see deploy/ (the backend's own image
# copies /usr/local/bin/fetchd from this one).

# The builder only needs Go: the binary is static (CGO_ENABLED=0).
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/fetchd ./cmd/fetchd

FROM debian:bookworm-slim
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
USER fetchd
ENTRYPOINT ["/usr/local/bin/fetchd"]
CMD ["sync"]
