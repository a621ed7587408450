import { seededRng, shuffle } from '../synthetic/random.ts';
import { SELECTION_THEMES, type SelectionTheme } from './schemas.ts';

/** One NFA decision a panel may review: facts only, no identity. */
export interface Candidate {
  caseId: string;
  nfaBy: 'police' | 'cps';
  nfaAt: Date;
  reportedAt: string;
  outcomeTypeCode: number | null;
  hadEarlyAdvice: boolean;
  vulnerableVictim: boolean;
}

/** The sampling rule, stored with the selection so the same rule over the same decisions gives the same cases. */
export interface SamplingRule {
  algorithm: 'mulberry32-fisher-yates-v1';
  seed: number;
  periodFrom: string;
  periodTo: string;
  randomSize: number;
  themes: Record<SelectionTheme, number>;
  longDays: number;
}

export interface Selected { caseId: string; reasons: (SelectionTheme | 'random')[] }

const DAY = 86_400_000;

export function matchesTheme(c: Candidate, theme: SelectionTheme, longDays: number): boolean {
  switch (theme) {
    case 'vulnerable': return c.vulnerableVictim;
    case 'no_ea': return !c.hadEarlyAdvice;
    case 'outcome_16': return c.outcomeTypeCode === 16;
    case 'long_investigation': return (c.nfaAt.getTime() - new Date(`${c.reportedAt}T00:00:00Z`).getTime()) / DAY >= longDays;
  }
}

/**
 * Picks the cases: first a seeded random sample of all decisions, then for each theme a seeded random draw of the
 * decisions that fit it and are not yet chosen. Candidates are put in a canonical order (case id) before shuffling,
 * so the database's row order never changes the result. Each theme draws from its own stream (seed + index).
 */
export function selectCases(candidates: readonly Candidate[], rule: SamplingRule): Selected[] {
  const pool = [...candidates].sort((a, b) => (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : 0));
  const chosen = new Map<string, Selected>();
  const draw = (items: Candidate[], n: number, stream: number, reason: SelectionTheme | 'random') => {
    const shuffled = shuffle(seededRng((rule.seed + stream * 0x9e3779b1) >>> 0), [...items]);
    let taken = 0;
    for (const c of shuffled) {
      if (taken >= n) break;
      if (chosen.has(c.caseId)) continue;
      chosen.set(c.caseId, { caseId: c.caseId, reasons: [reason] });
      taken++;
    }
  };
  draw(pool, rule.randomSize, 0, 'random');
  SELECTION_THEMES.forEach((theme, i) => {
    const n = rule.themes[theme] ?? 0;
    if (n > 0) draw(pool.filter((c) => matchesTheme(c, theme, rule.longDays)), n, i + 1, theme);
  });
  // a case drawn for one reason that also fits a requested theme says so
  for (const s of chosen.values()) {
    const c = pool.find((x) => x.caseId === s.caseId)!;
    for (const theme of SELECTION_THEMES) if ((rule.themes[theme] ?? 0) > 0 && !s.reasons.includes(theme) && matchesTheme(c, theme, rule.longDays)) s.reasons.push(theme);
  }
  return [...chosen.values()];
}
