# Minimal image; the deployment issue hardens it (non-root user is already set, read-only root works
# because runtime data goes to CORTEX_DATA_DIR).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npx nest build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production CORTEX_DATA_DIR=/data PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# The same Node flags as `npm start` (docs/decisions/0004-young-generation-size.md).
CMD ["node", "--max-semi-space-size=128", "dist/main.js"]
