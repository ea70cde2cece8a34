// Statistics shared by every benchmark row (scripts/bench-lib.mjs re-exports them): the median
// and spread of per-round ratios, and the verdict on a target judged on the median.

/** Median of a list of numbers (the middle one; the mean of the middle two for an even count). */
export function median(xs) {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** { min, median, max } of a list of numbers. */
export function spread(xs) {
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs) }
}

/**
 * Whether `value` meets `target` ({ max } means value <= max, { min } means value >= min);
 * null when there is no target.
 */
export function meets(value, target) {
  if (!target) return null
  return target.max !== undefined ? value <= target.max : value >= target.min
}

/**
 * The verdict on a target from every round's value: "yes" or "no" when every round agrees with the
 * median's judgement, "unstable" when the spread (min..max) crosses the target, "-" without one.
 */
export function verdict(values, target) {
  if (!target || values.length === 0) return '-'
  const s = spread(values)
  const lo = meets(s.min, target)
  const hi = meets(s.max, target)
  if (lo !== hi) return 'unstable'
  return meets(s.median, target) ? 'yes' : 'no'
}

/** Rounds to use for a pair whose one round (operation + baseline) took `roundMs`. */
export function roundsFor(roundMs, { rounds = 5, shortRounds = 11, shortMs = 50 } = {}) {
  return Math.max(5, roundMs < shortMs ? Math.max(rounds, shortRounds) : rounds)
}
