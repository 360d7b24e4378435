// ESM-only packages (eventsource-parser, content-disposition) are compiled to CJS by a second ts-jest
// transform: jest can only require() ESM under --experimental-vm-modules (see docs/decisions).
const esmOnly = ['eventsource-parser', 'content-disposition'];
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec|chaos-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
  testTimeout: 30000,
  // A worker that ran many suites held ~700 MB of heap; its major GCs stalled the in-process
  // gateway of the next (timed) chaos suite. Recycling it keeps the heap, and the pauses, small.
  workerIdleMemoryLimit: '400MB',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
};
