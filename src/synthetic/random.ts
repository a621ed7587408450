import type { Faker } from '@faker-js/faker';

/** The only randomness the generator uses: a seeded source, so the same seed always gives the same data. */
export interface Rng {
  /** Uniform in [0, 1). */
  float(): number;
}

/** Draws from a seeded Faker instance, so faker's own generators and ours share one deterministic stream. */
export function fakerRng(faker: Faker): Rng {
  return { float: () => faker.number.float() };
}

/** Small stand-alone PRNG (mulberry32) for unit tests of the pure helpers. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    float() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Integer in [min, max] inclusive. */
export function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng.float() * (max - min + 1));
}

export function chance(rng: Rng, p: number): boolean {
  return rng.float() < p;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(rng.float() * items.length)] as T;
}

/** Picks towards the front of a list ordered by frequency (skew > 1 favours the first entries). */
export function pickSkewed<T>(rng: Rng, items: readonly T[], skew = 1.8): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(Math.pow(rng.float(), skew) * items.length)] as T;
}

export function weighted<T>(rng: Rng, options: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of options) total += w;
  let u = rng.float() * total;
  for (const [v, w] of options) {
    u -= w;
    if (u < 0) return v;
  }
  const last = options[options.length - 1];
  if (!last) throw new Error('weighted pick from an empty list');
  return last[0];
}

/** Standard normal via Box–Muller. */
export function normal(rng: Rng): number {
  const u = 1 - rng.float();
  const v = rng.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Log-normal duration with the given median; heavy right tail like real investigation times. */
export function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
