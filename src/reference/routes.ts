import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

// Placeholder, replaced by the reference data pages.
export async function referenceRoutes(_app: FastifyInstance, _opts: { services: Services }) {}
