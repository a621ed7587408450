import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { CaseRepository } from '../cases/repository.ts';
import type { AuditLog } from '../platform/audit.ts';
import type { Clock } from '../platform/clock.ts';
import type { FieldCipher } from '../platform/crypto.ts';
import { HttpError, notFound } from '../platform/errors.ts';
import { decide } from '../platform/policy.ts';
import { type ApiCaller, servicePrincipal } from './clients.ts';

/** The events a client can subscribe to (written to the outbox by triggers in migration 0060). */
export const EVENT_TYPES = ['case.created', 'early-advice.requested', 'charging.file-submitted', 'charging.decision-recorded'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const SIGNATURE_HEADER = 'tandem-signature';
export const TIMESTAMP_HEADER = 'tandem-timestamp';
export const EVENT_ID_HEADER = 'tandem-event-id';
/** Receivers should refuse a delivery whose timestamp is further than this from their clock (replay protection). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
const MAX_ATTEMPTS = 12;

/** `v1=` + hex HMAC-SHA256 over "<timestamp>.<raw body>", the scheme receivers verify. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute the signature, compare in constant time, and check the timestamp is recent. */
export function verifySignature(secret: string, header: string, timestamp: number, body: string, nowSeconds: number): boolean {
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface SubscriptionRow { id: string; url: string; event_types: EventType[]; active: boolean; created_at: Date }

const cipherCtx = (id: string) => ({ table: 'api_webhook_subscriptions', column: 'secret', rowId: id });

/** Backoff between delivery attempts: 10 s, 20 s, 40 s, ... capped at an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(60 * 60_000, 2 ** Math.max(0, attempts - 1) * 10_000);
}

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number }>;

export class WebhookService {
  constructor(
    private readonly db: Db,
    private readonly cipher: FieldCipher,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly opts: { allowHttp: boolean },
  ) {}

  async list(caller: ApiCaller): Promise<SubscriptionRow[]> {
    return this.db.query<SubscriptionRow>('SELECT id, url, event_types, active, created_at FROM api_webhook_subscriptions WHERE client_id = $1 AND active ORDER BY created_at', [caller.clientId]);
  }

  /** Returns the signing secret once; it is stored encrypted so the dispatcher can sign with it. */
  async subscribe(caller: ApiCaller, input: { url: string; eventTypes: EventType[] }, requestId?: string): Promise<SubscriptionRow & { secret: string }> {
    const url = new URL(input.url);
    if (url.protocol !== 'https:' && !(this.opts.allowHttp && url.protocol === 'http:')) {
      throw new HttpError(400, 'Validation failed', 'The webhook URL must use https.', { errors: [{ field: 'url', detail: 'The webhook URL must use https' }] });
    }
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO api_webhook_subscriptions (id, client_id, url, event_types, secret_enc, created_at) VALUES ($1,$2,$3,$4,$5,$6)',
        [id, caller.clientId, url.toString(), input.eventTypes, this.cipher.encrypt(secret, cipherCtx(id)), now]);
      await this.audit.record({ actorUserId: caller.principal.userId, actorOrganisationId: caller.principal.organisation.id, action: 'api-webhook:subscribe', outcome: 'allowed', entityType: 'api_webhook_subscription', entityId: id, requestId, detail: { clientId: caller.clientId, eventTypes: input.eventTypes } }, tx);
    });
    return { id, url: url.toString(), event_types: input.eventTypes, active: true, created_at: now, secret };
  }

  async unsubscribe(caller: ApiCaller, id: string, requestId?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const rows = await tx.query('UPDATE api_webhook_subscriptions SET active = false, version = version + 1 WHERE id = $1 AND client_id = $2 AND active RETURNING id', [id, caller.clientId]);
      if (!rows.length) throw notFound('There is no such webhook subscription.');
      await this.audit.record({ actorUserId: caller.principal.userId, actorOrganisationId: caller.principal.organisation.id, action: 'api-webhook:unsubscribe', outcome: 'allowed', entityType: 'api_webhook_subscription', entityId: id, requestId, detail: { clientId: caller.clientId } }, tx);
    });
  }

  /**
   * Turns outbox events into one delivery per subscription whose client may see the case: the client's service
   * account goes through the same policy as a person (`decide(..., 'case:read')`), so a force hears only of its
   * own cases and a RASSO unit only of cases referred to its Area. Returns how many deliveries were created.
   */
  async fanOut(limit = 100): Promise<number> {
    return this.db.transaction(async (tx) => {
      const events = await tx.query<{ id: string; type: string; case_id: string }>(
        'SELECT id, type, case_id FROM api_events WHERE fanned_out_at IS NULL ORDER BY occurred_at, id LIMIT $1 FOR UPDATE SKIP LOCKED', [limit]);
      let created = 0;
      for (const e of events) {
        const subs = await tx.query<{ id: string; client_id: string }>(
          `SELECT s.id, s.client_id FROM api_webhook_subscriptions s JOIN api_clients c ON c.id = s.client_id
            WHERE s.active AND c.active AND $1 = ANY (s.event_types)`, [e.type]);
        const facts = await new CaseRepository(tx).accessFacts(e.case_id);
        for (const s of subs) {
          const principal = await servicePrincipal(tx, s.client_id);
          if (!principal || !facts || !decide(principal, 'case:read', facts).allowed) continue;
          const rows = await tx.query(
            `INSERT INTO api_webhook_deliveries (id, event_id, subscription_id, next_attempt_at) VALUES ($1,$2,$3,$4)
             ON CONFLICT (event_id, subscription_id) DO NOTHING RETURNING id`, [randomUUID(), e.id, s.id, this.clock.now()]);
          created += rows.length;
        }
        await tx.query('UPDATE api_events SET fanned_out_at = $2 WHERE id = $1', [e.id, this.clock.now()]);
      }
      return created;
    });
  }

  /**
   * Sends due deliveries. Each is claimed with a lease (FOR UPDATE SKIP LOCKED, so several processes never send the
   * same one at once), then sent outside any transaction (an HTTP call must not hold the database). A 2xx marks it
   * delivered; anything else retries with backoff until MAX_ATTEMPTS. If the process dies mid-send the lease lapses and
   * the delivery is sent again: at least once, and receivers drop repeats by the event id.
   */
  async deliverDue(fetchImpl: Fetch = fetch as unknown as Fetch, opts: { batch?: number; timeoutMs?: number } = {}): Promise<{ delivered: number; failed: number }> {
    const now = this.clock.now();
    const claimed = await this.db.transaction((tx) =>
      tx.query<{ id: string; event_id: string; attempts: number; url: string; secret_enc: string; subscription_id: string; type: string; occurred_at: Date; data: Record<string, unknown> }>(
        `WITH due AS (
           SELECT d.id FROM api_webhook_deliveries d
            WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until < $1)
            ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE api_webhook_deliveries d SET locked_until = $2, attempts = d.attempts + 1
           FROM due, api_webhook_subscriptions s, api_events e
          WHERE d.id = due.id AND s.id = d.subscription_id AND e.id = d.event_id
          RETURNING d.id, d.event_id, d.attempts, s.url, s.secret_enc, s.id AS subscription_id, e.type, e.occurred_at, e.data`,
        [now, new Date(now.getTime() + 60_000), opts.batch ?? 20],
      ),
    );
    let delivered = 0;
    let failed = 0;
    for (const d of claimed) {
      const body = JSON.stringify({ id: d.event_id, type: d.type, occurredAt: new Date(d.occurred_at).toISOString(), data: d.data });
      const timestamp = Math.floor(this.clock.now().getTime() / 1000);
      const secret = this.cipher.decrypt(d.secret_enc, cipherCtx(d.subscription_id));
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetchImpl(d.url, {
          method: 'POST', body, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
          headers: { 'content-type': 'application/json', 'user-agent': 'Tandem-Webhooks/1', [EVENT_ID_HEADER]: d.event_id, [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: sign(secret, timestamp, body) },
        });
        status = res.status;
        if (status < 200 || status > 299) error = `HTTP ${status}`;
      } catch (err) {
        error = (err as Error).message.slice(0, 500);
      }
      const at = this.clock.now();
      if (!error) {
        delivered++;
        await this.db.query('UPDATE api_webhook_deliveries SET delivered_at = $2, locked_until = NULL, last_status = $3, last_error = NULL WHERE id = $1', [d.id, at, status]);
      } else {
        failed++;
        const giveUp = d.attempts >= MAX_ATTEMPTS;
        await this.db.query('UPDATE api_webhook_deliveries SET locked_until = NULL, last_status = $2, last_error = $3, next_attempt_at = $4, failed_at = $5 WHERE id = $1',
          [d.id, status, error, new Date(at.getTime() + backoffMs(d.attempts)), giveUp ? at : null]);
      }
    }
    return { delivered, failed };
  }
}

/** Runs fan-out and delivery every few seconds in each server process (started when the server listens). */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly webhooks: WebhookService, private readonly opts: { pollMs?: number; log?: (msg: string, extra?: object) => void } = {}) {}

  start(): void {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      this.running = (async () => {
        await this.webhooks.fanOut();
        await this.webhooks.deliverDue();
      })().catch((err) => this.opts.log?.('webhook dispatch failed', { err: (err as Error).message }));
      await this.running;
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? 2000);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
