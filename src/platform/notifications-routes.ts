import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { requireSignIn } from './auth/routes.ts';
import { notFound } from './errors.ts';

const PAGE = 25;

/** A user's own in-app notifications (reminders and alerts written by background jobs). */
export async function notificationRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get('/notifications', { preHandler: requireSignIn }, async (request, reply) => {
    const q = z.object({ page: z.coerce.number().int().min(1).catch(1), show: z.enum(['unread', 'all']).catch('unread') }).parse(request.query ?? {});
    const userId = request.principal!.userId;
    const unreadOnly = q.show === 'unread' ? 'AND read_at IS NULL' : '';
    const [{ n }] = (await services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 ${unreadOnly}`, [userId])) as [{ n: number }];
    const rows = await services.db.query<{ id: string; kind: string; message: string; link: string | null; created_at: Date; read_at: Date | null }>(
      `SELECT id, kind, message, link, created_at, read_at FROM notifications WHERE user_id = $1 ${unreadOnly}
        ORDER BY created_at DESC LIMIT ${PAGE} OFFSET ${(q.page - 1) * PAGE}`,
      [userId],
    );
    return reply.render('notifications.njk', { pageTitle: 'Notifications', rows, total: n, query: q, pages: Math.max(1, Math.ceil(n / PAGE)) });
  });

  app.post<{ Params: { id: string } }>('/notifications/:id/read', { preHandler: requireSignIn }, async (request, reply) => {
    if (!/^[0-9a-f-]{36}$/i.test(request.params.id)) throw notFound();
    const rows = await services.db.query<{ link: string | null }>(
      'UPDATE notifications SET read_at = coalesce(read_at, $3) WHERE id = $1 AND user_id = $2 RETURNING link',
      [request.params.id, request.principal!.userId, services.clock.now()],
    );
    if (!rows[0]) throw notFound();
    return reply.redirect(rows[0].link && rows[0].link.startsWith('/') && !rows[0].link.startsWith('//') ? rows[0].link : '/notifications', 303);
  });

  app.post('/notifications/read-all', { preHandler: requireSignIn }, async (request, reply) => {
    await services.db.query('UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL', [request.principal!.userId, services.clock.now()]);
    return reply.redirect('/notifications', 303);
  });
}

/** Unread count for the navigation badge. */
export async function unreadCount(services: Services, userId: string): Promise<number> {
  const [row] = await services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL', [userId]);
  return row?.n ?? 0;
}
