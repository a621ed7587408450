import type { Queryable } from '../db/database.ts';
import { CaseRepository } from '../cases/repository.ts';
import type { CaseService } from '../cases/service.ts';
import type { ReferenceService } from '../reference/service.ts';
import { buildRedactor, type KnownIdentifiers } from './redaction/redactor.ts';
import { ScrutinyRepository } from './repository.ts';

/** What a panel member sees: structured facts reduced by rule, and free text through the redactor. Stored frozen. */
export interface PackContent {
  offences: string[];
  offencePeriod: string | null;
  reportedMonth: string;
  nfa: { by: 'police' | 'cps'; month: string; outcomeTypeCode: number | null; outcomeTitle: string | null; hadEarlyAdvice: boolean };
  investigationDays: number;
  victims: { label: string; ageBand: string; vulnerabilities: string[]; enhancedRights: boolean }[];
  suspects: { label: string; ageBand: string }[];
  witnesses: { label: string; relationship: string }[];
  summary: string;
  timeline: { month: string; day: number; kind: string; text: string }[];
  decisionReasons: { heading: string; text: string }[];
}

const VULNERABILITY_LABELS: Record<string, string> = {
  under_18: 'Under 18 at the time', mental_health: 'Mental health', learning_disability: 'Learning disability', substance_use: 'Substance use',
  domestic_abuse: 'Domestic abuse context', communication: 'Communication needs', physical_disability: 'Physical disability',
};

const monthFmt = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const month = (d: Date | string) => monthFmt.format(typeof d === 'string' ? new Date(`${d.slice(0, 10)}T12:00:00Z`) : d);

/** Age bands rather than ages: an exact age narrows who the victim is. */
export function ageBand(age: number | null): string {
  if (age === null || age === undefined) return 'Not recorded';
  if (age < 13) return 'Under 13';
  if (age < 16) return '13 to 15';
  if (age < 18) return '16 to 17';
  if (age < 25) return '18 to 24';
  if (age < 35) return '25 to 34';
  if (age < 50) return '35 to 49';
  return '50 or over';
}

function yearsBetween(dob: string, at: Date): number {
  const d = new Date(`${dob}T00:00:00Z`);
  return Math.floor((at.getTime() - d.getTime()) / (365.25 * 86_400_000));
}

/**
 * Builds the redacted pack for one case inside the caller's transaction. The redactor is built from everything the
 * record knows about the people in the case; the unredacted values never leave this function.
 */
export async function buildPack(tx: Queryable, deps: { cases: CaseService; reference: ReferenceService }, caseId: string, nfa: { by: 'police' | 'cps'; at: Date; outcomeTypeCode: number | null; hadEarlyAdvice: boolean }): Promise<{ content: PackContent; redactions: number }> {
  const repo = new CaseRepository(tx);
  const [kase, codes, victims, suspects, witnesses, events, texts] = await Promise.all([
    repo.get(caseId), repo.offenceCodes(caseId), repo.victims(caseId), repo.suspects(caseId), repo.witnesses(caseId), repo.events(caseId), new ScrutinyRepository(tx).decisionTexts(caseId),
  ]);
  if (!kase) throw new Error('case not found for pack');
  const victimIds = victims.map((v) => ({ row: v, id: deps.cases.victimIdentity(v) }));
  const witnessIds = witnesses.map((w) => ({ row: w, id: deps.cases.witnessIdentity(w) }));
  const known: KnownIdentifiers = {
    victims: victimIds.map(({ id }) => ({ givenName: id.givenName, familyName: id.familyName, dateOfBirth: id.dateOfBirth, phones: [id.phone].filter(Boolean), emails: [id.email].filter(Boolean), addresses: [id.address].filter(Boolean) })),
    suspects: suspects.map((s) => ({
      givenName: s.given_name, familyName: s.family_name, aliases: s.aliases.map((a) => `${a.given} ${a.family}`), dateOfBirth: s.date_of_birth,
      phones: s.phones, emails: s.emails, addresses: s.addresses, vehicles: s.vehicles, onlineIdentifiers: s.online_identifiers,
    })),
    witnesses: witnessIds.map(({ id }) => ({ givenName: id.givenName, familyName: id.familyName, phones: [id.phone].filter(Boolean), emails: [id.email].filter(Boolean), addresses: [id.address].filter(Boolean) })),
  };
  const redactor = buildRedactor(known);
  let redactions = 0;
  const r = (text: string) => {
    const out = redactor.redact(text);
    redactions += out.spans.length;
    return out.text;
  };
  const offences = (await deps.reference.offences()).filter((o) => codes.includes(o.code)).map((o) => `${o.title} (s.${o.section})`);
  const outcome = nfa.outcomeTypeCode === null ? null : (await deps.reference.outcomeTypes()).find((o) => o.code === nfa.outcomeTypeCode) ?? null;
  const labelOf = (i: number, n: number, role: string) => (role === 'VICTIM' && n === 1 ? '[VICTIM]' : `[${role} ${i + 1}]`);
  const reportedAt = new Date(`${String(kase.reported_at).slice(0, 10)}T00:00:00Z`);
  const content: PackContent = {
    offences,
    offencePeriod: kase.offence_date ? month(String(kase.offence_date)) : null,
    reportedMonth: month(String(kase.reported_at)),
    nfa: { by: nfa.by, month: month(nfa.at), outcomeTypeCode: nfa.outcomeTypeCode, outcomeTitle: outcome?.title ?? null, hadEarlyAdvice: nfa.hadEarlyAdvice },
    investigationDays: Math.max(0, Math.round((nfa.at.getTime() - reportedAt.getTime()) / 86_400_000)),
    victims: victimIds.map(({ row }, i) => ({
      label: labelOf(i, victims.length, 'VICTIM'), ageBand: ageBand(row.age_at_offence),
      vulnerabilities: row.vulnerabilities.map((v) => VULNERABILITY_LABELS[v] ?? v.replace(/_/g, ' ')), enhancedRights: row.enhanced_rights,
    })),
    suspects: suspects.map((s, i) => ({ label: labelOf(i, suspects.length, 'SUSPECT'), ageBand: ageBand(s.date_of_birth ? yearsBetween(s.date_of_birth, kase.offence_date ? new Date(String(kase.offence_date)) : reportedAt) : null) })),
    witnesses: witnessIds.map(({ row }, i) => ({ label: labelOf(i, witnesses.length, 'WITNESS'), relationship: r(row.relationship) })),
    summary: r(kase.summary),
    // Dates within a month are kept (timeliness matters to a panel) but shown as "day N" of the investigation.
    timeline: [...events].reverse().map((e) => ({
      month: month(new Date(e.occurred_at)), day: Math.max(0, Math.round((new Date(e.occurred_at).getTime() - reportedAt.getTime()) / 86_400_000)), kind: e.kind, text: r(e.summary),
    })),
    decisionReasons: texts.map((t) => ({ heading: t.heading, text: r(t.text) })),
  };
  return { content, redactions };
}
