// Redaction quality on the seeded labelled set: prints JSON lines (one per seed, then a summary).
// Run: npm run bench:redaction [-- --notes 400 --seeds 2026,7,99]
import { parseArgs } from 'node:util';
import { labelledNotes } from '../src/scrutiny/fixtures/labelled-notes.ts';
import { scoreRedaction } from '../src/scrutiny/redaction/score.ts';

const { values } = parseArgs({ options: { notes: { type: 'string', default: '400' }, seeds: { type: 'string', default: '2026,7,99' }, verbose: { type: 'boolean', default: false } } });
const seeds = values.seeds!.split(',').map(Number);
let gold = 0, found = 0, pred = 0, over = 0;
for (const seed of seeds) {
  const started = performance.now();
  const s = scoreRedaction(labelledNotes(Number(values.notes), seed));
  gold += s.goldSpans; found += s.recalled; pred += s.predictedSpans; over += s.overRedacted;
  console.log(JSON.stringify({
    seed, notes: s.notes, gold_spans: s.goldSpans, span_recall: round(s.recall), label_accuracy: round(s.labelAccuracy), predicted_spans: s.predictedSpans,
    over_redaction_rate: round(s.overRedactionRate), ms: Math.round(performance.now() - started),
    recall_by_kind: Object.fromEntries(Object.entries(s.byKind).map(([k, v]) => [k, round(v.recall)])),
    ...(values.verbose ? { misses: s.misses.slice(0, 30), over_redactions: s.overRedactions.slice(0, 30) } : {}),
  }));
}
console.log(JSON.stringify({ summary: true, seeds, gold_spans: gold, span_recall: round(found / gold), over_redaction_rate: round(over / pred) }));

function round(x: number) {
  return Math.round(x * 10000) / 10000;
}
