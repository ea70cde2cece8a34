// Types for scripts/bench-stats.mjs (so packages' tests can import it under strict TypeScript).
export type Target = { max: number; min?: undefined } | { min: number; max?: undefined }
export interface Spread {
  min: number
  median: number
  max: number
}
export function median(xs: readonly number[]): number
export function spread(xs: readonly number[]): Spread
export function meets(value: number, target: Target | undefined | null): boolean | null
export function verdict(values: readonly number[], target: Target | undefined | null): 'yes' | 'no' | 'unstable' | '-'
export function roundsFor(roundMs: number, options?: { rounds?: number; shortRounds?: number; shortMs?: number }): number
