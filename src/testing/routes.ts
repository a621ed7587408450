import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

/**
 * Test support: the route table. Tests that must cover every route (the access matrix, the ISVA and panel leak
 * checks) read it from the built app, so a route added later is covered (or flagged) without editing the test.
 */

/**
 * Every route the built app serves, as [method, url pattern], read from Fastify's printed route tree (each level of
 * the tree is indented by four characters and appends its text to its parent's path). HEAD is left out.
 */
export function appRoutes(app: FastifyInstance): [string, string][] {
  const seen: [string, string][] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)(?:├── |└── )(\S+)(?: \(([^)]*)\))?\s*$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const parent = stack.join('');
    const path = `${parent}${m[2]!}`; // the tree splits on shared prefixes, not only at slashes
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(',').map((x) => x.trim()).filter((x) => x && x !== 'HEAD')) seen.push([method, path]);
  }
  return seen;
}

/** The routes some plugins register on their own, as [method, url pattern] (to check they all reach the app). */
export async function routesOf(plugins: ((app: FastifyInstance, opts: { services: Services }) => Promise<void>)[], services: Services): Promise<[string, string][]> {
  const { default: Fastify } = await import('fastify');
  const probe = Fastify();
  const seen: [string, string][] = [];
  probe.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') seen.push([m, r.url]);
  });
  for (const p of plugins) await probe.register(p, { services });
  await probe.ready();
  await probe.close();
  return seen;
}

/** A route pattern with its parameters filled in (unknown parameters get `fallback`, a wildcard a page that is not there). */
export function fillRoute(url: string, values: Record<string, string>, fallback: string): string {
  return url.replace(/:(\w+)/g, (_, name: string) => values[name] ?? fallback).replace(/\*$/, 'no-such-page');
}
