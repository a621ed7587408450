import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { AuditLog } from '../platform/audit.ts';
import type { Clock } from '../platform/clock.ts';
import type { FieldCipher } from '../platform/crypto.ts';
import { ConflictError, forbidden, HttpError, notFound } from '../platform/errors.ts';
import { type CaseAccessFacts, type CaseAction, can, decide } from '../platform/policy.ts';
import type { Principal } from '../platform/principal.ts';
import type { ReferenceService } from '../reference/service.ts';
import { assertTransition } from './stages.ts';
import { CaseRepository, type ListScope, type SuspectRow, type VictimRow, type WitnessRow } from './repository.ts';
import { type CaseInput, type ListQuery, type Stage, STAGE_LABELS, type SuspectInput, TEAM_ROLE_LABELS, type TEAM_ROLES, type VictimInput, type WitnessInput } from './schemas.ts';

export interface VictimIdentity { givenName: string; familyName: string; dateOfBirth: string | null; phone: string; email: string; address: string }
export interface WitnessIdentity { givenName: string; familyName: string; phone: string; email: string; address: string }

const ctx = (table: string, column: string, rowId: string) => ({ table, column, rowId });

/** One person as a redactor needs them (the shape scrutiny's redactor takes as KnownPerson). */
export interface PersonForRedaction {
  givenName: string; familyName: string; aliases?: string[]; dateOfBirth?: string | null; phones?: string[]; emails?: string[];
  addresses?: string[]; vehicles?: string[]; onlineIdentifiers?: string[];
}
export interface CasePeopleForRedaction { reference: string; victims: PersonForRedaction[]; suspects: PersonForRedaction[]; witnesses: PersonForRedaction[] }

/** Told to subscribers (e.g. suspect linkage) after a suspect is recorded or changed, once the change is committed. */
export interface SuspectChange { principal: Principal; caseId: string; forceId: string; suspectId: string; kind: 'added' | 'updated'; requestId?: string }
export type SuspectListener = (change: SuspectChange) => Promise<void>;

/**
 * The joint case file. Every method takes the principal, asks the policy, and writes the audit row in the same
 * transaction as the change, so there is never a change without its audit (nor an audit of a change that failed).
 */
export class CaseService {
  constructor(
    private readonly db: Db,
    private readonly cipher: FieldCipher,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly reference: ReferenceService,
  ) {}

  private readonly suspectListeners: SuspectListener[] = [];

  /** Subscribe to suspect changes (run after commit: a listener's failure never undoes recording the suspect). */
  onSuspectChanged(listener: SuspectListener): void {
    this.suspectListeners.push(listener);
  }

  private async suspectChanged(change: SuspectChange): Promise<void> {
    for (const l of this.suspectListeners) await l(change).catch(() => undefined);
  }

  private repo(q: Queryable = this.db) {
    return new CaseRepository(q);
  }

  /**
   * Asks the policy for one action on one case. A denial is audited and thrown as 404 (the principal has no
   * relationship to the case, so even its existence is withheld) or 403.
   */
  async authorize(principal: Principal, caseId: string, action: CaseAction, requestId?: string): Promise<CaseAccessFacts> {
    const facts = await this.repo().accessFacts(caseId);
    if (!facts) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'denied', entityType: 'case', entityId: caseId.slice(0, 64), requestId, detail: { reason: 'no such case' } });
      throw notFound();
    }
    const decision = decide(principal, action, facts);
    if (!decision.allowed) {
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action, outcome: 'denied', entityType: 'case', entityId: caseId, caseId, requestId, detail: { reason: decision.reason } });
      throw decision.status === 404 ? notFound() : forbidden();
    }
    return facts;
  }

  /** True when the principal may do the action (for showing or hiding links); no audit. */
  allows(principal: Principal, action: CaseAction, facts: CaseAccessFacts): boolean {
    return decide(principal, action, facts).allowed;
  }

  listScope(principal: Principal): ListScope {
    return { userId: principal.userId, forceId: principal.organisation.kind === 'force' ? principal.organisation.forceId : null, cpsAreaId: principal.organisation.kind === 'rasso_unit' ? principal.organisation.cpsAreaId : null };
  }

  async list(principal: Principal, query: ListQuery, requestId?: string) {
    if (!can(principal, 'case:list')) {
      await this.audit.record({ actorUserId: principal.userId, action: 'case:list', outcome: 'denied', requestId });
      throw forbidden();
    }
    return this.repo().list(this.listScope(principal), query);
  }

  /** Everything on the case page; victim and witness identity decrypted only where the policy allows. */
  async view(principal: Principal, caseId: string, requestId?: string) {
    const facts = await this.authorize(principal, caseId, 'case:read', requestId);
    const repo = this.repo();
    const showIdentity = this.allows(principal, 'victim:read-identity', facts);
    const [kase, offenceCodes, victims, suspects, witnesses, team, events] = await Promise.all([
      repo.get(caseId), repo.offenceCodes(caseId), repo.victims(caseId), repo.suspects(caseId), repo.witnesses(caseId), repo.team(caseId), repo.events(caseId),
    ]);
    const offences = (await this.reference.offences()).filter((o) => offenceCodes.includes(o.code));
    await this.audit.record({
      actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'case:read', outcome: 'allowed',
      entityType: 'case', entityId: caseId, caseId, requestId, detail: { basis: decide(principal, 'case:read', facts).allowed ? relationshipOf(principal, facts) : null, victimIdentityShown: showIdentity && victims.length > 0 },
    });
    return {
      facts, case: kase!, offences, suspects, team, events,
      victims: victims.map((v) => ({ ...v, identity: showIdentity ? this.victimIdentity(v) : null })),
      witnesses: witnesses.map((w) => ({ ...w, identity: showIdentity ? this.witnessIdentity(w) : null })),
      can: {
        update: this.allows(principal, 'case:update', facts),
        updateVictim: this.allows(principal, 'victim:update', facts),
        updateSuspect: this.allows(principal, 'suspect:update', facts),
        updateWitness: this.allows(principal, 'witness:update', facts),
        manageTeam: this.allows(principal, 'case:manage-team', facts),
        addTimeline: this.allows(principal, 'timeline:add', facts),
      },
    };
  }

  victimIdentity(v: VictimRow): VictimIdentity {
    const name = this.cipher.decryptJson<{ given: string; family: string }>(v.name_enc, ctx('victims', 'name', v.id));
    const contact = v.contact_enc ? this.cipher.decryptJson<{ phone?: string; email?: string; address?: string }>(v.contact_enc, ctx('victims', 'contact', v.id)) : {};
    return {
      givenName: name.given, familyName: name.family,
      dateOfBirth: v.date_of_birth_enc ? this.cipher.decrypt(v.date_of_birth_enc, ctx('victims', 'date_of_birth', v.id)) : null,
      phone: contact.phone ?? '', email: contact.email ?? '', address: contact.address ?? '',
    };
  }

  witnessIdentity(w: WitnessRow): WitnessIdentity {
    const name = this.cipher.decryptJson<{ given: string; family: string }>(w.name_enc, ctx('witnesses', 'name', w.id));
    const contact = w.contact_enc ? this.cipher.decryptJson<{ phone?: string; email?: string; address?: string }>(w.contact_enc, ctx('witnesses', 'contact', w.id)) : {};
    return { givenName: name.given, familyName: name.family, phone: contact.phone ?? '', email: contact.email ?? '', address: contact.address ?? '' };
  }

  private async checkOffences(codes: string[]) {
    const known = new Set((await this.reference.offences()).filter((o) => o.active).map((o) => o.code));
    const unknown = codes.filter((c) => !known.has(c));
    if (unknown.length) throw new HttpError(400, 'Unknown offence', `Unknown offence code: ${unknown.join(', ')}`);
  }

  private async resolveArea(forceId: string, requested: string): Promise<string> {
    const options = await this.reference.areasFor(forceId);
    if (requested) {
      if (!options.some((a) => a.id === requested)) throw new HttpError(400, 'Wrong CPS Area', 'That CPS Area does not take this force’s cases');
      return requested;
    }
    return this.reference.primaryAreaFor(forceId);
  }

  /** A police officer opens a case for their own force; they become its officer in case. */
  async create(principal: Principal, input: CaseInput, requestId?: string): Promise<{ id: string; reference: string }> {
    const forceId = principal.organisation.forceId;
    if (!can(principal, 'case:create') || principal.organisation.kind !== 'force' || !forceId) {
      await this.audit.record({ actorUserId: principal.userId, action: 'case:create', outcome: 'denied', requestId });
      throw forbidden('Only police investigators and supervisors can open a case.');
    }
    await this.checkOffences(input.offences);
    const cpsAreaId = await this.resolveArea(forceId, input.cpsAreaId);
    const force = (await this.reference.force(forceId))!;
    const now = this.clock.now();
    const id = randomUUID();
    return this.db.transaction(async (tx) => {
      const [seq] = await tx.query<{ n: number }>("SELECT nextval('case_reference_seq')::int AS n");
      const reference = `${force.code}-${input.reportedDate!.slice(2, 4)}-${String(seq!.n).padStart(6, '0')}`;
      await tx.query(
        `INSERT INTO cases (id, reference, force_id, cps_area_id, stage, offence_date, reported_at, summary, created_by, created_at, updated_at)
         VALUES ($1,$2,$3,$4,'investigation',$5,$6,$7,$8,$9,$9)`,
        [id, reference, forceId, cpsAreaId, input.offenceDate, input.reportedDate, input.summary, principal.userId, now],
      );
      for (const code of input.offences) await tx.query('INSERT INTO case_offences (case_id, force_id, offence_code) VALUES ($1,$2,$3)', [id, forceId, code]);
      await tx.query('INSERT INTO case_team (case_id, user_id, force_id, team_role, added_at, added_by) VALUES ($1,$2,$3,$4,$5,$2)', [id, principal.userId, forceId, 'officer_in_case', now]);
      const repo = this.repo(tx);
      await repo.addEvent({ id: randomUUID(), caseId: id, forceId, occurredAt: now, recordedAt: now, kind: 'case_created', summary: 'Case opened', actorUserId: principal.userId });
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'case:create', outcome: 'allowed', entityType: 'case', entityId: id, caseId: id, requestId }, tx);
      return { id, reference };
    });
  }

  async update(principal: Principal, caseId: string, input: CaseInput & { version: number }, requestId?: string): Promise<void> {
    const facts = await this.authorize(principal, caseId, 'case:update', requestId);
    await this.checkOffences(input.offences);
    const cpsAreaId = await this.resolveArea(facts.forceId, input.cpsAreaId || facts.cpsAreaId);
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const updated = await tx.query(
        `UPDATE cases SET offence_date = $3, reported_at = $4, summary = $5, cps_area_id = $6, updated_at = $7, version = version + 1
          WHERE id = $1 AND version = $2 RETURNING id`,
        [caseId, input.version, input.offenceDate, input.reportedDate, input.summary, cpsAreaId, this.clock.now()],
      );
      if (updated.length === 0) {
        const current = (await repo.get(caseId))!;
        const currentOffences = await repo.offenceCodes(caseId);
        throw new ConflictError(
          diff([
            ['Offences', currentOffences.join(', '), [...input.offences].sort().join(', ')],
            ['Date of offence', current.offence_date ?? '', input.offenceDate ?? ''],
            ['Date reported', current.reported_at, input.reportedDate ?? ''],
            ['Summary', current.summary, input.summary],
          ]),
          `/cases/${caseId}/edit`,
        );
      }
      await tx.query('DELETE FROM case_offences WHERE case_id = $1', [caseId]);
      for (const code of input.offences) await tx.query('INSERT INTO case_offences (case_id, force_id, offence_code) VALUES ($1,$2,$3)', [caseId, facts.forceId, code]);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'case:update', outcome: 'allowed', entityType: 'case', entityId: caseId, caseId, requestId }, tx);
    });
  }

  /** For edit forms: the stored record, its version, and (for victims/witnesses) the decrypted identity. */
  async forEdit(principal: Principal, caseId: string, action: CaseAction, requestId?: string) {
    await this.authorize(principal, caseId, action, requestId);
    const repo = this.repo();
    return { case: (await repo.get(caseId))!, offenceCodes: await repo.offenceCodes(caseId) };
  }

  async victimForEdit(principal: Principal, caseId: string, victimId: string, requestId?: string) {
    await this.authorize(principal, caseId, 'victim:update', requestId);
    const v = (await this.repo().victims(caseId)).find((x) => x.id === victimId);
    if (!v) throw notFound();
    await this.audit.record({ actorUserId: principal.userId, action: 'victim:read-identity', outcome: 'allowed', entityType: 'victim', entityId: victimId, caseId, requestId });
    return { victim: v, identity: this.victimIdentity(v) };
  }

  async suspectForEdit(principal: Principal, caseId: string, suspectId: string, requestId?: string) {
    await this.authorize(principal, caseId, 'suspect:update', requestId);
    const s = (await this.repo().suspects(caseId)).find((x) => x.id === suspectId);
    if (!s) throw notFound();
    return s;
  }

  async witnessForEdit(principal: Principal, caseId: string, witnessId: string, requestId?: string) {
    await this.authorize(principal, caseId, 'witness:update', requestId);
    const w = (await this.repo().witnesses(caseId)).find((x) => x.id === witnessId);
    if (!w) throw notFound();
    return { witness: w, identity: this.witnessIdentity(w) };
  }

  private victimColumns(id: string, v: VictimInput) {
    return {
      name_enc: this.cipher.encryptJson({ given: v.givenName, family: v.familyName }, ctx('victims', 'name', id)),
      date_of_birth_enc: v.dateOfBirth ? this.cipher.encrypt(v.dateOfBirth, ctx('victims', 'date_of_birth', id)) : null,
      contact_enc: this.cipher.encryptJson({ phone: v.phone, email: v.email, address: v.address }, ctx('victims', 'contact', id)),
      age_at_offence: v.ageAtOffence,
      vulnerabilities: JSON.stringify(v.vulnerabilities),
      communication_needs: v.communicationNeeds,
      contact_preferences: JSON.stringify({ method: v.contactMethod, mayLeaveMessage: v.mayLeaveMessage, safeTimes: v.safeTimes, interviewerSex: v.interviewerSex }),
      enhanced_rights: v.enhancedRights,
    };
  }

  async addVictim(principal: Principal, caseId: string, input: VictimInput, requestId?: string): Promise<string> {
    const facts = await this.authorize(principal, caseId, 'victim:update', requestId);
    const id = randomUUID();
    const now = this.clock.now();
    const c = this.victimColumns(id, input);
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const label = await repo.nextLabel('victims', caseId, 'V');
      await tx.query(
        `INSERT INTO victims (id, case_id, force_id, label, name_enc, date_of_birth_enc, contact_enc, age_at_offence, vulnerabilities,
           communication_needs, contact_preferences, enhanced_rights, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13)`,
        [id, caseId, facts.forceId, label, c.name_enc, c.date_of_birth_enc, c.contact_enc, c.age_at_offence, c.vulnerabilities, c.communication_needs, c.contact_preferences, c.enhanced_rights, now],
      );
      await this.touchCase(tx, caseId);
      await repo.addEvent({ id: randomUUID(), caseId, forceId: facts.forceId, occurredAt: now, recordedAt: now, kind: 'victim_added', summary: `Victim ${label} added`, actorUserId: principal.userId });
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'victim:create', outcome: 'allowed', entityType: 'victim', entityId: id, caseId, requestId }, tx);
    });
    return id;
  }

  async updateVictim(principal: Principal, caseId: string, victimId: string, input: VictimInput & { version: number }, requestId?: string): Promise<void> {
    await this.authorize(principal, caseId, 'victim:update', requestId);
    const c = this.victimColumns(victimId, input);
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE victims SET name_enc = $4, date_of_birth_enc = $5, contact_enc = $6, age_at_offence = $7, vulnerabilities = $8,
           communication_needs = $9, contact_preferences = $10, enhanced_rights = $11, updated_at = $12, version = version + 1
         WHERE id = $1 AND case_id = $2 AND version = $3 RETURNING id`,
        [victimId, caseId, input.version, c.name_enc, c.date_of_birth_enc, c.contact_enc, c.age_at_offence, c.vulnerabilities, c.communication_needs, c.contact_preferences, c.enhanced_rights, this.clock.now()],
      );
      if (updated.length === 0) {
        const current = (await this.repo(tx).victims(caseId)).find((v) => v.id === victimId);
        if (!current) throw notFound();
        const id = this.victimIdentity(current);
        throw new ConflictError(
          diff([
            ['First name', id.givenName, input.givenName], ['Last name', id.familyName, input.familyName],
            ['Date of birth', id.dateOfBirth ?? '', input.dateOfBirth ?? ''], ['Phone', id.phone, input.phone], ['Email', id.email, input.email],
            ['Address', id.address, input.address], ['Age at offence', String(current.age_at_offence ?? ''), String(input.ageAtOffence ?? '')],
            ['Vulnerabilities', current.vulnerabilities.join(', '), input.vulnerabilities.join(', ')],
            ['Communication needs', current.communication_needs, input.communicationNeeds],
            ['Contact method', current.contact_preferences.method ?? '', input.contactMethod],
            ['Enhanced rights', current.enhanced_rights ? 'Yes' : 'No', input.enhancedRights ? 'Yes' : 'No'],
          ]),
          `/cases/${caseId}/victims/${victimId}/edit`,
        );
      }
      await this.touchCase(tx, caseId);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'victim:update', outcome: 'allowed', entityType: 'victim', entityId: victimId, caseId, requestId }, tx);
    });
  }

  private suspectParams(s: SuspectInput) {
    return [s.givenName, s.familyName, JSON.stringify(s.aliases), s.dateOfBirth, JSON.stringify(s.addresses), JSON.stringify(s.phones),
      JSON.stringify(s.emails), JSON.stringify(s.onlineIdentifiers), JSON.stringify(s.vehicles.map((v) => v.toUpperCase()))];
  }

  async addSuspect(principal: Principal, caseId: string, input: SuspectInput, requestId?: string): Promise<string> {
    const facts = await this.authorize(principal, caseId, 'suspect:update', requestId);
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const label = await repo.nextLabel('suspects', caseId, 'S');
      await tx.query(
        `INSERT INTO suspects (id, case_id, force_id, label, given_name, family_name, aliases, date_of_birth, addresses, phones, emails,
           online_identifiers, vehicles, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$14)`,
        [id, caseId, facts.forceId, label, ...this.suspectParams(input), now],
      );
      await this.touchCase(tx, caseId);
      await repo.addEvent({ id: randomUUID(), caseId, forceId: facts.forceId, occurredAt: now, recordedAt: now, kind: 'suspect_added', summary: `Suspect ${label} recorded`, actorUserId: principal.userId });
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'suspect:create', outcome: 'allowed', entityType: 'suspect', entityId: id, caseId, requestId }, tx);
    });
    await this.suspectChanged({ principal, caseId, forceId: facts.forceId, suspectId: id, kind: 'added', requestId });
    return id;
  }

  async updateSuspect(principal: Principal, caseId: string, suspectId: string, input: SuspectInput & { version: number }, requestId?: string): Promise<void> {
    const facts = await this.authorize(principal, caseId, 'suspect:update', requestId);
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE suspects SET given_name = $4, family_name = $5, aliases = $6, date_of_birth = $7, addresses = $8, phones = $9, emails = $10,
           online_identifiers = $11, vehicles = $12, updated_at = $13, version = version + 1
         WHERE id = $1 AND case_id = $2 AND version = $3 RETURNING id`,
        [suspectId, caseId, input.version, ...this.suspectParams(input), this.clock.now()],
      );
      if (updated.length === 0) {
        const s = (await this.repo(tx).suspects(caseId)).find((x) => x.id === suspectId);
        if (!s) throw notFound();
        throw new ConflictError(
          diff([
            ['First name', s.given_name, input.givenName], ['Last name', s.family_name, input.familyName],
            ['Other names', s.aliases.map((a) => `${a.given} ${a.family}`).join('; '), input.aliases.map((a) => `${a.given} ${a.family}`).join('; ')],
            ['Date of birth', s.date_of_birth ?? '', input.dateOfBirth ?? ''], ['Addresses', s.addresses.join('; '), input.addresses.join('; ')],
            ['Phones', s.phones.join('; '), input.phones.join('; ')], ['Emails', s.emails.join('; '), input.emails.join('; ')],
            ['Online identifiers', s.online_identifiers.join('; '), input.onlineIdentifiers.join('; ')], ['Vehicles', s.vehicles.join('; '), input.vehicles.join('; ').toUpperCase()],
          ]),
          `/cases/${caseId}/suspects/${suspectId}/edit`,
        );
      }
      await this.touchCase(tx, caseId);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'suspect:update', outcome: 'allowed', entityType: 'suspect', entityId: suspectId, caseId, requestId }, tx);
    });
    await this.suspectChanged({ principal, caseId, forceId: facts.forceId, suspectId, kind: 'updated', requestId });
  }

  private witnessColumns(id: string, w: WitnessInput) {
    return [
      this.cipher.encryptJson({ given: w.givenName, family: w.familyName }, ctx('witnesses', 'name', id)),
      this.cipher.encryptJson({ phone: w.phone, email: w.email, address: w.address }, ctx('witnesses', 'contact', id)),
      w.relationship,
    ];
  }

  async addWitness(principal: Principal, caseId: string, input: WitnessInput, requestId?: string): Promise<string> {
    const facts = await this.authorize(principal, caseId, 'witness:update', requestId);
    const id = randomUUID();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const repo = this.repo(tx);
      const label = await repo.nextLabel('witnesses', caseId, 'W');
      await tx.query(
        `INSERT INTO witnesses (id, case_id, force_id, label, name_enc, contact_enc, relationship, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8)`,
        [id, caseId, facts.forceId, label, ...this.witnessColumns(id, input), now],
      );
      await this.touchCase(tx, caseId);
      await repo.addEvent({ id: randomUUID(), caseId, forceId: facts.forceId, occurredAt: now, recordedAt: now, kind: 'witness_added', summary: `Witness ${label} added`, actorUserId: principal.userId });
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'witness:create', outcome: 'allowed', entityType: 'witness', entityId: id, caseId, requestId }, tx);
    });
    return id;
  }

  async updateWitness(principal: Principal, caseId: string, witnessId: string, input: WitnessInput & { version: number }, requestId?: string): Promise<void> {
    await this.authorize(principal, caseId, 'witness:update', requestId);
    await this.db.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE witnesses SET name_enc = $4, contact_enc = $5, relationship = $6, updated_at = $7, version = version + 1
          WHERE id = $1 AND case_id = $2 AND version = $3 RETURNING id`,
        [witnessId, caseId, input.version, ...this.witnessColumns(witnessId, input), this.clock.now()],
      );
      if (updated.length === 0) {
        const w = (await this.repo(tx).witnesses(caseId)).find((x) => x.id === witnessId);
        if (!w) throw notFound();
        const id = this.witnessIdentity(w);
        throw new ConflictError(
          diff([
            ['First name', id.givenName, input.givenName], ['Last name', id.familyName, input.familyName], ['Phone', id.phone, input.phone],
            ['Email', id.email, input.email], ['Address', id.address, input.address], ['Relationship', w.relationship, input.relationship],
          ]),
          `/cases/${caseId}/witnesses/${witnessId}/edit`,
        );
      }
      await this.touchCase(tx, caseId);
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'witness:update', outcome: 'allowed', entityType: 'witness', entityId: witnessId, caseId, requestId }, tx);
    });
  }

  async teamCandidates(principal: Principal, caseId: string, requestId?: string) {
    const facts = await this.authorize(principal, caseId, 'case:manage-team', requestId);
    const [kase, candidates, team] = await Promise.all([this.repo().get(caseId), this.teamCandidatesFor(facts), this.repo().team(caseId)]);
    const onTeam = new Set(team.map((t) => t.user_id));
    return { case: kase!, team, candidates: candidates.filter((c) => !onTeam.has(c.id)) };
  }

  private async teamCandidatesFor(facts: CaseAccessFacts) {
    return this.db.query<{ id: string; display_name: string; organisation_name: string; kind: string }>(
      `SELECT u.id, u.display_name, o.name AS organisation_name, o.kind
         FROM users u JOIN organisations o ON o.id = u.organisation_id
        WHERE u.active AND ((o.kind = 'force' AND o.force_id = $1) OR (o.kind = 'rasso_unit' AND o.cps_area_id = $2))
          AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('investigator','police_supervisor','prosecutor','district_crown_prosecutor','paralegal','vlo'))
        ORDER BY o.kind, u.display_name`,
      [facts.forceId, facts.cpsAreaId],
    );
  }

  async addTeamMember(principal: Principal, caseId: string, input: { userId: string; teamRole: string }, requestId?: string) {
    const facts = await this.authorize(principal, caseId, 'case:manage-team', requestId);
    const candidates = await this.teamCandidatesFor(facts);
    const member = candidates.find((c) => c.id === input.userId);
    if (!member) throw new HttpError(400, 'Cannot add this person', 'Only police of the owning force and staff of the CPS Area’s RASSO unit can join this case team.');
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const added = await tx.query(
        `INSERT INTO case_team (case_id, user_id, force_id, team_role, added_at, added_by) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (case_id, user_id) DO NOTHING RETURNING user_id`,
        [caseId, input.userId, facts.forceId, input.teamRole, now, principal.userId],
      );
      if (added.length === 0) return;
      await this.repo(tx).addEvent({ id: randomUUID(), caseId, forceId: facts.forceId, occurredAt: now, recordedAt: now, kind: 'team_changed', summary: `${member.display_name} joined the case team as ${TEAM_ROLE_LABELS[input.teamRole as keyof typeof TEAM_ROLE_LABELS] ?? input.teamRole}`, actorUserId: principal.userId });
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'case-team:add', outcome: 'allowed', entityType: 'user', entityId: input.userId, caseId, requestId, detail: { teamRole: input.teamRole } }, tx);
    });
  }

  async removeTeamMember(principal: Principal, caseId: string, userId: string, requestId?: string) {
    const facts = await this.authorize(principal, caseId, 'case:manage-team', requestId);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const removed = await tx.query<{ display_name: string }>(
        `DELETE FROM case_team t USING users u WHERE t.case_id = $1 AND t.user_id = $2 AND u.id = t.user_id RETURNING u.display_name`,
        [caseId, userId],
      );
      if (removed.length === 0) throw notFound('That person is not on the case team.');
      await this.repo(tx).addEvent({ id: randomUUID(), caseId, forceId: facts.forceId, occurredAt: now, recordedAt: now, kind: 'team_changed', summary: `${removed[0]!.display_name} left the case team`, actorUserId: principal.userId });
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'case-team:remove', outcome: 'allowed', entityType: 'user', entityId: userId, caseId, requestId }, tx);
    });
  }

  async addTimelineNote(principal: Principal, caseId: string, input: { occurredDate: string | null; summary: string }, requestId?: string) {
    const facts = await this.authorize(principal, caseId, 'timeline:add', requestId);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const id = randomUUID();
      await this.repo(tx).addEvent({ id, caseId, forceId: facts.forceId, occurredAt: new Date(`${input.occurredDate}T12:00:00Z`), recordedAt: now, kind: 'note', summary: input.summary, actorUserId: principal.userId });
      await this.audit.record({ actorUserId: principal.userId, actorOrganisationId: principal.organisation.id, action: 'timeline:add', outcome: 'allowed', entityType: 'case_event', entityId: id, caseId, requestId }, tx);
    });
  }

  /**
   * For other capabilities (Early Advice, charging, victims), inside their own transaction: move the case on, mark it
   * referred to the CPS (which opens it to the Area's RASSO unit), and put an event on the timeline. Callers have
   * already asked the policy for their own action. A stage change is checked by the state machine (stages.ts): an
   * impossible one throws StageTransitionError (409, with a message for the user) and the caller's transaction rolls back.
   */
  async recordProgress(tx: Queryable, caseId: string, change: {
    stage?: Stage; referred?: boolean; outcomeTypeCode?: number | null;
    event?: { kind: string; summary: string; actorUserId: string | null; occurredAt?: Date; data?: Record<string, unknown> };
  }): Promise<void> {
    const now = this.clock.now();
    if (change.stage) {
      // One state machine decides every stage change; the row lock makes the check and the change one step.
      const [current] = await tx.query<{ stage: Stage }>('SELECT stage FROM cases WHERE id = $1 FOR UPDATE', [caseId]);
      if (!current) throw notFound();
      assertTransition(current.stage, change.stage);
    }
    const [row] = await tx.query<{ force_id: string }>(
      `UPDATE cases SET stage = coalesce($2, stage),
              referred_at = CASE WHEN $3::boolean AND referred_at IS NULL THEN $5::timestamptz ELSE referred_at END,
              outcome_type_code = CASE WHEN $4::boolean THEN $6::integer ELSE outcome_type_code END,
              updated_at = $5, version = version + 1
        WHERE id = $1 RETURNING force_id`,
      [caseId, change.stage ?? null, change.referred ?? false, change.outcomeTypeCode !== undefined, now, change.outcomeTypeCode ?? null],
    );
    if (!row) throw notFound();
    if (change.event) {
      await this.repo(tx).addEvent({ id: randomUUID(), caseId, forceId: row.force_id, occurredAt: change.event.occurredAt ?? now, recordedAt: now, kind: change.event.kind, summary: change.event.summary, actorUserId: change.event.actorUserId, data: change.event.data });
    }
  }

  /** Case facts other capabilities need (reference, force, Area, stage) without reaching into the cases table. */
  async summary(caseId: string, q: Queryable = this.db) {
    const c = await this.repo(q).get(caseId);
    if (!c) throw notFound();
    return { id: c.id, reference: c.reference, forceId: c.force_id, forceName: c.force_name, cpsAreaId: c.cps_area_id, areaName: c.area_name, stage: c.stage, referredAt: c.referred_at, reportedAt: c.reported_at, outcomeTypeCode: c.outcome_type_code };
  }

  /** For capabilities given a case reference (e.g. enrolling a case in a pilot): the case's id, or null. No identity. */
  async idByReference(reference: string, q: Queryable = this.db): Promise<string | null> {
    const [row] = await q.query<{ id: string }>('SELECT id FROM cases WHERE upper(reference) = upper($1)', [reference.trim()]);
    return row?.id ?? null;
  }

  /**
   * Everything the case file knows that identifies the people in it (victims, suspects, witnesses), for a redactor to
   * strip from free text before it is stored elsewhere (e.g. anonymised case studies). Never shown or stored.
   */
  async peopleForRedaction(caseId: string, q: Queryable = this.db): Promise<CasePeopleForRedaction> {
    const repo = this.repo(q);
    const c = await repo.get(caseId);
    if (!c) throw notFound();
    const [victims, suspects, witnesses] = await Promise.all([repo.victims(caseId), repo.suspects(caseId), repo.witnesses(caseId)]);
    const some = (v: string | null | undefined) => (v ? [v] : []);
    return {
      reference: c.reference,
      victims: victims.map((v) => this.victimIdentity(v)).map((i) => ({ givenName: i.givenName, familyName: i.familyName, dateOfBirth: i.dateOfBirth, phones: some(i.phone), emails: some(i.email), addresses: some(i.address) })),
      suspects: suspects.map((s) => ({
        givenName: s.given_name, familyName: s.family_name, aliases: s.aliases.map((a) => `${a.given} ${a.family}`), dateOfBirth: s.date_of_birth,
        phones: s.phones, emails: s.emails, addresses: s.addresses, vehicles: s.vehicles, onlineIdentifiers: s.online_identifiers,
      })),
      witnesses: witnesses.map((w) => this.witnessIdentity(w)).map((i) => ({ givenName: i.givenName, familyName: i.familyName, phones: some(i.phone), emails: some(i.email), addresses: some(i.address) })),
    };
  }

  /** The case team with names and organisations, for other capabilities choosing owners and participants (no identity of victims). */
  async teamDirectory(caseId: string, q: Queryable = this.db) {
    return q.query<{ user_id: string; display_name: string; organisation_name: string; organisation_kind: string; team_role: string }>(
      `SELECT t.user_id, u.display_name, o.name AS organisation_name, o.kind AS organisation_kind, t.team_role
         FROM case_team t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.organisation_id
        WHERE t.case_id = $1 AND u.active ORDER BY o.kind, u.display_name`,
      [caseId],
    );
  }

  /**
   * For other capabilities, inside their own transaction (e.g. Early Advice allocation puts the prosecutor on the
   * team): adds a member once, with a timeline event and an audit row. Callers have already asked the policy for
   * their own action and checked who may join. Returns false when the person was already on the team.
   */
  async addTeamMemberTx(tx: Queryable, caseId: string, input: { userId: string; teamRole: (typeof TEAM_ROLES)[number]; addedBy: Principal; requestId?: string }): Promise<boolean> {
    const now = this.clock.now();
    const added = await tx.query<{ force_id: string }>(
      `INSERT INTO case_team (case_id, user_id, force_id, team_role, added_at, added_by)
       SELECT c.id, $2, c.force_id, $3, $4, $5 FROM cases c WHERE c.id = $1
       ON CONFLICT (case_id, user_id) DO NOTHING RETURNING force_id`,
      [caseId, input.userId, input.teamRole, now, input.addedBy.userId],
    );
    if (added.length === 0) return false;
    const [member] = await tx.query<{ display_name: string }>('SELECT display_name FROM users WHERE id = $1', [input.userId]);
    await this.repo(tx).addEvent({ id: randomUUID(), caseId, forceId: added[0]!.force_id, occurredAt: now, recordedAt: now, kind: 'team_changed', summary: `${member?.display_name ?? 'A user'} joined the case team as ${TEAM_ROLE_LABELS[input.teamRole]}`, actorUserId: input.addedBy.userId });
    await this.audit.record({ actorUserId: input.addedBy.userId, actorOrganisationId: input.addedBy.organisation.id, action: 'case-team:add', outcome: 'allowed', entityType: 'user', entityId: input.userId, caseId, requestId: input.requestId, detail: { teamRole: input.teamRole } }, tx);
    return true;
  }

  /** The case team's user ids and which side each is on, for other capabilities' reminders (no identity, no audit). */
  async teamMembers(caseId: string, q: Queryable = this.db): Promise<{ userId: string; side: 'police' | 'cps' | 'other'; teamRole: string }[]> {
    const rows = await q.query<{ user_id: string; kind: string; team_role: string }>(
      `SELECT t.user_id, o.kind, t.team_role FROM case_team t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.organisation_id
        WHERE t.case_id = $1 AND u.active ORDER BY t.added_at`,
      [caseId],
    );
    return rows.map((r) => ({ userId: r.user_id, side: r.kind === 'force' ? 'police' : r.kind === 'rasso_unit' ? 'cps' : 'other', teamRole: r.team_role }));
  }

  private async touchCase(tx: Queryable, caseId: string) {
    await tx.query('UPDATE cases SET updated_at = $2 WHERE id = $1', [caseId, this.clock.now()]);
  }
}

function relationshipOf(principal: Principal, facts: CaseAccessFacts): string {
  const d = decide(principal, 'case:read', facts);
  return d.allowed ? d.basis : 'none';
}

function diff(rows: [string, string, string][]) {
  return rows.filter(([, a, b]) => a !== b).map(([label, current, submitted]) => ({ label, current, submitted }));
}

export { STAGE_LABELS };
