import { can } from './policy.ts';
import type { Principal } from './principal.ts';

/** The service navigation a principal sees: only what their roles allow. */
export function navigationFor(principal: Principal, currentUrl: string, unread = 0) {
  const items: { href: string; text: string }[] = [];
  if (can(principal, 'case:list')) items.push({ href: '/cases', text: 'Cases' });
  if (can(principal, 'ea:triage')) items.push({ href: '/early-advice', text: 'Early Advice' });
  if (can(principal, 'isva:mailbox')) items.push({ href: '/isva/victims', text: 'Victims you support' }, { href: '/isva/queries', text: 'ISVA mailbox' });
  if (can(principal, 'isva:inbox')) items.push({ href: '/victim-care/inbox', text: 'ISVA queries' });
  if (can(principal, 'vlo:worklist')) items.push({ href: '/victim-care/worklist', text: 'Victim liaison' });
  if (can(principal, 'victims:dashboard')) items.push({ href: '/victim-care/dashboard', text: 'Victims’ Code' });
  if (can(principal, 'audit:read')) items.push({ href: '/admin/audit', text: 'Audit log' });
  if (can(principal, 'reference:read')) items.push({ href: '/reference', text: 'Reference data' });
  items.push({ href: '/notifications', text: unread > 0 ? `Notifications (${unread})` : 'Notifications' });
  items.push({ href: '/account', text: 'Your account' });
  return items.map((i) => ({ ...i, active: currentUrl === i.href || currentUrl.startsWith(`${i.href}/`) || currentUrl.startsWith(`${i.href}?`) }));
}
