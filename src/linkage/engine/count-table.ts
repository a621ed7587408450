/**
 * Counts of string values keyed by a 30-bit hash, in typed arrays (open addressing). Used for term frequencies:
 * at a million records a Map<string, number> per field costs seconds of hashing and garbage collection; this
 * costs a few MB and no per-entry objects. Two values whose hashes collide share a count (rare, and only makes
 * the shared value look slightly more common).
 */
import { hashKey } from './metrics.ts';

export class CountTable {
  private keys: Int32Array;
  private counts: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap <<= 1;
    this.keys = new Int32Array(cap);
    this.counts = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(h: number): number {
    const key = h + 1; // 0 marks an empty slot
    let i = Math.imul(h, 0x9e3779b1) & this.mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === key || k === 0) return i;
      i = (i + 1) & this.mask;
    }
  }

  add(value: string, by = 1): void {
    if (this.size * 2 >= this.keys.length) this.grow();
    const h = hashKey(value);
    const i = this.slot(h);
    if (this.keys[i] === 0) {
      this.keys[i] = h + 1;
      this.size++;
    }
    this.counts[i]! += by;
  }

  get(value: string): number {
    const i = this.slot(hashKey(value));
    return this.keys[i] === 0 ? 0 : this.counts[i]!;
  }

  /** Σ c(c − 1) over values. */
  sumPairs(): number {
    let s = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      s += c * (c - 1);
    }
    return s;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    this.keys = new Int32Array(oldKeys.length * 2);
    this.counts = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === 0) continue;
      const j = this.slot(k - 1);
      this.keys[j] = k;
      this.counts[j] = oldCounts[i]!;
    }
  }
}
