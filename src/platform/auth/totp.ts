import { authenticator } from 'otplib';
import QRCode from 'qrcode';
import type { Clock } from '../clock.ts';

// RFC 6238 defaults (SHA-1, 6 digits, 30 s) for compatibility with every authenticator app; one step either side
// allows for clock drift. Time comes from the injected clock (epoch in ms), via a clone per call.
const at = (date: Date) => authenticator.clone({ window: 1, epoch: date.getTime() });

export function newTotpSecret(): string {
  return authenticator.generateSecret(20);
}

export function totpCode(secret: string, when: Date): string {
  return at(when).generate(secret);
}

export function verifyTotp(secret: string, code: string, clock: Clock): boolean {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return false;
  return at(clock.now()).check(token, secret);
}

export function otpauthUri(username: string, secret: string): string {
  return authenticator.keyuri(username, 'Tandem', secret);
}

/** QR code as inline SVG markup (no external image request, works with a strict CSP). */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', margin: 1, width: 200 });
}
