import type { IncomingHttpHeaders } from 'node:http';
import type { Flavour } from './flavours/flavour.types';

/** What the simulator saw and did for one request; tests assert on these. */
export interface RecordedRequest {
  /** Sequence number, increasing over the simulator's life. */
  id: number;
  /** Arrival, epoch ms. */
  time: number;
  provider: string;
  flavour: Flavour;
  method: string;
  /** The full URL path as received (provider prefix included), without the query. */
  path: string;
  query: string;
  /** The API key presented (the simulator's keys are fake, so it is kept whole). */
  key?: string;
  /** All request headers, lower-cased (x-stainless-retry-count, x-request-id, traceparent, x-cortex-attempt, ...); over HTTP/2 without the pseudo-headers, `:authority` given as `host`. */
  headers: IncomingHttpHeaders;
  /** `1.1`, or `2.0` for cleartext HTTP/2. */
  httpVersion: string;
  /** Sequence number of the TCP connection the request came on (1 for the simulator's first). */
  connection: number;
  model?: string;
  stream?: boolean;
  maxTokens?: number;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
  /** Status sent; undefined while none was sent (or never, for hang and resets). */
  status?: number;
  /** Content chunks written (one per generated word). */
  chunks: number;
  /** The answer was written to the end and the response finished. */
  completed: boolean;
  /** The client closed the connection before the answer finished. */
  aborted: boolean;
  abortedAt?: number;
  /** When the response finished or the connection closed, epoch ms. */
  endedAt?: number;
  /** The fault applied, e.g. `rule:0:error`, `invalid_key`, `quota`, `rate_limit`, `down`. */
  fault?: string;
}

export interface RequestFilter {
  provider?: string;
  /**
   * Health-check reads (GET model lists, tags, version, `/`) are left out unless this is true: a
   * gateway probes its upstreams on a schedule, and tests count the traffic its clients caused.
   */
  includeProbes?: boolean;
  /** Records that arrived at or after this epoch-ms instant. */
  since?: number;
  key?: string;
}

/** A bounded ring of request records: the oldest are dropped beyond `capacity`. */
export class RequestRecorder {
  private readonly ring: (RecordedRequest | undefined)[];
  private start = 0;
  private size = 0;
  private nextId = 1;

  constructor(private readonly capacity = 10_000) {
    this.ring = new Array<RecordedRequest | undefined>(capacity);
  }

  /** Creates and stores a record at arrival; the caller fills in the outcome as it happens. */
  open(fields: Omit<RecordedRequest, 'id' | 'chunks' | 'completed' | 'aborted'>): RecordedRequest {
    const record: RecordedRequest = {
      id: this.nextId++,
      ...fields,
      chunks: 0,
      completed: false,
      aborted: false,
    };
    if (this.size < this.capacity) {
      this.ring[(this.start + this.size) % this.capacity] = record;
      this.size++;
    } else {
      this.ring[this.start] = record;
      this.start = (this.start + 1) % this.capacity;
    }
    return record;
  }

  /** Copies of the matching records, oldest first. */
  list(filter: RequestFilter = {}): RecordedRequest[] {
    const out: RecordedRequest[] = [];
    for (let i = 0; i < this.size; i++) {
      const record = this.ring[(this.start + i) % this.capacity]!;
      if (filter.provider !== undefined && record.provider !== filter.provider) continue;
      if (!filter.includeProbes && record.method !== 'POST') continue;
      if (filter.since !== undefined && record.time < filter.since) continue;
      if (filter.key !== undefined && record.key !== filter.key) continue;
      out.push({ ...record });
    }
    return out;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.size = 0;
  }
}
