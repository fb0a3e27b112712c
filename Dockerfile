# The announcer:latest image the containerlab topologies in integration/topologies/ use
# for their web nodes: announcer plus the lab's web-server, started by docker/announcer-node.
#
#   docker build -t announcer:latest .
#
# The node's configuration is bound at /etc/announcer/announcer.toml (see the topologies).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p announcer -p announcer-fixtures \
        --bin announcer --bin web-server

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends iproute2 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/announcer /src/target/release/web-server /usr/local/bin/
COPY docker/announcer-node /usr/local/bin/announcer-node
# `sh -c 'touch $WEB_HEALTH_FILE'` fails the node's health check, as under the lab runner.
ENV WEB_HEALTH_FILE=/run/web-server/unhealthy
# `sh -c 'touch $WEB_BUSY_FILE'` fails its soft check (GET /load answers 503).
ENV WEB_BUSY_FILE=/run/web-server/busy
ENTRYPOINT ["/usr/local/bin/announcer-node"]
