import { describe, expect, it } from 'vitest';
import { ruleBasedRedactor } from './redaction.ts';
import { type StatusEvent, statusAsOf, summarisePlan } from './summary.ts';

const ev = (commitmentId: string, seq: number, status: StatusEvent['status'], effectiveOn: string, transferredTo: string | null = null): StatusEvent =>
  ({ commitmentId, seq, status, effectiveOn, transferredTo });

describe('plan summary from status history', () => {
  const events = [
    ev('a', 1, 'in_progress', '2021-01-01'), ev('a', 2, 'complete', '2021-06-01'),
    ev('b', 1, 'in_progress', '2021-01-01'), ev('b', 2, 'complete', '2023-01-01'),
    ev('c', 1, 'in_progress', '2021-01-01'),
    ev('d', 1, 'in_progress', '2022-10-01'), ev('d', 2, 'complete', '2023-02-01'), ev('d', 3, 'expanded_in_scope', '2023-03-01'), ev('d', 4, 'transferred', '2023-04-01', 'Elsewhere'),
  ];
  const input = {
    commitmentIds: ['a', 'b', 'c', 'd'], events,
    refreshes: [{ id: 'r', name: 'Refresh', refreshedOn: '2022-10-01' }],
    refreshItems: [
      { refreshId: 'r', commitmentId: 'a', disposition: 'closed' as const },
      { refreshId: 'r', commitmentId: 'b', disposition: 'carried_over' as const },
      { refreshId: 'r', commitmentId: 'c', disposition: 'carried_over' as const },
      { refreshId: 'r', commitmentId: 'd', disposition: 'added' as const },
    ],
  };

  it('counts originals, the position at the refresh, additions and the final position', () => {
    const s = summarisePlan({ ...input, asOf: '2024-01-01' });
    expect(s.original).toBe(3);
    expect(s.refresh).toMatchObject({ complete: 1, inProgress: 2, added: 1, carriedOver: 2, toDeliver: 3 });
    expect(s.final).toMatchObject({ ofWhat: 3, complete: 2, inProgress: 1, transferred: 1, expandedInScope: 1, transferredTo: [{ commitmentId: 'd', to: 'Elsewhere' }] });
  });

  it('a final position is as at its date: later events do not count', () => {
    const s = summarisePlan({ ...input, asOf: '2022-12-31' });
    expect(s.final).toMatchObject({ complete: 0, inProgress: 3, transferred: 0 });
    expect(statusAsOf(events, '2023-03-15').get('d')?.status).toBe('expanded_in_scope');
  });
});

describe('rule-based redaction', () => {
  it('removes the linked case’s identifiers (longest first, any case) and common identifying patterns', () => {
    const { text, redactions } = ruleBasedRedactor.redact(
      'amelia Quintrell met Amelia at 1 Test Street, SO14 1AA; call 07700 900123 or a@b.example; born 14/06/1998. Ameliasburg is a place.',
      { reference: 'HAM-1', victims: [{ givenName: 'Amelia', familyName: 'Quintrell', addresses: ['1 Test Street'] }], suspects: [], witnesses: [] },
    );
    expect(text).toBe('[redacted] met [redacted] at [redacted], [redacted]; call [redacted] or [redacted]; born [redacted]. Ameliasburg is a place.');
    expect(redactions).toBe(7);
  });
});
