'use strict';
// Helpers shared by the benchmarks: start pinned child processes, pin the bench process itself, wait
// for them, read their CPU time and memory from /proc.
const { spawn, execFileSync } = require('node:child_process');
const { closeSync, openSync, readdirSync, readFileSync } = require('node:fs');
const net = require('node:net');
const { setTimeout: sleep } = require('node:timers/promises');

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const HAS_TASKSET = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();

const shellQuote = (word) => `'${String(word).replace(/'/g, `'\\''`)}'`;

/**
 * Starts `node script args` pinned to a core when taskset exists; stderr goes to the bench log, stdout
 * is discarded or written to `stdoutFile`. With `raiseFdLimit`, the fd soft limit is raised to the hard
 * limit first (through bash, which execs into taskset and node: the pid stays the node process's).
 */
function startNode(
  script,
  args,
  { core, env = {}, name, nodeArgs = [], ipc = false, stdoutFile, raiseFdLimit },
) {
  const pin = HAS_TASKSET && core !== undefined ? ['taskset', '-c', String(core)] : [];
  const argv = [...pin, process.execPath, ...nodeArgs, script, ...args];
  const [command, ...rest] = raiseFdLimit
    ? ['bash', '-c', `ulimit -n "$(ulimit -Hn)" && exec ${argv.map(shellQuote).join(' ')}`]
    : argv;
  const stdout = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
  const child = spawn(command, rest, {
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'pipe', ...(ipc ? ['ipc'] : [])],
  });
  if (stdoutFile) closeSync(stdout);
  else child.stdout.on('data', () => {});
  child.stderr.on('data', (data) => process.stderr.write(`[${name}] ${data}`));
  return child;
}

/**
 * Pins every thread of this process to `core` when taskset exists; returns a function that restores
 * the previous affinity.
 */
function pinSelf(core) {
  if (!HAS_TASKSET) return () => {};
  const pid = String(process.pid);
  const mask = /:\s*([0-9a-f]+)\s*$/i.exec(execFileSync('taskset', ['-p', pid]).toString())?.[1];
  execFileSync('taskset', ['-a', '-p', '-c', String(core), pid], { stdio: 'ignore' });
  return () => {
    if (!mask) return;
    try {
      execFileSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' });
    } catch {
      // the previous affinity could not be restored; the process keeps the pinned one
    }
  };
}

/** The node process itself (taskset execs into it, so the pid is the same). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat (11 and 12 after the command name).
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU time of every live thread of `pid`, in nanoseconds (first field of /proc/PID/task/TID/schedstat):
 * far finer than the clock ticks of /proc/PID/stat, so short blocks of requests can be told apart.
 */
function cpuNs(pid) {
  let total = 0;
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return NaN;
  }
  for (const tid of tasks) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

/** A kB field of /proc/PID/status (VmRSS, VmHWM) in bytes; 0 when absent. */
function statusBytes(pid, field) {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Resident set size now. */
const rssBytes = (pid) => statusBytes(pid, 'VmRSS');
/** Peak resident set size of the process's life (high-water mark). */
const peakRssBytes = (pid) => statusBytes(pid, 'VmHWM');

async function waitForHttp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function stop(child) {
  // A child ended by a signal has signalCode set and exitCode null: no 'exit' event is coming.
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

module.exports = {
  startNode,
  pinSelf,
  cpuSeconds,
  cpuNs,
  rssBytes,
  peakRssBytes,
  waitForHttp,
  freePort,
  stop,
  sleep,
  CLOCK_TICKS,
  HAS_TASKSET,
};
