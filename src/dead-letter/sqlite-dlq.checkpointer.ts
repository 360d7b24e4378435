import { Worker } from 'node:worker_threads';

/** Writes between two wake-ups of the checkpointer: about 500 WAL pages at ~10 pages per add. */
const WRITES_PER_CHECKPOINT = 50;
/** Checkpoints this often when idle too, so the WAL is folded into the file soon after a burst. */
const IDLE_CHECKPOINT_MS = 1000;

// Plain CommonJS run in the worker (eval: no compiled file to locate under dist/ or ts-jest). It
// sleeps in Atomics.wait until the store counts enough writes, a stop is asked, or the idle time
// passes. PASSIVE never takes the write lock, so the store's commits go on while it copies pages.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const signal = new Int32Array(workerData.signal);
const db = new DatabaseSync(workerData.path, { timeout: workerData.busyTimeoutMs });
db.exec('PRAGMA synchronous = ' + workerData.synchronous);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let seen = Atomics.load(signal, 0);
while (Atomics.load(signal, 1) === 0) {
  Atomics.wait(signal, 0, seen, workerData.idleMs);
  seen = Atomics.load(signal, 0);
  if (Atomics.load(signal, 1) !== 0) break;
  try {
    checkpoint.get();
  } catch {
    // Busy (another checkpoint runs) or failing storage: the store's own safety net still checkpoints.
  }
}
db.close();
`;

/**
 * Folds the WAL back into the database file from a worker thread. A checkpoint fsyncs the WAL and
 * the file; run by SQLite inside a commit (the default), it stalls one add() and the event loop for
 * milliseconds every few hundred writes. Here it runs beside them. The store keeps a large
 * wal_autocheckpoint as a safety net, which also lets the WAL restart under continuous writes.
 */
export class SqliteDlqCheckpointer {
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private writes = 0;

  constructor(path: string, synchronous: string, busyTimeoutMs: number) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        synchronous,
        busyTimeoutMs,
        idleMs: IDLE_CHECKPOINT_MS,
        signal: this.signal.buffer,
      },
    });
    // A worker that cannot open the file only loses the background checkpoints, never a record.
    this.worker.on('error', () => {});
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.unref();
  }

  /** Counts one committed write; wakes the worker every WRITES_PER_CHECKPOINT. */
  wrote(): void {
    if (++this.writes % WRITES_PER_CHECKPOINT !== 0) return;
    Atomics.add(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
  }

  /** Asks the worker to finish its checkpoint and close its connection; resolves once it has. */
  stop(): Promise<void> {
    // Referenced again so that a process with nothing else to do waits for the exit instead of ending.
    this.worker.ref();
    Atomics.store(this.signal, 1, 1);
    Atomics.notify(this.signal, 0);
    return this.exited;
  }
}
