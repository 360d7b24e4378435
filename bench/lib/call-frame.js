'use strict';

/** `name file:line` of a V8 profile call frame (CPU or heap), and its file relative to `root`. */
function callFrame(frame, root) {
  const where = frame.url.replace(/^file:\/\//, '').replace(`${root}/`, '');
  return { where, fn: `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}` };
}

module.exports = { callFrame };
