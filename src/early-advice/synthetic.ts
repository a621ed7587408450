import type { Queryable } from '../db/database.ts';
import { hashPassword } from '../platform/auth/passwords.ts';
import { londonDate, type WorkingDayCalendar } from '../platform/calendar.ts';
import { insertRows } from '../synthetic/bulk.ts';
import { chance, int, pick, seededRng, weighted, type Rng } from '../synthetic/random.ts';
import type { Participant } from './repository.ts';
import { type Channel, type LoeCategory, type LoeStatus, type Priority, TARGET_WORKING_DAYS } from './schemas.ts';

/**
 * Synthetic Early Advice for the demo: requests, the conversations advice was given in, action plans with lines of
 * enquiry, and case conferences, laid over the cases the national generator made and consistent with their
 * timelines (the generator's "Early Advice requested" event is when the request was made; the case's next step —
 * file referred, NFA — comes after the advice and after most lines of enquiry were done). Deterministic: every
 * case draws from its own stream seeded by (seed, case reference), so ids, dates and texts repeat exactly.
 */

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A person who acts in the synthetic records. */
export interface Staff { id: string; name: string; organisation: string }

/** Who acts for each force and CPS Area: the demo users where they exist, otherwise synthetic staff. */
export interface StaffDirectory {
  police(forceId: string): Staff;
  prosecutor(areaId: string): Staff;
  dcp(areaId: string): Staff;
}

export interface SeedEvent { kind: string; at: number; data: Record<string, unknown> }

/** A generated case, as the synthetic layers need it. */
export interface SeedCase {
  id: string;
  reference: string;
  forceId: string;
  areaId: string;
  areaName: string;
  stage: string;
  reportedAt: number;
  summary: string;
  offences: string[];
  suspects: number;
  events: SeedEvent[];
}

/** Rows to insert, by table: each list is sent as batched multi-row INSERTs. */
export type Rows = Record<string, unknown[][]>;

export const EA_COLUMNS = {
  ea_requests: ['id', 'case_id', 'force_id', 'cps_area_id', 'case_reference', 'sequence', 'case_summary', 'questions', 'strategy', 'priority', 'status',
    'requested_by', 'requested_at', 'target_date', 'target_working_days', 'allocated_to', 'allocated_by', 'allocated_at', 'advice_given_at', 'version'],
  ea_conversations: ['id', 'request_id', 'case_id', 'force_id', 'held_at', 'channel', 'participants', 'other_participants', 'recorded_by', 'recorded_at'],
  ea_advice: ['id', 'request_id', 'conversation_id', 'case_id', 'force_id', 'advice', 'plan_number', 'status', 'drafted_by', 'drafted_at', 'reviewed_by',
    'reviewed_at', 'review_note', 'issued_at', 'version'],
  ea_lines_of_enquiry: ['id', 'advice_id', 'case_id', 'force_id', 'number', 'description', 'category', 'rationale', 'owner_user_id', 'due_date', 'status',
    'status_note', 'created_at', 'updated_at', 'updated_by', 'completed_at', 'version'],
  ea_conferences: ['id', 'case_id', 'force_id', 'kind', 'held_at', 'channel', 'participants', 'external_attendees', 'agreed_strategy', 'recorded_by', 'recorded_at'],
  ea_conference_actions: ['id', 'conference_id', 'case_id', 'force_id', 'position', 'description', 'responsible', 'due_date'],
} as const;

export const EVENT_COLUMNS = ['id', 'case_id', 'force_id', 'occurred_at', 'recorded_at', 'kind', 'summary', 'actor_user_id', 'data'] as const;

// ---------------------------------------------------------------------------------------------- small helpers

/** A stream of its own for each case and purpose, so one case's records never shift another's. */
export function caseRng(seed: number, key: string): Rng {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return seededRng(h >>> 0);
}

/** A version-4 shaped UUID drawn from the stream (deterministic). */
export function uuidFrom(rng: Rng): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(rng.float() * 16).toString(16);
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A weekday working time (08:00–18:00 UTC) on or after the day of `ms`. */
export function workingTime(rng: Rng, ms: number): number {
  let day = Math.floor(ms / DAY_MS) * DAY_MS;
  const dow = new Date(day).getUTCDay();
  if (dow === 6) day += 2 * DAY_MS;
  if (dow === 0) day += DAY_MS;
  return day + (8 * 60 + Math.floor(rng.float() * 10 * 60)) * 60_000;
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const dateOf = (ms: number) => londonDate(new Date(ms));
export const between = (rng: Rng, a: number, b: number) => a + rng.float() * Math.max(0, b - a);

export function event(rng: Rng, c: SeedCase, at: number, kind: string, summary: string, actor: string | null, data: Record<string, unknown> = {}): unknown[] {
  return [uuidFrom(rng), c.id, c.forceId, iso(at), iso(at + int(rng, 2, 90) * 60_000), kind, summary, actor, JSON.stringify(data)];
}

const participant = (s: Staff, side: 'police' | 'cps'): Participant => ({ userId: s.id, name: s.name, organisation: s.organisation, side });

// ---------------------------------------------------------------------------------------------- staff

const GIVEN = ['Amira', 'Ben', 'Chloe', 'Daniel', 'Eleanor', 'Farid', 'Grace', 'Harvey', 'Imogen', 'Jamal', 'Katie', 'Liam', 'Megan', 'Nathan', 'Olivia', 'Priya', 'Rhys', 'Sophie', 'Tom', 'Zainab'];
const FAMILY = ['Adeyemi', 'Bennett', 'Clarke', 'Davies', 'Evans', 'Fletcher', 'Gill', 'Hughes', 'Iqbal', 'Jones', 'Kaur', 'Lewis', 'Morris', 'Nowak', 'Owen', 'Patel', 'Quinn', 'Roberts', 'Shah', 'Turner'];

/**
 * Staff for forces and Areas without a demo user: one investigator per force, one prosecutor and one District Crown
 * Prosecutor per CPS Area. They are inactive (nobody can sign in as them) and exist only so records have an author.
 */
export async function staffDirectory(db: Queryable, seed: number, demo: { byForce: Record<string, string>; prosecutorByArea: Record<string, string>; dcpByArea: Record<string, string> }): Promise<StaffDirectory> {
  const orgs = await db.query<{ id: string; kind: string; name: string; force_id: string | null; cps_area_id: string | null }>(
    `SELECT id, kind, name, force_id, cps_area_id FROM organisations WHERE kind IN ('force', 'rasso_unit') ORDER BY id`);
  const users = await db.query<{ id: string; username: string; display_name: string; organisation_id: string }>('SELECT id, username, display_name, organisation_id FROM users');
  const byId = new Map(users.map((u) => [u.id, u]));
  const byUsername = new Map(users.map((u) => [u.username, u]));
  const orgName = new Map(orgs.map((o) => [o.id, o.name]));
  const newUsers: unknown[][] = [];
  const newRoles: unknown[][] = [];
  let passwordHash: string | undefined;
  const staff = new Map<string, Staff>();
  const make = async (key: string, demoId: string | undefined, org: { id: string; name: string }, role: string, title: string) => {
    const known = demoId ? byId.get(demoId) : undefined;
    if (known) return staff.set(key, { id: known.id, name: known.display_name, organisation: orgName.get(known.organisation_id) ?? org.name });
    const username = `synthetic.${key}`;
    const existing = byUsername.get(username);
    if (existing) return staff.set(key, { id: existing.id, name: existing.display_name, organisation: org.name });
    const rng = caseRng(seed, `staff:${key}`);
    const name = `${title}${pick(rng, GIVEN)} ${pick(rng, FAMILY)}`;
    const id = uuidFrom(rng);
    // a random password nobody knows, and inactive: these accounts cannot be signed in to
    passwordHash ??= await hashPassword(crypto.randomUUID());
    newUsers.push([id, username, name, `${username}@synthetic.tandem.invalid`, org.id, passwordHash, false, iso(Date.UTC(2019, 0, 1))]);
    newRoles.push([id, role]);
    staff.set(key, { id, name, organisation: org.name });
  };
  for (const o of orgs) {
    if (o.kind === 'force' && o.force_id) await make(`police.${o.force_id}`, demo.byForce[o.force_id], o, 'investigator', 'DC ');
    if (o.kind === 'rasso_unit' && o.cps_area_id) {
      await make(`prosecutor.${o.cps_area_id}`, demo.prosecutorByArea[o.cps_area_id], o, 'prosecutor', '');
      await make(`dcp.${o.cps_area_id}`, demo.dcpByArea[o.cps_area_id], o, 'district_crown_prosecutor', '');
    }
  }
  if (newUsers.length) {
    await insertRows(db, 'users', ['id', 'username', 'display_name', 'email', 'organisation_id', 'password_hash', 'active', 'created_at'], newUsers);
    await insertRows(db, 'user_roles', ['user_id', 'role'], newRoles);
  }
  const get = (key: string) => {
    const s = staff.get(key);
    if (!s) throw new Error(`no synthetic staff for ${key}`);
    return s;
  };
  return { police: (f) => get(`police.${f}`), prosecutor: (a) => get(`prosecutor.${a}`), dcp: (a) => get(`dcp.${a}`) };
}

// ---------------------------------------------------------------------------------------------- texts

const QUESTIONS = [
  'Is there a realistic prospect of conviction on the evidence so far, and what further evidence would strengthen the case on consent?',
  'Which third-party records are reasonable lines of enquiry, and is a download of V1’s phone proportionate?',
  'Does the evidence of V1’s intoxication support a case on capacity to consent? What expert evidence, if any, is needed?',
  'S1 says the contact was consensual. Which lines of enquiry would test that account?',
  'Is the first account evidence admissible, and should the friend V1 told the next day be interviewed?',
];
const STRATEGIES = [
  'S1 arrested and interviewed; prepared statement says consent. Previous reports about S1 checked; intelligence checks done. CCTV of the route home requested.',
  'Suspect-focused: S1’s contact with V1 before and after, previous partners spoken to, S1’s devices seized on arrest. Premises CCTV secured.',
  'S1 interviewed voluntarily; denies any sexual contact. Messages between V1 and S1 captured by screenshot. Cell-site for S1’s phone requested.',
  'ABE interview with V1 done. S1’s account obtained; his social media checked for messages to V1. Door staff identified but not yet seen.',
];
const ADVICE = [
  'The evidence of V1’s account, her early complaint and S1’s messages the next day is capable of supporting a case on consent. Complete the agreed lines of enquiry, then submit a full file.',
  'On the present evidence the key issue is capacity. The CCTV and the door staff’s accounts of V1’s state are essential; the phone download should be limited to the night in question.',
  'Further work is needed before a charging decision. The third-party records requested below are a reasonable line of enquiry for the reasons given; nothing wider should be sought.',
  'The case turns on S1’s account. Put the messages to S1 in a further interview; obtain the taxi booking records. Submit the full file when done.',
];
const LOES: Record<LoeCategory, readonly (readonly [string, string])[]> = {
  general: [
    ['Take statements from the door staff about V1’s state when she left the venue.', ''],
    ['Obtain the taxi firm’s booking records and the driver’s account.', ''],
    ['Re-interview S1 and put the messages of the following morning to him.', ''],
    ['Take a statement from the friend V1 told the next day (first account).', ''],
    ['Obtain CCTV from the venue and the route home and have it viewed in full.', ''],
    ['Obtain cell-site analysis of S1’s phone for the night.', ''],
  ],
  third_party_material: [
    ['Request V1’s GP records for the month after the offence only.', 'The records may show V1’s first account to the GP and any injuries; limited to one month after the offence so no wider intrusion into V1’s medical history.'],
    ['Request the SARC notes of V1’s examination.', 'The examination notes record injuries and V1’s account on the day; they are directly relevant to the issue of consent and limited to the examination itself.'],
    ['Request school records about the disclosure V1 made to a teacher.', 'The disclosure to the teacher is the first account; only the record of that disclosure is sought, not V1’s wider school file.'],
  ],
  digital_device: [
    ['Download V1’s phone: messages with S1 from the evening to the next morning only.', 'S1’s messages the next morning may acknowledge what happened; the download is limited to messages with S1 over those hours, so no wider intrusion into V1’s private life.'],
    ['Examine S1’s phone seized on arrest: messages, call log and location for the night.', 'The suspect’s device may show his movements and what he said about the night; a full examination of the seized device is proportionate to the allegation.'],
    ['Obtain S1’s social media messages with V1 by production order.', 'The messages are the main evidence of contact between them before and after; only the conversation with V1 is sought.'],
  ],
};
const DONE_NOTES = ['Done: statements taken and on the file.', 'Done: material obtained and reviewed; summary on the file.', 'Done; nothing of relevance found, recorded on the MG6C.', 'Completed and the results sent to the prosecutor.'];
const NOT_PURSUED = ['Not pursued: V1 did not consent to the request, and the prosecutor agreed it was not needed.', 'Not pursued: the material no longer exists (retention period passed).', 'Not pursued: superseded by the admission in S1’s second interview.'];
const CONFERENCE_STRATEGY = {
  early_case_planning: [
    'Agreed a suspect-focused strategy: S1’s previous relationships to be explored, digital material limited to the night, first account witnesses first. Victim to be kept updated weekly through the ISVA.',
    'Agreed the evidential issues (consent and capacity) and the order of the enquiries; the prosecutor will review the ABE interview before the file is built.',
  ],
  forensic_strategy: [
    'Agreed to submit the intimate swabs for DNA and to prioritise the clothing examination. Toxicology not to be pursued given the time elapsed.',
    'Agreed the items for examination and the order; the forensic scientist will report on transfer and persistence before any further submissions.',
  ],
} as const;
const SCIENTISTS = ['Dr Helen Marsh, forensic scientist (Eurofins Forensic Services)', 'Dr Kwame Boateng, forensic biologist (Cellmark Forensic Services)', 'Dr Sara Lindqvist, toxicologist (Key Forensic Services)'];

// ---------------------------------------------------------------------------------------------- one case

export interface EaResult {
  /** When the last advice was given on the case (null if none yet). */
  lastGivenAt: number | null;
  hadAdvice: boolean;
}

/**
 * The Early Advice records of one case whose generator timeline has an "Early Advice requested" event.
 * `asAt` is the end of the data set: nothing after it has happened.
 */
export function buildEarlyAdvice(seed: number, c: SeedCase, staff: StaffDirectory, calendar: WorkingDayCalendar, asAt: number, rows: Rows): EaResult {
  const rng = caseRng(seed, `ea:${c.reference}`);
  const requested = c.events.find((e) => e.kind === 'early_advice_requested');
  if (!requested) return { lastGivenAt: null, hadAdvice: false };
  const givenEvent = c.events.find((e) => e.kind === 'early_advice_given');
  // the step that followed the advice (file to the CPS, police NFA): the advice, and most enquiries, came before it
  const next = c.events.filter((e) => e.at > requested.at && ['referred_for_charge', 'nfa', 'charged', 'administratively_finalised'].includes(e.kind)).sort((a, b) => a.at - b.at)[0];
  let givenAt: number | null = givenEvent?.at ?? null;
  if (givenAt === null && next) givenAt = Math.max(requested.at + 2 * HOUR_MS, workingTime(rng, requested.at + Math.min(between(rng, 8, 45) * DAY_MS, (next.at - requested.at) * 0.8)));
  if (givenAt !== null && next && givenAt >= next.at) givenAt = requested.at + (next.at - requested.at) * 0.7;
  if (givenAt !== null && givenAt > asAt) givenAt = null;
  const until = next ? Math.min(next.at, asAt) : asAt;

  const police = staff.police(c.forceId);
  const prosecutor = staff.prosecutor(c.areaId);
  const dcp = staff.dcp(c.areaId);
  const repeat = givenAt !== null && next !== undefined && next.at - givenAt > 40 * DAY_MS && chance(rng, 0.15);
  const requests: { at: number; givenAt: number | null }[] = [{ at: requested.at, givenAt }];
  if (repeat) {
    const at2 = workingTime(rng, givenAt! + (next!.at - givenAt!) * between(rng, 0.3, 0.5));
    const given2 = workingTime(rng, at2 + (next!.at - at2) * between(rng, 0.3, 0.6));
    if (given2 < next!.at && given2 <= asAt) requests.push({ at: at2, givenAt: given2 });
  }

  let loeNumber = 1;
  let plans = 0;
  let lastGivenAt: number | null = null;
  requests.forEach((r, index) => {
    const sequence = index + 1;
    const requestId = uuidFrom(rng);
    const priority = weighted<Priority>(rng, [['urgent', 10], ['high', 25], ['standard', 65]]);
    const workingDays = TARGET_WORKING_DAYS[priority];
    const target = calendar.addWorkingDays(new Date(r.at), workingDays);
    const waited = (r.givenAt ?? asAt) - r.at;
    const allocated = r.givenAt !== null || waited > 2 * DAY_MS || chance(rng, 0.3);
    const allocatedAt = allocated ? r.at + Math.min(waited * 0.5, between(rng, 2, 72) * HOUR_MS) : null;
    const status = r.givenAt !== null ? 'advice_given' : allocated ? 'allocated' : 'awaiting_allocation';
    rows.ea_requests!.push([
      requestId, c.id, c.forceId, c.areaId, c.reference, sequence,
      sequence === 1 ? c.summary : `${c.summary} Further advice sought after the first action plan was completed.`,
      pick(rng, QUESTIONS), pick(rng, STRATEGIES), priority, status, police.id, iso(r.at), target, workingDays,
      allocated ? prosecutor.id : null, allocated ? dcp.id : null, allocatedAt === null ? null : iso(allocatedAt), r.givenAt === null ? null : iso(r.givenAt),
      status === 'advice_given' ? 3 : allocated ? 2 : 1,
    ]);
    if (index > 0) rows.case_events!.push(event(rng, c, r.at, 'early_advice_requested', `Early Advice requested again from the CPS ${c.areaName} RASSO unit.`, police.id, { eaRequestId: requestId, sequence }));
    if (r.givenAt === null) return;

    // the conversation the advice was given in (the MoU requires one), shortly before the advice was written up
    const heldAt = Math.max(allocatedAt ?? r.at, r.givenAt - Math.floor(between(rng, 0.5, 48)) * HOUR_MS);
    const channel = weighted<Channel>(rng, [['video', 45], ['phone', 35], ['in_person', 20]]);
    const conversationId = uuidFrom(rng);
    const participants = [participant(prosecutor, 'cps'), participant(police, 'police')];
    const others = chance(rng, 0.2) ? [`DS ${pick(rng, GIVEN)} ${pick(rng, FAMILY)}, supervisor`] : [];
    rows.ea_conversations!.push([conversationId, requestId, c.id, c.forceId, iso(heldAt), channel, JSON.stringify(participants), JSON.stringify(others), prosecutor.id, iso(r.givenAt)]);
    rows.case_events!.push(event(rng, c, heldAt, 'early_advice_conversation', `Early Advice conversation (${channel === 'in_person' ? 'in person' : channel === 'video' ? 'by video' : 'by phone'}) between ${participants.map((p) => p.name).join(', ')}`, prosecutor.id, { eaRequestId: requestId, conversationId }));

    const adviceId = uuidFrom(rng);
    const loeCount = chance(rng, 0.1) ? 0 : weighted(rng, [[1, 15], [2, 35], [3, 30], [4, 20]] as const);
    const planNumber = loeCount ? ++plans : null;
    // a second or later action plan is issued only once a DCP other than the drafter has approved it
    const reviewed = planNumber !== null && planNumber >= 2;
    const reviewedAt = reviewed ? r.givenAt : null;
    const draftedAt = reviewed ? r.givenAt - Math.floor(between(rng, 2, 30)) * HOUR_MS : r.givenAt;
    rows.ea_advice!.push([
      adviceId, requestId, conversationId, c.id, c.forceId, pick(rng, ADVICE), planNumber, 'issued', prosecutor.id, iso(Math.max(draftedAt, heldAt)),
      reviewed ? dcp.id : null, reviewedAt === null ? null : iso(reviewedAt), reviewed ? 'Reviewed: the further lines of enquiry are reasonable and proportionate.' : '', iso(r.givenAt), reviewed ? 2 : 1,
    ]);

    const firstLoe = loeNumber;
    const usedDescriptions = new Set<string>();
    for (let k = 0; k < loeCount; k++) {
      const category = weighted<LoeCategory>(rng, [['general', 60], ['third_party_material', 20], ['digital_device', 20]]);
      let [description, rationale] = pick(rng, LOES[category]);
      if (usedDescriptions.has(description)) [description, rationale] = LOES.general[k % LOES.general.length]!;
      if (usedDescriptions.has(description)) continue;
      usedDescriptions.add(description);
      const cat: LoeCategory = rationale ? category : 'general';
      const owner = chance(rng, 0.85) ? police : prosecutor;
      const dueAt = r.givenAt + int(rng, 14, 56) * DAY_MS;
      let status: LoeStatus = 'open';
      let note = '';
      let completedAt: number | null = null;
      if (next && next.at <= asAt) {
        // the case moved on: nearly all were done (some late), a few not pursued
        status = chance(rng, 0.88) ? 'done' : 'not_pursued';
        completedAt = workingTime(rng, r.givenAt + (Math.min(next.at, asAt) - r.givenAt) * between(rng, 0.2, 0.9));
      } else {
        const elapsed = (asAt - r.givenAt) / (dueAt - r.givenAt);
        const u = rng.float();
        if (elapsed > 0.3 && u < Math.min(0.75, elapsed * 0.45)) {
          status = u < 0.05 ? 'not_pursued' : 'done';
          completedAt = Math.min(asAt, workingTime(rng, r.givenAt + (asAt - r.givenAt) * between(rng, 0.3, 0.95)));
        } else if (elapsed > 0.15 && chance(rng, 0.5)) status = 'in_progress';
      }
      if (completedAt !== null && completedAt > until) completedAt = Math.max(r.givenAt + HOUR_MS, until - HOUR_MS);
      if (status === 'done') note = pick(rng, DONE_NOTES);
      if (status === 'not_pursued') note = pick(rng, NOT_PURSUED);
      if (status === 'in_progress') note = 'Request made; awaiting the material.';
      const updatedAt = completedAt ?? (status === 'in_progress' ? r.givenAt + (Math.min(asAt, dueAt) - r.givenAt) * 0.4 : r.givenAt);
      rows.ea_lines_of_enquiry!.push([
        uuidFrom(rng), adviceId, c.id, c.forceId, loeNumber++, description, cat, rationale, owner.id, dateOf(dueAt), status, note,
        iso(r.givenAt), iso(updatedAt), status === 'open' ? prosecutor.id : owner.id, completedAt === null ? null : iso(completedAt), status === 'open' ? 1 : 2,
      ]);
    }
    if (!givenEvent || index > 0) {
      const n = loeNumber - firstLoe;
      rows.case_events!.push(event(rng, c, r.givenAt, 'early_advice_given', `Early Advice given (${planNumber ? `action plan ${planNumber} with ${n} ${n === 1 ? 'line' : 'lines'} of enquiry` : 'no lines of enquiry'})`, prosecutor.id, { eaRequestId: requestId, adviceId, planNumber }));
    }
    lastGivenAt = r.givenAt;
  });

  // Conferences: early case planning for some cases, forensic strategy (with named scientists) for fewer.
  for (const kind of ['early_case_planning', 'forensic_strategy'] as const) {
    if (!chance(rng, kind === 'early_case_planning' ? 0.25 : 0.1)) continue;
    const heldAt = workingTime(rng, requested.at + between(rng, 0.2, 0.9) * ((givenAt ?? asAt) - requested.at));
    if (heldAt > asAt) continue;
    const id = uuidFrom(rng);
    const channel = weighted<Channel>(rng, [['video', 60], ['in_person', 40]]);
    const external = kind === 'forensic_strategy' ? [pick(rng, SCIENTISTS)] : [];
    rows.ea_conferences!.push([id, c.id, c.forceId, kind, iso(heldAt), channel, JSON.stringify([participant(prosecutor, 'cps'), participant(police, 'police')]), JSON.stringify(external), pick(rng, CONFERENCE_STRATEGY[kind]), prosecutor.id, iso(heldAt + 2 * HOUR_MS)]);
    const actions = int(rng, 1, 3);
    for (let p = 1; p <= actions; p++) {
      const [description, responsible] = kind === 'forensic_strategy'
        ? pick(rng, [['Submit the swabs for DNA analysis', police.name], ['Report on the clothing examination', external[0]!], ['Decide on further submissions after the first results', prosecutor.name]] as const)
        : pick(rng, [['Obtain the first account witness statements', police.name], ['Review the ABE interview and advise on special measures', prosecutor.name], ['Agree the disclosure management document', police.name]] as const);
      rows.ea_conference_actions!.push([uuidFrom(rng), id, c.id, c.forceId, p, description, responsible, dateOf(heldAt + int(rng, 7, 42) * DAY_MS)]);
    }
    rows.case_events!.push(event(rng, c, heldAt, 'conference', `${kind === 'forensic_strategy' ? 'Forensic strategy conference' : 'Early case planning conference'} held (${channel === 'video' ? 'by video' : 'in person'}; ${actions} ${actions === 1 ? 'action' : 'actions'} agreed)`, prosecutor.id, { conferenceId: id, kind }));
  }
  return { lastGivenAt, hadAdvice: lastGivenAt !== null };
}
