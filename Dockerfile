# ferredis container image: static binaries on an empty base.
#
#   docker build -t ferredis .
#   docker run -d -p 6379:6379 -v ferredis-data:/data -e FERREDIS_PASSWORD=change-me ferredis
#
# The server reads deploy/docker/ferredis.conf (bind all addresses, dir /data, protected mode on). Setting
# FERREDIS_PASSWORD, or FERREDIS_PASSWORD_FILE to a mounted secret, sets requirepass and turns protected mode off;
# without either, only clients inside the container may connect. FERREDIS_MASTERAUTH(_FILE) sets a replica's
# masterauth. Options after the image name replace the CMD:
#   docker run ferredis /etc/ferredis/ferredis.conf --maxmemory 1gb --maxmemory-policy allkeys-lfu
# and, as with the redis image, a program name runs that program instead of the server (the image has no shell;
# the server starts it):
#   docker run --rm -it ferredis ferredis-cli -h 192.0.2.10 -a change-me
#   docker run ferredis ferredis-server --appendonly yes
#
# deploy/docker/Dockerfile.prebuilt has the same final stage and takes binaries built outside (tests/operations/deploy.rs).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# make static links musl and rebuilds the standard library with nightly (-Z build-std), which needs the nightly
# toolchain with its sources and the musl target; it checks that the binaries are static and prints their sizes.
# The binaries keep their symbols (crash reports name functions with them); the .stripped copies stay behind.
RUN rustup toolchain install nightly --profile minimal --component rust-src \
        --target "$(uname -m)-unknown-linux-musl"
RUN make static TARGET_TRIPLE="$(rustc -vV | sed -n 's/^host: //p')" \
    && mkdir -p /out/bin /out/data \
    && find target/static -maxdepth 1 -type f ! -name '*.stripped' -exec cp {} /out/bin/ \;

FROM scratch
COPY deploy/docker/passwd /etc/passwd
COPY deploy/docker/group /etc/group
COPY deploy/docker/ferredis.conf /etc/ferredis/ferredis.conf
COPY LICENSE THIRD-PARTY.md /usr/share/doc/ferredis/
COPY --from=build /out/bin/ /usr/local/bin/
COPY --chown=10001:10001 --from=build /out/data/ /data/
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 6379
# ferredis-cli exits 0 once the server answers (an error reply such as NOAUTH counts: the server is up).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/usr/local/bin/ferredis-cli", "ping"]
# The server; a first argument naming one of the programs (ferredis-cli, ferredis-check-rdb, ...) runs it instead.
ENTRYPOINT ["/usr/local/bin/ferredis-server"]
CMD ["/etc/ferredis/ferredis.conf"]
