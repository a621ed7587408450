import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.ts';
import type { Clock } from './clock.ts';

export interface Job<P = Record<string, unknown>> {
  id: number;
  kind: string;
  payload: P;
  attempts: number;
  dedupe_key: string | null;
}

/** A handler runs inside the transaction that marks its job done, so its database effects and "done" commit together. */
export type JobHandler = (job: Job, tx: Queryable) => Promise<void>;

/**
 * Enqueue work in the caller's transaction (transactional outbox): the job exists if and only if the change that
 * caused it committed. A dedupe key makes enqueueing idempotent.
 */
export async function enqueue(tx: Queryable, clock: Clock, kind: string, payload: Record<string, unknown>, opts: { runAt?: Date; dedupeKey?: string; maxAttempts?: number } = {}): Promise<void> {
  await tx.query(
    `INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at) VALUES ($1,$2,$3,$4,$5,$6)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [kind, JSON.stringify(payload), opts.dedupeKey ?? null, opts.runAt ?? clock.now(), opts.maxAttempts ?? 10, clock.now()],
  );
}

/**
 * Polls the jobs table. Claims due jobs with FOR UPDATE SKIP LOCKED (several workers, several processes), runs each
 * handler in a transaction that also marks the job done, retries failures with exponential backoff, and gives up
 * after max_attempts. A claim lasts `leaseMs`: if the process dies mid-job the job runs again after that (at least
 * once); handlers keep effects idempotent (e.g. notifications have a unique dedupe key) so each effect happens once.
 */
export class JobWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  readonly id = `worker-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly handlers: Record<string, JobHandler>,
    private readonly opts: { pollMs?: number; batch?: number; leaseMs?: number; log?: (msg: string, extra?: object) => void } = {},
  ) {}

  start(): void {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      this.running = this.runDue().catch((err) => this.opts.log?.('job poll failed', { err: (err as Error).message }));
      await this.running;
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? 1000);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs every job due now; returns how many ran successfully. Tests call this directly with a fixed clock. */
  async runDue(): Promise<number> {
    let ok = 0;
    for (;;) {
      const claimed = await this.claim();
      if (claimed.length === 0) return ok;
      for (const job of claimed) if (await this.runOne(job)) ok++;
    }
  }

  private async claim(): Promise<Job[]> {
    const now = this.clock.now();
    return this.db.transaction((tx) =>
      tx.query<Job>(
        `UPDATE jobs SET locked_until = $2, locked_by = $3, attempts = attempts + 1
          WHERE id IN (SELECT id FROM jobs WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1
                         AND (locked_until IS NULL OR locked_until < $1)
                       ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
          RETURNING id, kind, payload, attempts, dedupe_key`,
        [now, new Date(now.getTime() + (this.opts.leaseMs ?? 60_000)), this.id, this.opts.batch ?? 20],
      ),
    );
  }

  private async runOne(job: Job): Promise<boolean> {
    const handler = this.handlers[job.kind];
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await this.db.transaction(async (tx) => {
        await handler(job, tx);
        await tx.query('UPDATE jobs SET done_at = $2, locked_until = NULL, last_error = NULL WHERE id = $1', [job.id, this.clock.now()]);
      });
      return true;
    } catch (err) {
      const message = (err as Error).message.slice(0, 1000);
      const [row] = await this.db.query<{ max_attempts: number }>('SELECT max_attempts FROM jobs WHERE id = $1', [job.id]);
      const giveUp = job.attempts >= (row?.max_attempts ?? 10);
      const backoffMs = Math.min(60 * 60_000, 2 ** job.attempts * 1000);
      await this.db.query(
        `UPDATE jobs SET locked_until = NULL, last_error = $2, run_at = $3, failed_at = $4 WHERE id = $1`,
        [job.id, message, new Date(this.clock.now().getTime() + backoffMs), giveUp ? this.clock.now() : null],
      );
      this.opts.log?.('job failed', { id: job.id, kind: job.kind, attempts: job.attempts, giveUp, error: message });
      return false;
    }
  }
}

/** Writes an in-app notification once per dedupe key, however often the job that sends it runs. */
export async function notify(tx: Queryable, clock: Clock, n: { userId: string; caseId?: string | null; kind: string; message: string; link?: string | null; dedupeKey: string }): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO notifications (id, user_id, case_id, kind, message, link, dedupe_key, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [randomUUID(), n.userId, n.caseId ?? null, n.kind, n.message, n.link ?? null, n.dedupeKey, clock.now()],
  );
  return rows.length > 0;
}
