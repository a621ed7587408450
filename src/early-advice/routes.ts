import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

export async function earlyAdviceRoutes(_app: FastifyInstance, _opts: { services: Services }) {}
