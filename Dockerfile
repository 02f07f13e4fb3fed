# One image for all four Uplink services. The workspace is laid out under /app as in the
# repository, with production dependencies only; the command picks the service:
#
#   docker build -t uplink .
#   docker run --rm -p 8080:8080 -e MONGODB_URI=... -e NATS_URL=... uplink                                  # link-service
#   docker run --rm -p 8081:8081 -e MONGODB_URI=... -e NATS_URL=... uplink services/upload-gateway/src/main.ts
#   docker run --rm -e MONGODB_URI=... uplink services/link-service/src/cli.ts create --name "Acme Support"  # tenant CLI
#
# Kubernetes: `command: ["node", "services/<name>/src/main.ts"]` (workingDir /app is the default).
# Node 24 runs the TypeScript sources directly (type stripping): there is no compile step. The
# services bundle their browser code with esbuild in memory when they start, so esbuild and the
# sources under services/*/client and services/link-service/console are part of the image.
#
# Needs BuildKit (Docker 23+), Podman or Buildah for the RUN cache mount. Without a registry,
# scripts/build-image.sh makes a local stand-in for the base image and builds with Buildah.

ARG NODE_IMAGE=docker.io/library/node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: install the production dependencies of the four services (and of the workspace packages
# they depend on) from the lockfile, then copy exactly those workspace projects to /out.
FROM ${NODE_IMAGE} AS build

# Pinned like scripts/toolchain.mjs pins it.
ARG PNPM_VERSION=12.21.0
# The services in the image, by directory name; their workspace dependencies come along.
ARG SERVICES="expiry-scheduler link-service note-relay upload-gateway"

ENV CI=true
# Behind a TLS-inspecting proxy, pass its CA certificates as the optional build secret `build-ca`
# (docker build --secret id=build-ca,src=/path/ca.pem .); a secret mount is never stored in a layer.
RUN --mount=type=secret,id=build-ca \
    if [ -f /run/secrets/build-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build-ca; fi; \
    npm install --global --no-audit --no-fund --no-update-notifier "pnpm@${PNPM_VERSION}"

WORKDIR /app
COPY . .

# --filter-prod follows `dependencies` only, so test-only workspace packages (@uplink/dev-servers
# with Azurite and Playwright, @uplink/embedded, @uplink/saas-doubles) are neither installed nor
# copied. The pnpm store lives in a cache mount: it is reused between builds and is not in a layer.
# Pruned from the dependencies: source maps, type declarations and docs (a third of their size),
# which Node never loads; licence files stay.
RUN --mount=type=cache,id=uplink-pnpm-store,target=/pnpm-store \
    --mount=type=secret,id=build-ca \
    set -eu; \
    if [ -f /run/secrets/build-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build-ca; fi; \
    filters=""; \
    for service in $SERVICES; do filters="$filters --filter-prod @uplink/$service..."; done; \
    pnpm install --prod --frozen-lockfile --store-dir /pnpm-store --config.package-import-method=copy $filters; \
    mkdir -p /out; \
    cp -a package.json tsconfig.base.json node_modules /out/; \
    for dir in $(pnpm ls $filters --prod --depth -1 --parseable); do \
      project="${dir#/app/}"; \
      mkdir -p "/out/$(dirname "$project")"; \
      cp -a "$dir" "/out/$project"; \
    done; \
    find /out/packages /out/services -name node_modules -prune \
      -o -type d -name test -prune -exec rm -rf {} + \
      -o -type f -name '*.test.ts' -exec rm -f {} +; \
    find /out/node_modules/.pnpm -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' \
      -o -name '*.d.cts' -o \( -name '*.md' ! -iname 'licen[cs]e*' ! -iname 'notice*' \) \) -delete; \
    chmod -R a+rX,go-w /out; \
    ls /out/packages /out/services

# ---------------------------------------------------------------------------------------------
# runtime
FROM ${NODE_IMAGE} AS runtime

LABEL org.opencontainers.image.title="uplink" \
      org.opencontainers.image.description="Uplink services (link-service, upload-gateway, note-relay, expiry-scheduler); pick one with the command"

# npm, npx, corepack (and yarn in older Node images) are for installing; the services never run
# them, so they go. The services run as an unprivileged user with a fixed uid/gid (10001) that
# owns nothing in the image: /app is root-owned and read-only to it.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --gid 10001 uplink \
 && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin uplink

# HOST: the services default to 127.0.0.1, which no one can reach in a container.
# ESBUILD_WORKER_THREADS=0: esbuild's buildSync then runs the esbuild binary as a plain synchronous
# child that Node waits for. With its default worker thread, the helper process it spawns is left
# as a zombie (<defunct>) once the services stop esbuild after building their bundles.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    ESBUILD_WORKER_THREADS=0

WORKDIR /app
COPY --from=build /out /app

USER 10001:10001

# link-service 8080, upload-gateway 8081, note-relay 8082, expiry-scheduler 8083 (PORT overrides);
# Prometheus metrics on 9464 when METRICS_PORT=9464.
EXPOSE 8080 8081 8082 8083 9464

# Node is PID 1, without an init such as tini: the services install SIGTERM/SIGINT handlers (so
# PID 1's default of ignoring signals does not apply) and shut down in phases
# (packages/kit/src/shutdown.ts); their only child process is the esbuild binary at start, which
# Node itself waits for, so there are no orphans for an init to reap. An init would also be
# bypassed by a Kubernetes `command: ["node", ...]`. For one-off commands that do not handle
# SIGINT (the tenant CLI), `docker run --init` adds one.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node"]
CMD ["services/link-service/src/main.ts"]
