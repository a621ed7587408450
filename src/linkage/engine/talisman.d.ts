// Type declarations for the parts of `talisman` (CommonJS, ships no typings) used by the linkage engine.
declare module 'talisman/metrics/jaro-winkler.js' {
  /** Jaro-Winkler similarity in [0, 1]. */
  const jaroWinkler: (a: string, b: string) => number;
  export default jaroWinkler;
}
declare module 'talisman/metrics/damerau-levenshtein.js' {
  interface DamerauLevenshtein {
    (a: string, b: string): number;
    /** Distance, or Infinity when it exceeds `max`. */
    limited(max: number, a: string, b: string): number;
  }
  const damerauLevenshtein: DamerauLevenshtein;
  export default damerauLevenshtein;
}
