# hookflow: one image for every role (api, worker, migrate); the role is the CMD.
#
#   docker build -t hookflow .
#   docker run --rm hookflow migrate && docker run -p 3000:3000 hookflow api
#
# Cache mounts need BuildKit (the default builder since Docker 23).

# Pinned to a patch release so a rebuild months later gets the same Node ABI as
# the native addons (@temporalio/core-bridge, @swc/core) resolved in the lockfile.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---------------------------------------------------------------------------
# npm 11 reads package.json "allowScripts"; Node 20 ships npm 10, which does not.
# Pinned so install-script approval behaves the same on every build.
FROM ${NODE_IMAGE} AS npm11
RUN npm install -g npm@11.19.1 && npm cache clean --force
WORKDIR /app

# ---------------------------------------------------------------------------
FROM npm11 AS build
COPY package.json package-lock.json ./
# Dev dependencies are needed here only for tsc; the runtime gets its own tree.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
# tsc emits only .js, but migrate.ts reads its SQL from __dirname/migrations,
# i.e. dist/src/db/migrations once compiled.
RUN npm run build

# ---------------------------------------------------------------------------
# A separate install so no compiler, test tool or dev-only binary reaches the image.
FROM npm11 AS prod-deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------
# Starts from the stock image rather than npm11 so the runtime carries no
# globally upgraded npm it never uses.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Root owns the code so a compromised process cannot rewrite what it runs.
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The image's built-in unprivileged user (uid 1000).
USER node
EXPOSE 3000
# Slim images have no curl; Node 20's global fetch does the probe. Only `api`
# serves HTTP: worker and migrate containers must turn this off (compose does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/hookflow.js"]
CMD ["api"]
