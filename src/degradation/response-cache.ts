import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CORTEX_CONFIG } from '../config/config.module';
import type { CortexConfig } from '../config/config.schema';
import type { ChatCompletion } from '../providers/chat.types';

/** A successful answer as it left the gateway, with who served it (for the x-cortex-* headers). */
export interface CachedAnswer {
  completion: ChatCompletion;
  provider?: string;
  model?: string;
}

interface Entry {
  json: string;
  bytes: number;
  expiresAt: number;
}

/**
 * The cache_responses store: answers by request key (cache-key.ts), each for `cache.ttl_seconds`,
 * least recently used dropped first once `cache.max_bytes` is passed. Answers are kept as their JSON
 * text: its UTF-8 size is the memory measure, and every hit is a fresh copy nobody else holds.
 */
@Injectable()
export class ResponseCache {
  private readonly ttlMs: number;
  private readonly maxBytes: number;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    @Inject(CORTEX_CONFIG) config: CortexConfig,
    private readonly clock: Clock,
  ) {
    this.ttlMs = config.degradation.cache.ttl_seconds * 1000;
    this.maxBytes = config.degradation.cache.max_bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** The answer stored under `key`, unless it expired. */
  get(key: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.clock.now() >= entry.expiresAt) {
      this.bytes -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    return JSON.parse(entry.json) as CachedAnswer;
  }

  /** Stores an answer; false when it alone is larger than the whole cache may be. */
  set(key: string, answer: CachedAnswer): boolean {
    const json = JSON.stringify(answer);
    const bytes = Buffer.byteLength(json) + Buffer.byteLength(key);
    if (bytes > this.maxBytes) return false;
    this.remove(key);
    this.entries.set(key, { json, bytes, expiresAt: this.clock.now() + this.ttlMs });
    this.bytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
