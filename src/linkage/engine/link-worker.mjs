// Worker bootstrap: registers tsx (as bin/tandem.mjs does) so the TypeScript worker can load; reports a failure
// to load through the shared control buffer, since the main thread waits on it synchronously.
import { workerData } from 'node:worker_threads';

try {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./link-worker.ts');
} catch (err) {
  const control = new Int32Array(workerData.control);
  const text = new Uint8Array(workerData.text);
  const bytes = new TextEncoder().encode(String((err && err.stack) || err)).slice(0, text.length);
  text.set(bytes);
  Atomics.store(control, 1, bytes.length);
  Atomics.store(control, 0, -1);
  Atomics.notify(control, 0);
}
