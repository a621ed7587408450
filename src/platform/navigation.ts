import { can, canScrutiny, performanceScope } from './policy.ts';
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
  if (can(principal, 'programme:read')) items.push({ href: '/programme', text: 'Programme' });
  if (performanceScope(principal)) items.push({ href: '/performance', text: 'Performance' });
  if (can(principal, 'linkage:sharing-requests')) items.push({ href: '/linkage/sharing-requests', text: 'Sharing requests' });
  if (canScrutiny(principal, 'scrutiny:review')) items.push({ href: '/scrutiny', text: 'Scrutiny panels' });
  else if (canScrutiny(principal, 'scrutiny:learning')) items.push({ href: '/scrutiny/learning', text: 'Scrutiny learning' });
  if (canScrutiny(principal, 'joim:manage')) items.push({ href: '/joims', text: 'JOIMs' });
  if (can(principal, 'audit:read')) items.push({ href: '/admin/audit', text: 'Audit log' });
  if (can(principal, 'api:manage-clients')) items.push({ href: '/admin/api-clients', text: 'API clients' });
  if (can(principal, 'reference:read')) items.push({ href: '/reference', text: 'Reference data' });
  items.push({ href: '/notifications', text: unread > 0 ? `Notifications (${unread})` : 'Notifications' });
  items.push({ href: '/account', text: 'Your account' });
  return items.map((i) => ({ ...i, active: currentUrl === i.href || currentUrl.startsWith(`${i.href}/`) || currentUrl.startsWith(`${i.href}?`) }));
}
