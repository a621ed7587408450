/**
 * Investigator feedback → model. A confirmed link is a labelled match: its comparison levels are evidence about the
 * m-probabilities (how often a true match lands on each level). We blend them with the unsupervised (EM) estimate as a
 * Beta/Dirichlet update: the EM estimate counts as PRIOR_PAIRS labelled pairs, so a handful of confirmations nudge
 * the model and hundreds dominate it. Rejected links are not a random sample of non-matches, so they do not move u
 * (that would bias it); they are kept so the same pair is never raised again, and counted for review.
 */
import type { LinkageModel } from './engine/model.ts';

export const PRIOR_PAIRS = 50;

export interface FeedbackPair {
  decision: 'confirmed' | 'rejected';
  /** comparison level per field name, as stored with the link */
  levels: Record<string, number>;
}

export interface RefineSummary {
  confirmed: number;
  rejected: number;
  /** fields whose m-probabilities moved */
  fields: string[];
}

export function refineWithFeedback(model: LinkageModel, feedback: readonly FeedbackPair[]): { model: LinkageModel; summary: RefineSummary } {
  const confirmed = feedback.filter((f) => f.decision === 'confirmed');
  const summary: RefineSummary = { confirmed: confirmed.length, rejected: feedback.length - confirmed.length, fields: [] };
  if (confirmed.length === 0) return { model, summary };
  const comparisons = model.comparisons.map((c) => {
    const counts = new Array<number>(c.levels.length).fill(0);
    let n = 0;
    for (const f of confirmed) {
      const lv = f.levels[c.field];
      // level 0 is "missing" (m = u = 1): only observed levels are evidence, and their m sum to 1
      if (lv === undefined || lv <= 0 || lv >= c.levels.length) continue;
      counts[lv]!++;
      n++;
    }
    if (n === 0) return c;
    summary.fields.push(c.field);
    const levels = c.levels.map((l, i) => {
      if (i === 0) return l;
      const m = (l.m * PRIOR_PAIRS + counts[i]!) / (PRIOR_PAIRS + n);
      return { ...l, m, weight: Math.log2(Math.max(m, 1e-9) / l.u) };
    });
    return { ...c, levels };
  });
  return { model: { ...model, comparisons }, summary };
}
