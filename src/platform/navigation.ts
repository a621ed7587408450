import { can } from './policy.ts';
import type { Principal } from './principal.ts';

/** The service navigation a principal sees: only what their roles allow. */
export function navigationFor(principal: Principal, currentUrl: string, unread = 0) {
  const items: { href: string; text: string }[] = [];
  if (can(principal, 'case:list')) items.push({ href: '/cases', text: 'Cases' });
  if (can(principal, 'audit:read')) items.push({ href: '/admin/audit', text: 'Audit log' });
  if (can(principal, 'reference:read')) items.push({ href: '/reference', text: 'Reference data' });
  items.push({ href: '/notifications', text: unread > 0 ? `Notifications (${unread})` : 'Notifications' });
  items.push({ href: '/account', text: 'Your account' });
  return items.map((i) => ({ ...i, active: currentUrl === i.href || currentUrl.startsWith(`${i.href}/`) || currentUrl.startsWith(`${i.href}?`) }));
}
