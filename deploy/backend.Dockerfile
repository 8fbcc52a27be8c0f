# syntax=docker/dockerfile:1
#
# The lab backend's image with fetchd as its entrypoint: fetchd makes sure
# the base images in /images are present and verified, prints the summary
# into `docker logs`, then execs the Node.js server, which becomes the
# container's main process and receives its signals.
#
# Build the fetchd image first (docker build -t fetchd . at the repository
# root); this copies the static binary out of it.

FROM fetchd AS fetchd

FROM node:18-alpine
# qemu-img checks images (and the backend boots them); util-linux brings
# prlimit, which fetchd uses to cap qemu-img.
RUN apk add --no-cache qemu-img qemu-system-x86_64 util-linux ca-certificates
COPY --from=fetchd /usr/local/bin/fetchd /usr/local/bin/fetchd
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
ENV FETCHD_DIR=/images
# --best-effort: start the server even if an image could not be fetched
# (the seed script's behaviour); the summary says which one and why.
ENTRYPOINT ["fetchd", "sync", "--best-effort", "--"]
CMD ["node", "server.js"]
