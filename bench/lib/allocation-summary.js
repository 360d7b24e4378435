'use strict';
// Sums a V8 sampling heap profile (HeapProfiler.stopSampling, collected objects included) by
// function: bytes allocated per unit (e.g. per chunk relayed), by self and by inclusive size.
const { callFrame } = require('./call-frame');

function summariseAllocations(profile, { perUnit = 1, top = 25, root = '' } = {}) {
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  const walk = (node, stack) => {
    const name = callFrame(node.callFrame, root).fn;
    total += node.selfSize;
    self.set(name, (self.get(name) ?? 0) + node.selfSize);
    const path = stack.includes(name) ? stack : [...stack, name];
    for (const frame of path) inclusive.set(frame, (inclusive.get(frame) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, path);
  };
  walk(profile.head, []);
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, bytes]) => `${(bytes / perUnit).toFixed(0).padStart(7)} B  ${frame}`);
  return [
    `allocated: ${(total / perUnit).toFixed(0)} B per unit (${(total / 1e6).toFixed(1)} MB sampled)`,
    'by function, self:',
    ...rank(self),
    'by function, inclusive:',
    ...rank(inclusive),
  ].join('\n');
}

module.exports = { summariseAllocations };
