/**
 * String metrics used by the comparisons. Thin wrappers over well-kept libraries:
 * Jaro-Winkler and Damerau-Levenshtein from `talisman`, Double Metaphone from `double-metaphone`.
 */
import jaroWinklerImpl from 'talisman/metrics/jaro-winkler.js';
import damerauLevenshtein from 'talisman/metrics/damerau-levenshtein.js';
import { doubleMetaphone } from 'double-metaphone';

/** Jaro-Winkler similarity (prefix scale 0.1, max prefix 4). 1 for equal strings, 0 when either is empty. */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return a.length ? 1 : 0;
  if (!a.length || !b.length) return 0;
  return jaroWinklerImpl(a, b);
}

/**
 * True when a and b are at most one insertion, deletion, substitution or adjacent transposition apart.
 * Hand-written (a linear scan): it runs on most candidate pairs for postcodes, dates and identifiers, and the
 * general Damerau-Levenshtein routine costs several times more there (measured in bench/linkage.ts profiles).
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  let la = a.length;
  let lb = b.length;
  if (la - lb > 1 || lb - la > 1) return false;
  if (la > lb) {
    const t = a;
    a = b;
    b = t;
    la = a.length;
    lb = b.length;
  }
  let i = 0;
  while (i < la && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (la === lb) {
    if (i === la) return true;
    // substitution at i, or transposition of i and i+1
    let j = i + 1;
    const transposed = j < la && a.charCodeAt(i) === b.charCodeAt(j) && a.charCodeAt(j) === b.charCodeAt(i);
    if (transposed) j++;
    for (; j < la; j++) if (a.charCodeAt(j) !== b.charCodeAt(j)) return false;
    return true;
  }
  // b is one longer: skip b[i]
  for (let j = i; j < la; j++) if (a.charCodeAt(j) !== b.charCodeAt(j + 1)) return false;
  return true;
}

const charCounts = new Int32Array(128);

/**
 * An upper bound of the Jaro-Winkler similarity from the characters the strings share and their common prefix.
 * When it is below a threshold the (costly) similarity itself need not be computed: the level is decided anyway.
 */
export function jaroWinklerUpperBound(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  if (!la || !lb) return 0;
  for (let i = 0; i < la; i++) charCounts[a.charCodeAt(i) & 127]!++;
  let m = 0;
  for (let i = 0; i < lb; i++) {
    const c = b.charCodeAt(i) & 127;
    if (charCounts[c]! > 0) {
      charCounts[c]!--;
      m++;
    }
  }
  for (let i = 0; i < la; i++) charCounts[a.charCodeAt(i) & 127] = 0;
  if (!m) return 0;
  const j = (m / la + m / lb + 1) / 3;
  let p = 0;
  const n = Math.min(4, la, lb);
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return j + p * 0.1 * (1 - j);
}

/** Jaro-Winkler similarity, or 0 when it is certainly below `floor` (skips the computation). */
export function jaroWinklerAbove(a: string, b: string, floor: number): number {
  if (a === b) return a.length ? 1 : 0;
  if (jaroWinklerUpperBound(a, b) < floor) return 0;
  return jaroWinkler(a, b);
}

/** True when a and b are at most `max` Damerau-Levenshtein (restricted) edits apart. */
export function withinEdits(a: string, b: string, max: number): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > max) return false;
  return damerauLevenshtein.limited(max, a, b) <= max;
}

const phoneticCache = new Map<string, readonly [string, string]>();

/** Double Metaphone codes (primary, alternate) of a normalised name, memoised (names repeat heavily). */
export function phonetic(name: string): readonly [string, string] {
  let codes = phoneticCache.get(name);
  if (codes === undefined) {
    codes = name ? doubleMetaphone(name) : ['', ''];
    if (phoneticCache.size > 500_000) phoneticCache.clear();
    phoneticCache.set(name, codes);
  }
  return codes;
}

/** Jaccard similarity of the words of two space-separated strings (no allocation). */
export function wordJaccard(a: string, b: string): number {
  if (!a || !b) return 0;
  let na = 1;
  let nb = 1;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) === 32) na++;
  for (let i = 0; i < b.length; i++) if (b.charCodeAt(i) === 32) nb++;
  let shared = 0;
  let start = 0;
  for (let i = 0; i <= a.length; i++) {
    if (i < a.length && a.charCodeAt(i) !== 32) continue;
    if (hasWord(b, a, start, i)) shared++;
    start = i + 1;
  }
  return shared / (na + nb - shared);
}

/** Does `hay` contain the word needle[s, e) delimited by spaces or the ends? */
function hasWord(hay: string, needle: string, s: number, e: number): boolean {
  const len = e - s;
  if (len <= 0) return false;
  let from = 0;
  for (;;) {
    const at = hay.indexOf(needle.slice(s, e), from);
    if (at < 0) return false;
    const before = at === 0 || hay.charCodeAt(at - 1) === 32;
    const after = at + len === hay.length || hay.charCodeAt(at + len) === 32;
    if (before && after) return true;
    from = at + 1;
  }
}

/**
 * FNV-1a hash of a string (blocking keys), folded to 30 bits so that V8 keeps it a small integer (no heap
 * allocation per key at a million records). A collision only merges two blocks.
 */
export function hashKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

/** Combine a hash with a 32-bit value (MurmurHash3 mixing step), folded to 30 bits like hashKey. */
export function mixHash(h: number, x: number): number {
  let k = Math.imul(x | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  return (h ^ (h >>> 30)) & 0x3fffffff;
}
