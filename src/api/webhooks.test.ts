import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.ts';
import { FixedClock } from '../platform/clock.ts';
import type { Services } from '../services.ts';
import { createUser, testApp, testDb } from '../testing/harness.ts';
import { apiAgent, caseBody, count, registerClient, tokenFor } from './test-support.ts';
import { EVENT_ID_HEADER, type Fetch, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature, WebhookService } from './webhooks.ts';

interface Received { url: string; headers: Record<string, string>; body: string }

describe('webhooks: events out through the outbox, signed, retried, deduplicated', () => {
  let db: Db;
  let app: FastifyInstance;
  let services: Services;
  let webhooks: WebhookService;
  const clock = new FixedClock(new Date('2025-03-03T10:00:00Z'));
  let hants: ReturnType<typeof apiAgent>;
  let kent: ReturnType<typeof apiAgent>;
  let hantsSecret: string;
  let kentSubId: string;
  const received: Received[] = [];
  let respond = 200;
  const fakeFetch: Fetch = async (url, init) => {
    received.push({ url, headers: init.headers, body: init.body });
    return { status: respond };
  };

  beforeAll(async () => {
    db = await testDb();
    ({ app, services } = await testApp(db, { clock }));
    webhooks = new WebhookService(db, services.cipher, services.audit, clock, { allowHttp: true });
    const adminId = await createUser(db, { username: 'admin', organisationId: 'national', roles: ['admin'] });
    const scopes = ['cases:read', 'cases:write', 'early-advice:write', 'charging:write', 'webhooks:manage'] as const;
    hants = apiAgent(app, await tokenFor(app, await registerClient(services, adminId, { name: 'Niche', organisationId: 'force-hampshire-and-isle-of-wight', scopes: [...scopes] })));
    kent = apiAgent(app, await tokenFor(app, await registerClient(services, adminId, { name: 'Athena', organisationId: 'force-kent', scopes: [...scopes] })));
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('subscribes with a signing secret shown once; refuses bad input and writes nothing', async () => {
    const bad = await hants.post('/api/v1/webhook-subscriptions', { url: 'not a url', eventTypes: [] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['url', 'eventTypes']);
    const ftp = await hants.post('/api/v1/webhook-subscriptions', { url: 'ftp://example.invalid/hook', eventTypes: ['case.created'] });
    expect(ftp.statusCode).toBe(400);
    expect(await count(db, 'api_webhook_subscriptions')).toBe(0);

    const res = await hants.post('/api/v1/webhook-subscriptions', { url: 'https://niche.example.invalid/tandem', eventTypes: ['case.created', 'early-advice.requested', 'charging.file-submitted'] });
    expect(res.statusCode).toBe(201);
    hantsSecret = res.json().secret;
    expect(hantsSecret).toMatch(/^whsec_/);
    const [row] = await db.query<{ secret_enc: string }>('SELECT secret_enc FROM api_webhook_subscriptions WHERE id = $1', [res.json().id]);
    expect(row!.secret_enc).not.toContain(hantsSecret);
    const list = await hants.get('/api/v1/webhook-subscriptions');
    expect(list.json().items).toHaveLength(1);
    expect(list.json().items[0].secret).toBeUndefined();
    kentSubId = (await kent.post('/api/v1/webhook-subscriptions', { url: 'https://athena.example.invalid/hook', eventTypes: ['case.created'] })).json().id;
  });

  it('writes the event in the same transaction as the change: a rolled-back change leaves no event', async () => {
    const before = await count(db, 'api_events');
    await expect(db.transaction(async (tx) => {
      await tx.query(`INSERT INTO cases (id, reference, force_id, cps_area_id, stage, reported_at, created_at, updated_at)
        VALUES (gen_random_uuid(), 'TEST-ROLLBACK', 'hampshire-and-isle-of-wight', (SELECT cps_area_id FROM force_area_map WHERE force_id = 'hampshire-and-isle-of-wight' AND is_primary), 'investigation', '2025-02-10', now(), now())`);
      expect((await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM api_events'))[0]!.n).toBe(before + 1);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await count(db, 'api_events')).toBe(before);
  });

  it('delivers case events only to clients whose organisation may see the case, signed with HMAC-SHA256 and a timestamp, without victim identity', async () => {
    const created = await hants.post('/api/v1/cases', caseBody());
    const caseId = created.json().id as string;
    await hants.post(`/api/v1/cases/${caseId}/victims`, {
      givenName: 'Amelia', familyName: 'Quintrell', dateOfBirth: '1998-06-14', contactMethod: 'phone', mayLeaveMessage: 'no', interviewerSex: 'female', enhancedRights: 'yes', phone: '07700 900123',
    });
    expect((await hants.post(`/api/v1/cases/${caseId}/early-advice-requests`, { caseSummary: 'V1 Amelia reports...', questions: 'Charge?', strategy: 'Enquiries', priority: 'standard' })).statusCode).toBe(201);
    expect(await count(db, 'api_events WHERE case_id = $1', [caseId])).toBe(2);

    expect(await webhooks.fanOut()).toBe(2); // Hampshire: case.created + early-advice.requested; Kent: nothing
    expect(await count(db, 'api_webhook_deliveries WHERE subscription_id = $1', [kentSubId])).toBe(0);
    expect(await webhooks.fanOut()).toBe(0); // fanned out once

    received.length = 0;
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 2, failed: 0 });
    expect(received.map((r) => JSON.parse(r.body).type).sort()).toEqual(['case.created', 'early-advice.requested']);
    for (const r of received) {
      expect(r.url).toBe('https://niche.example.invalid/tandem');
      const ts = Number(r.headers[TIMESTAMP_HEADER]);
      expect(ts).toBe(Math.floor(clock.now().getTime() / 1000));
      expect(verifySignature(hantsSecret, r.headers[SIGNATURE_HEADER]!, ts, r.body, ts)).toBe(true);
      expect(verifySignature(hantsSecret, r.headers[SIGNATURE_HEADER]!, ts, r.body.replace('"case', '"kase'), ts)).toBe(false);
      expect(verifySignature('whsec_wrong', r.headers[SIGNATURE_HEADER]!, ts, r.body, ts)).toBe(false);
      expect(verifySignature(hantsSecret, r.headers[SIGNATURE_HEADER]!, ts, r.body, ts + 301)).toBe(false); // a replay later on
      const event = JSON.parse(r.body);
      expect(r.headers[EVENT_ID_HEADER]).toBe(event.id);
      expect(event.data).toMatchObject({ caseId, caseReference: created.json().reference, forceId: 'hampshire-and-isle-of-wight' });
      expect(r.body).not.toMatch(/Amelia|Quintrell|07700|1998-06-14/);
    }
    // Nothing in the outbox holds victim identity either.
    const outbox = JSON.stringify(await db.query('SELECT data FROM api_events'));
    expect(outbox).not.toMatch(/Amelia|Quintrell/);
  });

  it('retries a failed delivery with backoff, keeping the same event id so the receiver can drop repeats', async () => {
    await hants.post('/api/v1/cases', caseBody({ summary: 'Second case' }));
    await webhooks.fanOut();
    received.length = 0;
    respond = 503;
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 0, failed: 1 });
    const [d] = await db.query<{ attempts: number; next_attempt_at: Date; last_error: string }>('SELECT attempts, next_attempt_at, last_error FROM api_webhook_deliveries WHERE delivered_at IS NULL');
    expect(d).toMatchObject({ attempts: 1, last_error: 'HTTP 503' });
    expect(new Date(d!.next_attempt_at).getTime() - clock.now().getTime()).toBe(10_000);
    respond = 200;
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 0, failed: 0 }); // not due yet
    clock.advance(10_000);
    const thrown: Fetch = async () => { throw new Error('connect ECONNREFUSED'); };
    expect(await webhooks.deliverDue(thrown)).toEqual({ delivered: 0, failed: 1 });
    clock.advance(19_999);
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 0, failed: 0 }); // second backoff is 20 s
    clock.advance(1);
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 1, failed: 0 });
    expect(received).toHaveLength(2);
    expect(received[0]!.headers[EVENT_ID_HEADER]).toBe(received[1]!.headers[EVENT_ID_HEADER]);
    expect(JSON.parse(received[0]!.body).id).toBe(JSON.parse(received[1]!.body).id);
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 0, failed: 0 }); // delivered: never sent again
  });

  it('sends again after a crash mid-send (the claim’s lease lapses): at least once', async () => {
    await hants.post('/api/v1/cases', caseBody({ summary: 'Third case' }));
    await webhooks.fanOut();
    // A process claimed the delivery and died before recording the result.
    await db.query(`UPDATE api_webhook_deliveries SET locked_until = $1, attempts = 1 WHERE delivered_at IS NULL`, [new Date(clock.now().getTime() + 60_000)]);
    received.length = 0;
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 0, failed: 0 });
    clock.advance(60_001);
    expect(await webhooks.deliverDue(fakeFetch)).toEqual({ delivered: 1, failed: 0 });
  });

  it('delivers over real HTTP to a receiver that verifies the signature', async () => {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const ts = Number(req.headers[TIMESTAMP_HEADER]);
        const ok = verifySignature(secret, String(req.headers[SIGNATURE_HEADER]), ts, body, ts);
        if (ok) bodies.push(body);
        res.writeHead(ok ? 204 : 400).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // Only this receiver is listening: the earlier (example.invalid) subscriptions are switched off for this test.
    await db.query("UPDATE api_webhook_subscriptions SET active = false WHERE url LIKE 'https://%'");
    const sub = await hants.post('/api/v1/webhook-subscriptions', { url: `http://127.0.0.1:${port}/hook`, eventTypes: ['charging.file-submitted', 'charging.decision-recorded'] });
    const secret = sub.json().secret as string;
    try {
      const caseId = (await hants.post('/api/v1/cases', caseBody({ summary: 'Fourth case' }))).json().id;
      expect((await hants.post(`/api/v1/cases/${caseId}/charging-submissions`, { provided: [], notApplicable: [], summary: 'File' })).statusCode).toBe(201);
      const prosecutorId = await createUser(db, { username: 'pros', organisationId: 'rasso-wessex', roles: ['prosecutor'] });
      const prosecutor = (await services.identity.principal(prosecutorId))!;
      await services.charging.decide(prosecutor, caseId, { decision: 'charge_full_code', version: 1, evidentialReasons: 'Realistic prospect of conviction.', publicInterestReasons: 'Serious offence.', offences: ['SOA2003-s1'] });
      await webhooks.fanOut();
      const result = await webhooks.deliverDue();
      expect(result).toEqual({ delivered: 2, failed: 0 });
      expect(bodies.map((b) => JSON.parse(b).type).sort()).toEqual(['charging.decision-recorded', 'charging.file-submitted']);
      expect(bodies.map((b) => JSON.parse(b).data)).toEqual(expect.arrayContaining([
        expect.objectContaining({ caseId, sequence: 1 }), expect.objectContaining({ caseId, decision: 'charge_full_code' }),
      ]));
      // and the force's system reads the decision back
      const decisions = (await hants.get(`/api/v1/cases/${caseId}/decisions`)).json();
      expect(decisions.decisions).toEqual([expect.objectContaining({ decision: 'charge_full_code', offences: ['SOA2003-s1'] })]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('stops delivering after the subscription is deleted; another client cannot delete it (404)', async () => {
    const subs = (await hants.get('/api/v1/webhook-subscriptions')).json().items as { id: string }[];
    expect((await kent.delete(`/api/v1/webhook-subscriptions/${subs[0]!.id}`)).statusCode).toBe(404);
    for (const s of subs) expect((await hants.delete(`/api/v1/webhook-subscriptions/${s.id}`, { 'idempotency-key': `delete-${s.id}` })).statusCode).toBe(204);
    // a retry of the same delete gets the same answer
    const retry = await hants.delete(`/api/v1/webhook-subscriptions/${subs[0]!.id}`, { 'idempotency-key': `delete-${subs[0]!.id}` });
    expect(retry.statusCode).toBe(204);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const before = await count(db, 'api_webhook_deliveries');
    await hants.post('/api/v1/cases', caseBody({ summary: 'Fifth case' }));
    await webhooks.fanOut();
    expect(await count(db, 'api_webhook_deliveries')).toBe(before);
  });
});
