// Runs before every test file: fail fast on the wrong Node and keep tests quiet and offline.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  throw new Error(`Tests need Node.js >= 24 (got ${process.version}); run them with npm test or npx jest.`);
}
process.env.LOG_LEVEL ??= 'silent';
process.env.TRACING_AUTOSTART = 'false';
process.env.OTEL_SDK_DISABLED = 'true';
process.env.OTEL_LOGS_EXPORTER = 'none';
