# The production image: the server built in a Rust image, run from a slim Debian as an unprivileged user.
# docker build -t mutual-aid . && docker run -p 8080:8080 -e DATABASE_URL=postgres://... -e MUTUAL_AID_JWT_SECRET=... mutual-aid

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin mutual-aid

FROM debian:bookworm-slim
# Unpinned on purpose: the image takes bookworm's security updates of these two packages when it is rebuilt.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/mutual-aid --create-home mutual-aid
COPY --from=build /src/target/release/mutual-aid /usr/local/bin/mutual-aid
USER 10001:10001
WORKDIR /var/lib/mutual-aid
ENV MUTUAL_AID_BIND=0.0.0.0:8080 \
    MUTUAL_AID_DATA_DIR=/var/lib/mutual-aid \
    MUTUAL_AID_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["mutual-aid"]
