import type { LabelledNote } from '../fixtures/labelled-notes.ts';
import { buildRedactor, type RedactedSpan } from './redactor.ts';

/**
 * Span recall: a gold span counts as found when redacted spans cover every one of its characters (any label: a
 * name hidden under the wrong label is still hidden). Label accuracy is reported separately. Over-redaction rate:
 * the share of redacted spans that touch no gold span (ordinary words or harmless text hidden).
 */
export interface RedactionScore {
  notes: number; goldSpans: number; recalled: number; recall: number; labelAccuracy: number;
  predictedSpans: number; overRedacted: number; overRedactionRate: number;
  byKind: Record<string, { spans: number; recall: number }>;
  misses: { id: string; kind: string; text: string }[];
  overRedactions: { id: string; text: string }[];
}

export function scoreRedaction(notes: LabelledNote[]): RedactionScore {
  let gold = 0, recalled = 0, labelled = 0, predicted = 0, over = 0;
  const byKind: Record<string, { spans: number; found: number }> = {};
  const misses: RedactionScore['misses'] = [];
  const overRedactions: RedactionScore['overRedactions'] = [];
  for (const note of notes) {
    const { spans } = buildRedactor(note.known).redact(note.text);
    for (const g of note.spans) {
      gold++;
      const k = (byKind[g.kind] ??= { spans: 0, found: 0 });
      k.spans++;
      if (covered(g, spans, note.text)) {
        recalled++;
        k.found++;
        if (spans.some((s) => s.start < g.end && g.start < s.end && s.label === g.label)) labelled++;
      } else misses.push({ id: note.id, kind: g.kind, text: note.text.slice(g.start, g.end) });
    }
    for (const s of spans) {
      predicted++;
      if (!note.spans.some((g) => s.start < g.end && g.start < s.end)) {
        over++;
        overRedactions.push({ id: note.id, text: note.text.slice(s.start, s.end) });
      }
    }
  }
  return {
    notes: notes.length, goldSpans: gold, recalled, recall: gold ? recalled / gold : 1, labelAccuracy: recalled ? labelled / recalled : 1,
    predictedSpans: predicted, overRedacted: over, overRedactionRate: predicted ? over / predicted : 0,
    byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, { spans: v.spans, recall: v.found / v.spans }])),
    misses, overRedactions,
  };
}

/** Every non-space character of the gold span is under some redaction ("[VICTIM] [SUSPECT 1]" covers two names). */
function covered(g: { start: number; end: number }, spans: RedactedSpan[], text: string): boolean {
  for (let i = g.start; i < g.end; i++) if (!/\s/.test(text[i]!) && !spans.some((s) => s.start <= i && i < s.end)) return false;
  return true;
}
