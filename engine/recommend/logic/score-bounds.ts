/** value in [0, 1]; 0 for NaN and +-Infinity. Branches only: six per candidate per list. */
export function clamp01(value: number): number {
  return value > 0 ? (value < 1 ? value : value === Infinity ? 0 : 1) : 0;
}

/** Scores travel as JSON: 6 decimals are plenty and keep payloads short. */
export function round(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}
