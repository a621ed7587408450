import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

// Placeholder, replaced by the audit page implementation.
export async function auditRoutes(_app: FastifyInstance, _opts: { services: Services }) {}
