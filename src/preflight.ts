// Cortex needs Node 24 (undici 8, node:sqlite). npm scripts put the project's own Node 24 first on PATH;
// anything started outside npm (a bare `node dist/main.js`, an IDE runner) may get the system Node instead.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `Cortex needs Node.js >= 24 but runs on ${process.version}.\n` +
      'Start it through npm (npm start, npm test, npm run ...) so the project-pinned Node 24 is used.\n',
  );
  process.exit(1);
}
export {};
