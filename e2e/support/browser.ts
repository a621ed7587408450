import { statfsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Containers often mount a 64 MB /dev/shm, which crashes chromium's renderers: then it should use /tmp instead. */
function smallSharedMemory(): boolean {
  try {
    const fs = statfsSync('/dev/shm');
    return fs.blocks * fs.bsize < 512 * 1024 * 1024;
  } catch {
    return false;
  }
}

export function launchBrowser(): Promise<Browser> {
  const args = smallSharedMemory() ? [...CHROMIUM_ARGS, '--disable-dev-shm-usage'] : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Content Security Policy violations and uncaught script errors seen so far: a test should end with none. */
  problems: string[];
}

/**
 * A fresh browser profile (no cookies) on the app. The page keeps the app's real CSP: axe is injected through the
 * DevTools protocol (see axe.ts), which CSP does not govern, so there is no need for bypassCSP.
 */
export async function newSession(browser: Browser, baseUrl: string): Promise<Session> {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'en-GB', timezoneId: 'Europe/London', viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught error on ${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) problems.push(`CSP violation on ${page.url()}: ${message.text()}`);
  });
  return { context, page, problems };
}
