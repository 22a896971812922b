# lever-hooks in a container: a release build in the Rust image, run from a slim Debian
# image as a non-root user. The data folder is a volume; mount the config at
# /etc/lever-hooks/lever-hooks.toml (it must listen on 0.0.0.0 to be reachable).
#
#   docker build -t lever-hooks .
#   docker run -p 8080:8080 -v lever-hooks-data:/var/lib/lever-hooks \
#       -v "$PWD/lever-hooks.toml:/etc/lever-hooks/lever-hooks.toml:ro" lever-hooks

FROM rust:1-slim-bookworm AS builder
# jemalloc, the binary's allocator, is compiled from C with make.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin lever-hooks

# TLS roots are built into the binary (webpki-roots), so the runtime image needs no
# packages beyond Debian's base.
FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 lever-hooks \
    && useradd --system --uid 10001 --gid lever-hooks --home-dir /var/lib/lever-hooks \
        --shell /usr/sbin/nologin lever-hooks \
    && mkdir -p /var/lib/lever-hooks /etc/lever-hooks \
    && chown lever-hooks:lever-hooks /var/lib/lever-hooks
COPY --from=builder /src/target/release/lever-hooks /usr/local/bin/lever-hooks
USER 10001:10001
# The working directory is the data folder, so the default `storage.path = "./data"`
# also lands in the volume.
WORKDIR /var/lib/lever-hooks
VOLUME ["/var/lib/lever-hooks"]
# Intake. The admin listener (9090) stays on loopback unless the config says otherwise.
EXPOSE 8080
ENTRYPOINT ["lever-hooks", "serve", "--config", "/etc/lever-hooks/lever-hooks.toml"]
