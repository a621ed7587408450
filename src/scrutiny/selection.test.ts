import { describe, expect, it } from 'vitest';
import { type Candidate, type SamplingRule, selectCases } from './selection.ts';

const candidates: Candidate[] = Array.from({ length: 60 }, (_, i) => ({
  caseId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  nfaBy: i % 3 === 0 ? 'cps' : 'police', nfaAt: new Date(Date.UTC(2026, 0, 1 + i)), reportedAt: i % 5 === 0 ? '2024-06-01' : '2025-11-01',
  outcomeTypeCode: i % 3 === 0 ? 9 : i % 4 === 0 ? 16 : 15, hadEarlyAdvice: i % 2 === 0, vulnerableVictim: i % 7 === 0,
}));
const rule = (over: Partial<SamplingRule> = {}): SamplingRule => ({
  algorithm: 'mulberry32-fisher-yates-v1', seed: 42, periodFrom: '2026-01-01', periodTo: '2026-03-31', randomSize: 5, longDays: 365,
  themes: { vulnerable: 2, no_ea: 2, outcome_16: 2, long_investigation: 2 }, ...over,
});

describe('case selection', () => {
  it('is reproducible: the same rule gives the same cases whatever order the decisions arrive in', () => {
    const a = selectCases(candidates, rule());
    const b = selectCases([...candidates].reverse(), rule());
    expect(b).toEqual(a);
    expect(a).toHaveLength(13);
    expect(selectCases(candidates, rule({ seed: 43 })).map((s) => s.caseId)).not.toEqual(a.map((s) => s.caseId));
  });

  it('themed selections only take cases that fit the theme, and say why each case was chosen', () => {
    const picked = selectCases(candidates, rule({ randomSize: 0 }));
    const byId = new Map(candidates.map((c) => [c.caseId, c]));
    for (const s of picked) {
      const c = byId.get(s.caseId)!;
      if (s.reasons.includes('outcome_16')) expect(c.outcomeTypeCode).toBe(16);
      if (s.reasons.includes('no_ea')) expect(c.hadEarlyAdvice).toBe(false);
      if (s.reasons.includes('vulnerable')) expect(c.vulnerableVictim).toBe(true);
      if (s.reasons.includes('long_investigation')) expect(c.reportedAt).toBe('2024-06-01');
    }
    expect(picked.filter((s) => s.reasons[0] === 'outcome_16')).toHaveLength(2);
    expect(new Set(picked.map((s) => s.caseId)).size).toBe(picked.length);
  });

  it('asks for more than there are: takes what there is', () => {
    expect(selectCases(candidates.slice(0, 3), rule({ randomSize: 10 }))).toHaveLength(3);
  });
});
