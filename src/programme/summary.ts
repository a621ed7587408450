import type { CommitmentStatus } from './schemas.ts';

/**
 * The plan's report counts, computed from the stored status history (never typed in): how many original
 * commitments; their position at the refresh; how many were added; how many were left to deliver; and the final
 * position of those at the date of the plan's final report (or today, if it has none).
 */
export interface StatusEvent { commitmentId: string; seq: number; status: CommitmentStatus; effectiveOn: string; transferredTo: string | null }
export interface RefreshItem { refreshId: string; commitmentId: string; disposition: 'carried_over' | 'added' | 'closed' }
export interface Refresh { id: string; name: string; refreshedOn: string }

export interface PlanSummary {
  total: number;
  original: number;
  refresh: null | { name: string; refreshedOn: string; complete: number; inProgress: number; other: number; added: number; carriedOver: number; toDeliver: number };
  final: { asOf: string; ofWhat: number; complete: number; inProgress: number; notStarted: number; expandedInScope: number; transferred: number; transferredTo: { commitmentId: string; to: string }[] };
}

/** The status of each commitment as at the end of `date` (latest effective event on or before it). */
export function statusAsOf(events: readonly StatusEvent[], date: string): Map<string, StatusEvent> {
  const out = new Map<string, StatusEvent>();
  for (const e of [...events].sort((a, b) => a.effectiveOn.localeCompare(b.effectiveOn) || a.seq - b.seq)) {
    if (e.effectiveOn <= date) out.set(e.commitmentId, e);
  }
  return out;
}

export function summarisePlan(input: {
  commitmentIds: readonly string[];
  events: readonly StatusEvent[];
  refreshes: readonly Refresh[];
  refreshItems: readonly RefreshItem[];
  asOf: string;
}): PlanSummary {
  const { commitmentIds, events, asOf } = input;
  // The latest refresh decides what was left to deliver; earlier ones only add to what counts as "added".
  const refresh = [...input.refreshes].sort((a, b) => b.refreshedOn.localeCompare(a.refreshedOn))[0] ?? null;
  const added = new Set(input.refreshItems.filter((i) => i.disposition === 'added').map((i) => i.commitmentId));
  const originals = commitmentIds.filter((id) => !added.has(id));

  let refreshPart: PlanSummary['refresh'] = null;
  let toDeliver = commitmentIds;
  if (refresh) {
    const at = statusAsOf(events, refresh.refreshedOn);
    const items = input.refreshItems.filter((i) => i.refreshId === refresh.id);
    const carried = items.filter((i) => i.disposition === 'carried_over').map((i) => i.commitmentId);
    const addedHere = items.filter((i) => i.disposition === 'added').map((i) => i.commitmentId);
    const complete = originals.filter((id) => at.get(id)?.status === 'complete').length;
    const inProgress = originals.filter((id) => at.get(id)?.status === 'in_progress').length;
    toDeliver = [...carried, ...addedHere];
    refreshPart = {
      name: refresh.name, refreshedOn: refresh.refreshedOn, complete, inProgress, other: originals.length - complete - inProgress,
      added: addedHere.length, carriedOver: carried.length, toDeliver: toDeliver.length,
    };
  }

  const at = statusAsOf(events, asOf);
  const history = (id: string) => events.filter((e) => e.commitmentId === id && e.effectiveOn <= asOf);
  // "Complete" counts every commitment delivered within the plan, including those later expanded and moved on, as
  // the final report does (19 complete, 2 of which were then expanded in scope and moved to other governance).
  const complete = toDeliver.filter((id) => history(id).some((e) => e.status === 'complete')).length;
  const transferred = toDeliver.filter((id) => at.get(id)?.status === 'transferred');
  return {
    total: commitmentIds.length,
    original: originals.length,
    refresh: refreshPart,
    final: {
      asOf,
      ofWhat: toDeliver.length,
      complete,
      inProgress: toDeliver.filter((id) => at.get(id)?.status === 'in_progress').length,
      notStarted: toDeliver.filter((id) => !at.get(id) || at.get(id)?.status === 'not_started').length,
      expandedInScope: toDeliver.filter((id) => history(id).some((e) => e.status === 'expanded_in_scope')).length,
      transferred: transferred.length,
      transferredTo: transferred.map((id) => ({ commitmentId: id, to: at.get(id)!.transferredTo ?? '' })),
    },
  };
}
