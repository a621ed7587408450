import type { Db } from '../db/database.ts';
import { londonDate, WorkingDayCalendar } from '../platform/calendar.ts';
import type { FieldCipher } from '../platform/crypto.ts';
import { enqueue } from '../platform/jobs.ts';
import { renderLetter } from './letters.ts';
import { ENHANCED_WORKING_DAYS, ISVA_SCOPES, LETTER_TEMPLATE_LABELS, type LetterTemplate, MEASURES, PTM_OFFER_WORKING_DAYS, QUERY_TARGET_WORKING_DAYS, STANDARD_WORKING_DAYS } from './schemas.ts';
import { mulberry32 } from '../linkage/engine/random.ts';

/**
 * Deterministic synthetic victim care over already generated synthetic cases: Victims' Code duties from the
 * journeys' events (met on time, met late, and overdue), the shared contact log, ISVA consents (some withdrawn),
 * ISVA mailbox queries with replies in and out of target, VLO assignments, pleas with pre-trial meetings in every
 * state, special measures and (given the cipher) decision letters in the outbox. Only cases of one force are covered
 * (default: the demo users' force), so that every record has a real user behind it. Call after the case generator and the demo users, e.g. from the demo loader:
 *
 *   await seedVictimCare(db, { seed, now: new Date(), users: { police: ids.investigator, prosecutor: ids.prosecutor, vlo: ids.vlo, isva: ids.isva }, cipher });
 */
export interface VictimCareSeedOptions {
  seed: number;
  now: Date;
  users: { police: string; prosecutor: string; vlo: string; isva: string };
  forceId?: string;
  maxCases?: number;
  queries?: number;
  /** With the cipher, decision letters are also sent through the embedded outbox (they hold the victim's name, encrypted). */
  cipher?: FieldCipher;
}

export interface VictimCareSeedSummary {
  cases: number; events: number; duties: number; metOnTime: number; metLate: number; open: number; contacts: number;
  consents: number; revoked: number; queries: number; replied: number; vlos: number; meetings: Record<string, number>; measures: number; letters: number;
}

/** One seeded generator for all synthetic data and model fitting (mulberry32). */
const rngFrom = mulberry32;

const JOURNEY_TO_DUTY: Record<string, string> = {
  suspect_arrested: 'arrest', interview_under_caution: 'interview_under_caution', bailed: 'released_on_bail', released_under_investigation: 'released_under_investigation',
  charged: 'charging_decision', trial_listed: 'plea_entered', guilty_plea: 'plea_entered', verdict: 'trial_outcome', discontinued: 'trial_outcome', nfa: 'nfa',
};
const POST_CHARGE = ['charged', 'pre_trial', 'trial', 'convicted', 'acquitted', 'discontinued'];
const DAY = 86_400_000;

const QUERY_SUBJECTS = [
  ['Trial date', 'Has a trial date been set? The victim would like to plan time off work.'],
  ['Pre-trial meeting', 'The victim would like me to attend the pre-trial meeting with them. Is that possible?'],
  ['Special measures', 'The victim is anxious about seeing the defendant. Can we talk about screens or a live link?'],
  ['Charging decision', 'Is there any update on when a charging decision will be made?'],
  ['Court visit', 'Could a pre-trial court familiarisation visit be arranged?'],
  ['Victim Personal Statement', 'When should the victim make their Victim Personal Statement?'],
  ['Bail conditions', 'The victim would like to understand the bail conditions that protect them.'],
  ['Right to review', 'The victim wants to know how to ask for a review of the decision.'],
] as const;
const REPLIES = [
  'Thank you. The trial is listed for the date in the case record; the Witness Care Unit will confirm in writing.',
  'Yes, the victim’s ISVA is welcome at the meeting. The VLO will be in touch to arrange it.',
  'We will discuss special measures at the pre-trial meeting and apply for them in good time.',
  'The file is with the reviewing lawyer; we expect to make a decision within the next few weeks.',
  'We can arrange a court visit. Please let us know which days suit the victim.',
];

export async function seedVictimCare(db: Db, opts: VictimCareSeedOptions): Promise<VictimCareSeedSummary> {
  const rng = rngFrom(opts.seed ^ 0x76c3);
  const r = () => rng();
  const chance = (p: number) => r() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const uuid = () => {
    const h = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16));
    h[12] = '4';
    h[16] = '89ab'[Math.floor(r() * 4)]!;
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
  const now = opts.now;
  const clock = { now: () => now };
  const forceId = opts.forceId ?? 'hampshire-and-isle-of-wight';
  const calendar = await WorkingDayCalendar.load(db);
  const kinds = new Map((await db.query<{ kind: string; owner_side: 'police' | 'cps' }>('SELECT kind, owner_side FROM victim_duty_kinds')).map((k) => [k.kind, k.owner_side]));
  const orgOf = new Map((await db.query<{ id: string; organisation_id: string }>('SELECT id, organisation_id FROM users WHERE id = ANY($1::uuid[])', [Object.values(opts.users)])).map((u) => [u.id, u.organisation_id]));
  const [vloOrg] = await db.query<{ cps_area_id: string }>('SELECT o.cps_area_id FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1', [opts.users.vlo]);
  const summary: VictimCareSeedSummary = { cases: 0, events: 0, duties: 0, metOnTime: 0, metLate: 0, open: 0, contacts: 0, consents: 0, revoked: 0, queries: 0, replied: 0, vlos: 0, meetings: {}, measures: 0, letters: 0 };

  const cases = await db.query<{ id: string; reference: string; force_id: string; cps_area_id: string; stage: string; referred_at: Date | null }>(
    'SELECT id, reference, force_id, cps_area_id, stage, referred_at FROM cases WHERE force_id = $1 ORDER BY reported_at DESC, id LIMIT $2',
    [forceId, opts.maxCases ?? 400],
  );
  const caseIds = cases.map((c) => c.id);
  const victims = await db.query<{ id: string; case_id: string; label: string; enhanced_rights: boolean; contact_preferences: { method?: string } }>(
    'SELECT id, case_id, label, enhanced_rights, contact_preferences FROM victims WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, label', [caseIds],
  );
  const events = await db.query<{ case_id: string; kind: string; occurred_at: Date }>(
    `SELECT case_id, kind, occurred_at FROM case_events WHERE case_id = ANY($1::uuid[]) AND kind = ANY($2::text[]) ORDER BY case_id, occurred_at, id`,
    [caseIds, Object.keys(JOURNEY_TO_DUTY)],
  );
  summary.cases = cases.length;

  await db.transaction(async (tx) => {
    const contact = async (c: { caseId: string; forceId: string; victimId: string; at: Date; side: 'police' | 'cps' | 'isva'; purpose: string; channel: string }) => {
      const id = uuid();
      const by = c.side === 'police' ? opts.users.police : c.side === 'cps' ? opts.users.vlo : opts.users.isva;
      await tx.query(
        `INSERT INTO victim_contacts (id, case_id, force_id, victim_id, contacted_at, channel, purpose, side, contacted_by, organisation_id, recorded_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$5)`,
        [id, c.caseId, c.forceId, c.victimId, c.at, c.channel, c.purpose, c.side, by, orgOf.get(by)],
      );
      summary.contacts++;
      return id;
    };
    const decisionsMet: { caseId: string; reference: string; forceId: string; victimId: string; kind: string; side: 'police' | 'cps'; at: Date }[] = [];
    const byCase = new Map<string, typeof victims>();
    for (const v of victims) byCase.set(v.case_id, [...(byCase.get(v.case_id) ?? []), v]);
    const caseById = new Map(cases.map((c) => [c.id, c]));

    // 1. Victims' Code duties from the journey, met on time, late, or not yet
    for (const e of events) {
      const kase = caseById.get(e.case_id)!;
      let kind = JOURNEY_TO_DUTY[e.kind]!;
      if (kind === 'nfa') kind = kase.stage === 'nfa_cps' ? 'nfa_cps' : 'nfa_police';
      const occurredAt = new Date(e.occurred_at);
      if (occurredAt > now) continue;
      const eventId = uuid();
      const added = await tx.query('INSERT INTO victim_code_events (id, case_id, force_id, kind, occurred_at, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$5) ON CONFLICT DO NOTHING RETURNING id',
        [eventId, kase.id, kase.force_id, kind, occurredAt, kinds.get(kind) === 'cps' ? opts.users.prosecutor : opts.users.police]);
      if (!added.length) continue;
      summary.events++;
      for (const v of byCase.get(kase.id) ?? []) {
        const days = v.enhanced_rights ? ENHANCED_WORKING_DAYS : STANDARD_WORKING_DAYS;
        let dueAt: Date;
        let dueDate: string;
        try {
          dueAt = calendar.deadline(occurredAt, days);
          dueDate = calendar.addWorkingDays(occurredAt, days);
        } catch {
          continue; // beyond the bank holidays on record
        }
        const owner = kinds.get(kind) ?? 'police';
        const dutyId = uuid();
        const roll = r();
        const span = Math.max(3_600_000, dueAt.getTime() - occurredAt.getTime());
        const metAt = roll < 0.68 ? new Date(occurredAt.getTime() + span * (0.15 + 0.8 * r())) : roll < 0.88 ? new Date(dueAt.getTime() + DAY * (0.3 + 8 * r())) : null;
        const met = metAt && metAt <= now ? metAt : null;
        let contactId: string | null = null;
        if (met) {
          const channel = v.contact_preferences.method === 'email' ? 'email' : v.contact_preferences.method === 'via_isva' ? 'via_isva' : pick(['phone', 'phone', 'in_person']);
          contactId = await contact({ caseId: kase.id, forceId: kase.force_id, victimId: v.id, at: met, side: owner, purpose: kind.startsWith('nfa') || kind === 'charging_decision' || kind === 'trial_outcome' ? 'decision' : kind === 'plea_entered' ? 'court' : 'code_update', channel });
          if (kind === 'charging_decision' || kind.startsWith('nfa')) decisionsMet.push({ caseId: kase.id, reference: kase.reference, forceId: kase.force_id, victimId: v.id, kind, side: owner, at: met });
          if (met <= dueAt) summary.metOnTime++;
          else summary.metLate++;
        } else summary.open++;
        const overdue = !met && dueAt < now;
        await tx.query(
          `INSERT INTO victim_duties (id, event_id, case_id, force_id, victim_id, kind, owner_side, enhanced, working_days, due_date, due_at, met_at, met_by_contact_id, alerted_at, alerted_user_id, created_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
          [dutyId, eventId, kase.id, kase.force_id, v.id, kind, owner, v.enhanced_rights, days, dueDate, dueAt, met, contactId,
            overdue ? new Date(dueAt.getTime() + 1) : null, overdue ? (owner === 'police' ? opts.users.police : opts.users.vlo) : null, occurredAt],
        );
        if (!met && !overdue) await enqueue(tx, clock, 'victims.duty-overdue', { dutyId }, { runAt: new Date(dueAt.getTime() + 1), dedupeKey: `victims.duty-overdue:${dutyId}` });
        summary.duties++;
      }

      // 2. A not-guilty plea (trial listed) makes the pre-trial meeting offer due; meetings in every state
      if (e.kind === 'trial_listed' || e.kind === 'guilty_plea') {
        const pleaId = uuid();
        const plea = e.kind === 'trial_listed' ? 'not_guilty' : 'guilty';
        const enteredOn = londonDate(occurredAt);
        await tx.query('INSERT INTO trial_pleas (id, case_id, force_id, plea, entered_on, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7)', [pleaId, kase.id, kase.force_id, plea, enteredOn, opts.users.prosecutor, occurredAt]);
        if (plea === 'not_guilty') {
          for (const v of byCase.get(kase.id) ?? []) {
            let offerDue: string;
            try {
              offerDue = calendar.addWorkingDays(occurredAt, PTM_OFFER_WORKING_DAYS);
            } catch {
              continue;
            }
            const day = (n: number) => londonDate(new Date(occurredAt.getTime() + n * DAY));
            const today = londonDate(now);
            // how far the meeting got: drawn, then limited by how much time has passed since the plea
            const roll = r();
            const target = roll < 0.15 ? 0 : roll < 0.3 ? 1 : roll < 0.4 ? 2 : roll < 0.55 ? 3 : 4; // due, offered, declined, accepted, held
            let status = 'offer_due';
            const m: { offered?: string; response?: string; responded?: string; held?: string } = {};
            if (target >= 1 && day(3) <= today) {
              status = 'offered'; m.offered = day(3);
              if (target >= 2 && day(8) <= today) {
                m.response = target === 2 ? 'declined' : 'accepted'; m.responded = day(8); status = m.response;
                if (target === 4 && day(20) <= today) { m.held = day(20); status = 'held'; }
              }
            }
            await tx.query(
              `INSERT INTO pre_trial_meetings (id, case_id, force_id, victim_id, plea_id, status, offer_due_date, offered_on, offer_channel, response, responded_on, held_on, attendees, topics, outcome, actions, created_at, updated_at, updated_by)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17,$18)`,
              [uuid(), kase.id, kase.force_id, v.id, pleaId, status, offerDue, m.offered ?? null, m.offered ? pick(['phone', 'letter', 'via_isva']) : null, m.response ?? null, m.responded ?? null, m.held ?? null,
                JSON.stringify(m.held ? ['Reviewing prosecutor', 'Victim Liaison Officer', ...(chance(0.6) ? ['The victim’s ISVA'] : [])] : []),
                JSON.stringify(m.held ? ['special_measures', 'giving_evidence', ...(chance(0.7) ? ['concerns'] : [])] : []),
                m.held ? pick(['The victim understands the trial process and wants to give evidence by live link.', 'Special measures agreed; the victim will visit the court first.', 'Questions about cross-examination answered; the victim asked for s.28.']) : '',
                JSON.stringify(m.held ? ['Apply for special measures – prosecutor', 'Arrange a court visit – VLO'] : []), occurredAt, opts.users.vlo],
            );
            summary.meetings[status] = (summary.meetings[status] ?? 0) + 1;
          }
        }
      }
    }

    // 3. VLOs and special measures for victims of charged cases in the VLO's Area
    for (const kase of cases.filter((c) => POST_CHARGE.includes(c.stage) && c.cps_area_id === vloOrg?.cps_area_id)) {
      for (const v of byCase.get(kase.id) ?? []) {
        if (chance(0.85)) {
          await tx.query('INSERT INTO vlo_assignments (id, case_id, force_id, victim_id, cps_area_id, vlo_user_id, assigned_at, assigned_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$6)',
            [uuid(), kase.id, kase.force_id, v.id, kase.cps_area_id, opts.users.vlo, kase.referred_at ?? now]);
          summary.vlos++;
        }
        const measures = new Set<string>();
        const n = Math.floor(r() * 4);
        while (measures.size < n) measures.add(pick(MEASURES.filter((m) => m !== 's29_intermediary' && m !== 's30_communication_aids')));
        for (const measure of measures) {
          await tx.query(
            `INSERT INTO special_measures (id, case_id, force_id, victim_id, measure, status, wishes, created_by, created_at, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$8,$9)`,
            [uuid(), kase.id, kase.force_id, v.id, measure, pick(['discussed', 'requested', 'applied', 'granted', 'granted', 'refused']),
              pick(['Does not want to see the defendant.', 'Would prefer to give evidence from another room.', 'Wants the public gallery cleared.', '']), opts.users.vlo, kase.referred_at ?? now],
          );
          summary.measures++;
        }
      }
    }

    // 4. ISVA consents: the demo ISVA supports victims of referred cases; some consents are later withdrawn
    const consentable = victims.filter((v) => caseById.get(v.case_id)!.referred_at).slice(0, 40);
    const consented: { caseId: string; reference: string; area: string }[] = [];
    for (const v of consentable) {
      if (!chance(0.6)) continue;
      const kase = caseById.get(v.case_id)!;
      const scope = ISVA_SCOPES.filter((s) => s === 'key_dates' || (s === 'identity' ? chance(0.4) : chance(0.75)));
      const revoked = summary.consents % 6 === 5; // about one in six is later withdrawn
      const givenOn = londonDate(new Date(Math.min(now.getTime(), (kase.referred_at ?? now).getTime())));
      await tx.query(
        `INSERT INTO isva_consents (id, case_id, force_id, victim_id, isva_user_id, isva_organisation_id, scope, given_on, method, recorded_by, recorded_at, revoked_at, revoked_by, revocation_reason)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
        [uuid(), kase.id, kase.force_id, v.id, opts.users.isva, orgOf.get(opts.users.isva), JSON.stringify(scope), givenOn, pick(['written', 'verbal', 'electronic']), opts.users.police, kase.referred_at ?? now,
          revoked ? now : null, revoked ? opts.users.police : null, revoked ? 'The victim no longer wants support from this service.' : ''],
      );
      summary.consents++;
      if (revoked) summary.revoked++;
      else consented.push({ caseId: kase.id, reference: kase.reference, area: kase.cps_area_id });
    }

    // 5. ISVA mailbox: queries by case reference and by force, replies in and out of target (the demo unit answers)
    const forces = await tx.query<{ id: string; area: string }>(`SELECT f.id, m.cps_area_id AS area FROM forces f JOIN force_area_map m ON m.force_id = f.id AND m.is_primary ORDER BY f.id`);
    const [{ n: seqStart }] = (await tx.query<{ n: number }>("SELECT nextval('isva_query_seq')::int AS n")) as [{ n: number }];
    for (let i = 0; i < (opts.queries ?? 30); i++) {
      const byCase = consented.length > 0 && chance(0.45) ? pick(consented) : null;
      const force = byCase ? null : chance(0.5) ? forces.find((f) => f.id === forceId)! : pick(forces);
      const area = byCase ? byCase.area : force!.area;
      const createdAt = new Date(now.getTime() - DAY * (0.5 + 60 * r()));
      const [subject, body] = pick(QUERY_SUBJECTS);
      const id = uuid();
      const replies = area === vloOrg?.cps_area_id && chance(0.8);
      const replyAt = replies ? new Date(createdAt.getTime() + 3_600_000 * (2 + (chance(0.7) ? 40 * r() : 120 + 200 * r()))) : null;
      const reply = replyAt && replyAt <= now ? replyAt : null;
      const closed = reply && chance(0.4);
      await tx.query(
        `INSERT INTO isva_queries (id, reference, isva_user_id, isva_organisation_id, case_id, case_reference, named_force_id, cps_area_id, routed_by, subject, status, created_at, target_working_days, target_date, target_at, first_reply_at, first_reply_by, last_message_at, closed_at, closed_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`,
        [id, `ISVA-${String(seqStart + i).padStart(6, '0')}`, opts.users.isva, orgOf.get(opts.users.isva), byCase?.caseId ?? null, byCase?.reference ?? null, force?.id ?? null, area, byCase ? 'case' : 'force', subject,
          closed ? 'closed' : reply ? 'replied' : 'awaiting_reply', createdAt, QUERY_TARGET_WORKING_DAYS, calendar.addWorkingDays(createdAt, QUERY_TARGET_WORKING_DAYS), calendar.deadline(createdAt, QUERY_TARGET_WORKING_DAYS),
          reply, reply ? opts.users.prosecutor : null, reply ?? createdAt, closed ? now : null, closed ? opts.users.prosecutor : null],
      );
      await tx.query('INSERT INTO isva_query_messages (id, query_id, author_user_id, side, body, created_at) VALUES ($1,$2,$3,$4,$5,$6)', [uuid(), id, opts.users.isva, 'isva', body, createdAt]);
      if (reply) {
        await tx.query('INSERT INTO isva_query_messages (id, query_id, author_user_id, side, body, created_at) VALUES ($1,$2,$3,$4,$5,$6)', [uuid(), id, opts.users.prosecutor, 'cps', pick(REPLIES), reply]);
        summary.replied++;
      }
      summary.queries++;
    }
    await tx.query("SELECT setval('isva_query_seq', $1)", [seqStart + (opts.queries ?? 30)]);

    // 6. Decision letters, "delivered" by the embedded provider into the outbox viewer. Each is its own contact, sent
    // soon after the call that told the victim; the body names the victim, so it is encrypted like the app does it.
    if (opts.cipher) {
      const cipher = opts.cipher;
      const chosen = decisionsMet.filter(() => chance(0.35)).slice(0, 12);
      const names = new Map((await tx.query<{ id: string; name_enc: string }>('SELECT id, name_enc FROM victims WHERE id = ANY($1::uuid[])', [chosen.map((d) => d.victimId)]))
        .map((v) => [v.id, cipher.decryptJson<{ given: string; family: string }>(v.name_enc, { table: 'victims', column: 'name', rowId: v.id })]));
      const senders = new Map((await tx.query<{ id: string; display_name: string; organisation: string }>(
        'SELECT u.id, u.display_name, o.name AS organisation FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = ANY($1::uuid[])', [[opts.users.police, opts.users.vlo]],
      )).map((u) => [u.id, u]));
      const dateFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' });
      for (const d of chosen) {
        const at = new Date(d.at.getTime() + 10 * 60_000);
        const name = names.get(d.victimId);
        if (at > now || !name) continue;
        const template: LetterTemplate = d.kind === 'charging_decision' ? 'case_decision' : 'nfa_review_rights';
        const by = d.side === 'police' ? opts.users.police : opts.users.vlo;
        const sender = senders.get(by)!;
        const content = renderLetter(template, {
          recipientName: `${name.given} ${name.family}`, caseReference: d.reference, senderName: sender.display_name, senderOrganisation: sender.organisation, date: dateFmt.format(at), vloName: null,
        });
        const contactId = uuid();
        const letterId = uuid();
        await tx.query(
          `INSERT INTO victim_contacts (id, case_id, force_id, victim_id, contacted_at, channel, purpose, note, side, contacted_by, organisation_id, recorded_at)
           VALUES ($1,$2,$3,$4,$5,'letter','decision',$6,$7,$8,$9,$5)`,
          [contactId, d.caseId, d.forceId, d.victimId, at, `Sent: ${LETTER_TEMPLATE_LABELS[template]}`, d.side, by, orgOf.get(by)],
        );
        summary.contacts++;
        await tx.query(
          `INSERT INTO victim_letters (id, case_id, force_id, victim_id, template, channel, body_enc, status, provider, provider_ref, contact_id, created_by, created_at, delivered_at)
           VALUES ($1,$2,$3,$4,$5,'letter',$6,'delivered','embedded',$7,$8,$9,$10,$11)`,
          [letterId, d.caseId, d.forceId, d.victimId, template, cipher.encryptJson(content, { table: 'victim_letters', column: 'body', rowId: letterId }), `outbox:${letterId}`, contactId, by, at, new Date(at.getTime() + 60_000)],
        );
        summary.letters++;
      }
    }
  });
  return summary;
}

