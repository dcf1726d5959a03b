# Flotilla's own image, flotilla/flotilla: the flotilla command, whose entry points the Argo
# components' pods run (a container's args are `<entry point> [flags]`, e.g. args: [pause]).
# Build:  docker build -t flotilla/flotilla:0.1.0 .      (see docs/image.md)
# The embedded cluster does not need it: `flotilla up` runs this image as the local flotilla command.

FROM node:20-bookworm-slim AS build
WORKDIR /flotilla
# compilers for the native modules (better-sqlite3, node-pty, jsonnet) when no prebuilt binary fits
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
RUN npm ci --no-audit --no-fund \
 && npx tsc -b \
 && npm prune --omit=dev --no-audit --no-fund \
 && chmod +x packages/cli/dist/main.js

FROM node:20-bookworm-slim
# git: Argo CD's repo server clones with it; ca-certificates: HTTPS to Git servers and clusters
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /flotilla
COPY --from=build /flotilla/package.json ./
COPY --from=build /flotilla/node_modules ./node_modules
COPY --from=build /flotilla/packages ./packages
COPY manifests ./manifests
# flotilla on PATH, and the program names manifests give as `command:` (upstream's, e.g. command: [argo],
# args: [server]), each a script running `flotilla <name>` — FLOTILLA_IMAGE_PROGRAMS in
# packages/node-agent/src/images.ts, the same names the embedded cluster maps (a test keeps them equal)
RUN ln -s /flotilla/packages/cli/dist/main.js /usr/local/bin/flotilla \
 && for p in argocd argo kubectl-argo-rollouts argocd-application-controller argocd-server argocd-repo-server \
             workflow-controller argoexec rollouts-controller argo-events ingress-nginx-controller; do \
      printf '#!/bin/sh\nexec flotilla %s "$@"\n' "$p" > "/usr/local/bin/$p" && chmod 755 "/usr/local/bin/$p"; \
    done
USER node
ENTRYPOINT ["flotilla"]
CMD ["--help"]
