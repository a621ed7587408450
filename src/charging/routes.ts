import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';

export async function chargingRoutes(_app: FastifyInstance, _opts: { services: Services }) {}
