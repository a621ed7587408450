import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Services } from '../services.ts';

/** Liveness and readiness for load balancers and operators: no session, no case data. */
export async function healthRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  app.get('/ping', async () => ({ status: 'UP' }));

  app.get('/health', async (_request, reply) => {
    const started = performance.now();
    let database: { status: 'UP' | 'DOWN'; kind: string; responseTimeMs?: number; error?: string };
    try {
      await services.db.query('SELECT 1');
      database = { status: 'UP', kind: services.db.kind, responseTimeMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (err) {
      database = { status: 'DOWN', kind: services.db.kind, error: (err as Error).message };
    }
    const status = database.status;
    return reply.code(status === 'UP' ? 200 : 503).header('cache-control', 'no-store').send({ status, components: { database } });
  });

  app.get('/info', async () => ({
    name: 'tandem',
    version: config.version,
    git: { commit: config.gitCommit || 'unknown' },
    database: services.db.kind,
  }));
}
