# install-on-linode: multi-stage build.
# 1. cargo-chef turns the dependency graph into a recipe, so the (slow)
#    dependency build is a cached layer that only changes with Cargo.lock.
# 2. The runtime is distroless: glibc, CA certificates, a non-root user, no shell.
#    Templates and static files are compiled into the binary.

FROM lukemathwalker/cargo-chef:latest-rust-1.95-bookworm AS chef
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin install-on-linode
COPY . .
RUN cargo build --release --locked --bin install-on-linode

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=builder /app/target/release/install-on-linode /usr/local/bin/install-on-linode
# Settings come only from APP_* variables; these are the container's own.
ENV APP_HOST=0.0.0.0 \
    APP_PORT=5000 \
    APP_LOG_FORMAT=json
EXPOSE 5000
USER nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/install-on-linode", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/install-on-linode"]
CMD ["serve"]
