/**
 * Helper thread for linkRecords on large inputs: it normalises its own copy of the records, fits the model
 * (while the main thread blocks) and scores half of the candidate pairs (while the main thread scores the other
 * half). Results go through SharedArrayBuffers so that linkRecords stays synchronous.
 *
 * control[0]: state (0 starting, 1 model ready, 2 scores ready, -1 failed); control[1]: byte length of the
 * message in `text` (the model JSON, or the error).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { activeFields, fitModel, modelFields, Scorer, TermFrequencies, type FitOptions, type LinkageModel } from './model.ts';
import { prepareRecords } from './normalise.ts';
import { unpackRecords, type PackedRecords } from './record-columns.ts';
import type { PersonRecord } from './types.ts';

interface Init {
  input: PersonRecord[];
  /** the records packed by field (see record-columns.ts); `input` is then empty */
  packed: PackedRecords | null;
  control: SharedArrayBuffer;
  text: SharedArrayBuffer;
  fit: FitOptions | null;
  model: LinkageModel | null;
}

export interface ScoreRequest {
  model: LinkageModel;
  a: Int32Array;
  b: Int32Array;
  /** weights[offset + p] receives pair p's weight */
  weights: Float32Array;
  offset: number;
}

const init = workerData as Init;
const control = new Int32Array(init.control);
const text = new Uint8Array(init.text);

function publish(state: number, message?: string): void {
  if (message !== undefined) {
    const bytes = new TextEncoder().encode(message);
    if (bytes.length > text.length) throw new Error('linkage worker: message larger than the shared buffer');
    text.set(bytes);
    Atomics.store(control, 1, bytes.length);
  }
  Atomics.store(control, 0, state);
  Atomics.notify(control, 0);
}

try {
  const records = prepareRecords(init.packed ? unpackRecords(init.packed) : init.input);
  init.packed = null;
  init.input = [];
  const fields = init.model ? modelFields(init.model) : activeFields(records, init.fit?.fields);
  const tf = new TermFrequencies(records, fields);
  if (init.fit) {
    const model = fitModel(records, { ...init.fit, termFrequencies: tf });
    publish(1, JSON.stringify(model));
  }
  parentPort!.on('message', (req: ScoreRequest) => {
    try {
      const scorer = new Scorer(req.model, tf);
      scorer.precompute(records);
      for (let p = 0; p < req.a.length; p++) req.weights[req.offset + p] = scorer.weight(records[req.a[p]!]!, records[req.b[p]!]!);
      publish(2);
    } catch (err) {
      publish(-1, String((err as Error).stack ?? err));
    }
  });
} catch (err) {
  publish(-1, String((err as Error).stack ?? err));
}
