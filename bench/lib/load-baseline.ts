/**
 * Child process of the load benchmark: the baseline. A bare Fastify server (no plugins, no session, no policy, no
 * audit, no template) with one route that does one primary-key query through a `pg` Pool of the same size as the
 * app's, and returns the row as JSON. What the app's requests cost above this is the app's own work.
 *
 * Env: BENCH_DATABASE_URL, BENCH_SCHEMA, BENCH_POOL. Prints `{"listening": port}` when ready; stops on SIGTERM.
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.BENCH_DATABASE_URL!, max: Number(process.env.BENCH_POOL ?? 10), options: `-c search_path=${process.env.BENCH_SCHEMA!}`,
});
const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/cases/:id', async (request, reply) => {
  const { rows } = await pool.query('SELECT id, reference, force_id, cps_area_id, stage, reported_at, referred_at, version FROM cases WHERE id = $1', [request.params.id]);
  if (!rows[0]) return reply.code(404).send({ status: 404 });
  return rows[0];
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : 0, pid: process.pid })}\n`);

process.once('SIGTERM', async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});
