/**
 * Bump allocator for typed arrays. Every new ArrayBuffer counts as external memory, and V8 answers each 64 MB of
 * new external memory with a full mark-compact — seconds each once a million records sit on the heap. Carving
 * arrays out of a few large buffers avoids that.
 */
export class Arena {
  private chunks: ArrayBuffer[] = [];
  private current: ArrayBuffer | null = null;
  private offset = 0;
  constructor(private readonly chunkBytes = 64 << 20) {}

  private take(bytes: number): [ArrayBuffer, number] {
    const size = (bytes + 7) & ~7;
    if (!this.current || this.offset + size > this.current.byteLength) {
      const next = this.chunks[this.chunks.indexOf(this.current!) + 1];
      if (next && next.byteLength >= size) this.current = next;
      else {
        this.current = new ArrayBuffer(Math.max(this.chunkBytes, size));
        this.chunks.push(this.current);
      }
      this.offset = 0;
    }
    const at = this.offset;
    this.offset += size;
    return [this.current, at];
  }

  /** Note: arrays from a reset arena are not zeroed. */
  int32(n: number): Int32Array {
    const [b, o] = this.take(n * 4);
    return new Int32Array(b, o, n);
  }
  uint32(n: number): Uint32Array {
    const [b, o] = this.take(n * 4);
    return new Uint32Array(b, o, n);
  }
  uint8(n: number): Uint8Array {
    const [b, o] = this.take(n);
    return new Uint8Array(b, o, n);
  }
  copyInt32(src: Int32Array): Int32Array {
    const a = this.int32(src.length);
    a.set(src);
    return a;
  }
  copyUint32(src: Uint32Array): Uint32Array {
    const a = this.uint32(src.length);
    a.set(src);
    return a;
  }
  copyUint8(src: Uint8Array): Uint8Array {
    const a = this.uint8(src.length);
    a.set(src);
    return a;
  }
  /** Start again from the first chunk (keeps the buffers for reuse). */
  reset(): void {
    this.current = this.chunks[0] ?? null;
    this.offset = 0;
  }
}
