# syntax=docker/dockerfile:1
# pixgate's container image (docs/deploy.md#container-image):
#
#   docker build -t pixgate .
#   docker run -p 8080:8080 -v "$PWD/fixtures:/srv/images" pixgate
#
# The build stage is scripts/build-release.sh, which runs without Docker too. No engine runs in
# CI: tests/integration/deploy/container.rs checks this file against the config it bakes in and
# runs the binary the way this image does (its user, environment and writable paths).

FROM rust:1.95-bookworm AS build
# gcc comes with the image; nasm turns on the codecs' assembly (the `nasm` feature).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nasm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The registry and the target folder are BuildKit caches, so a rebuild after a source change
# reuses the compiled dependencies; the script copies the binary out of the cache into /out.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    scripts/build-release.sh /out
# Empty folders for the VOLUMEs below (distroless has no shell to make them); /tmp is there.
RUN mkdir -p /out/writable/srv/images /out/writable/var/cache/pixgate

# glibc, libgcc and CA certificates, no shell: all the binary needs (the C codecs are linked in).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/pixgate /usr/local/bin/pixgate
COPY deploy/container/pixgate.toml /etc/pixgate/pixgate.toml
# The licences and credits (the IJG's, MPL-2.0's) that go with the binary.
COPY THIRD_PARTY_NOTICES.md /usr/share/doc/pixgate/THIRD_PARTY_NOTICES.md
COPY --from=build --chown=65532:65532 /out/writable/ /
# distroless's `nonroot`; numeric, so runAsNonRoot can verify it. It may write only the volumes.
USER 65532:65532
# `serve` and its `health` probe read the same file. Every key can be set the same way, e.g.
# PIXGATE_SOURCES__IMAGES__HMAC_KEYS (docs/configuration.md).
ENV PIXGATE_CONFIG=/etc/pixgate/pixgate.toml
# Originals and uploads; the disk tier of the derivative cache; upload staging of bucket sources.
VOLUME ["/srv/images", "/var/cache/pixgate", "/tmp"]
EXPOSE 8080
# pixgate drains on SIGTERM for server.shutdown_timeout (8 s, within docker stop's 10 s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/pixgate", "health"]
ENTRYPOINT ["/usr/local/bin/pixgate"]
CMD ["serve"]
