// Message rules: each package declares the closed set of rules its messages use, with fixed
// fatality and a meaning, and builds every ReportMessage through it. docs/report.md is generated
// from these sets (scripts/gen-report-doc.mjs), so a rule cannot be reported without being listed.
import type { ReportMessage } from './report.js'

/**
 * Whether a message under the rule makes the label invalid: always, never, or only when the
 * caller asked for trust (`requireTrusted`), which is how an untrusted signature works.
 */
export type RuleFatality = boolean | 'requireTrusted'

/** Where a rule's messages appear: in verification reports, in stamp results, or both. */
export type RuleWhere = 'verify' | 'stamp' | 'both'

export interface RuleInfo {
  readonly fatal: RuleFatality
  readonly where: RuleWhere
  /** One sentence: what the finding means (the reason of each message says the particulars). */
  readonly meaning: string
}

export interface MessageOptions {
  carrier?: string
  /** For rules whose fatality is 'requireTrusted'. */
  requireTrusted?: boolean
}

/** A package's rules, and the one way to make a message under them. */
export interface RuleSet<R extends string = string> {
  /** The package the rules belong to (ReportMessage.source), e.g. "@tanba/core". */
  readonly source: string
  readonly rules: Readonly<Record<R, RuleInfo>>
  /** Rule-id patterns the set also owns (e.g. "c2pa.<validation code>"), for the docs. */
  readonly patterns: Readonly<Record<string, RuleInfo>>
  message(rule: R, reason: string, options?: MessageOptions): ReportMessage
  /** True when `rule` is one of this set's ids. */
  has(rule: string): rule is R
}

const registry = new Map<string, RuleSet>()

/**
 * Declares a package's message rules. Each rule id belongs to exactly one set, and ids are
 * "<area>.<name>" in lower case with dots and dashes.
 */
export function defineRules<const T extends Record<string, RuleInfo>>(
  source: string,
  rules: T,
  patterns: Record<string, RuleInfo> = {},
): RuleSet<keyof T & string> {
  for (const id of Object.keys(rules)) {
    if (!/^[a-z0-9]+(?:[.-][a-zA-Z0-9]+)+$/.test(id)) throw new TypeError(`Expected a rule id like "area.name" but received "${id}" (${source})`)
  }
  const set: RuleSet<keyof T & string> = {
    source,
    rules: Object.freeze({ ...rules }),
    patterns: Object.freeze({ ...patterns }),
    message(rule, reason, options = {}) {
      const info = rules[rule]
      if (!info) throw new TypeError(`Unknown rule "${rule}" for ${source}`)
      const fatal = info.fatal === 'requireTrusted' ? Boolean(options.requireTrusted) : info.fatal
      return { rule, source, ...(options.carrier !== undefined ? { carrier: options.carrier } : {}), fatal, reason }
    },
    has: (rule: string): rule is keyof T & string => Object.hasOwn(rules, rule),
  }
  const previous = registry.get(source)
  if (previous) {
    // A module loaded twice (two copies of a package) declares the same set again: keep the first.
    return previous as RuleSet<keyof T & string>
  }
  for (const other of registry.values()) {
    const clash = Object.keys(rules).find((id) => other.has(id))
    if (clash) throw new TypeError(`Rule "${clash}" is declared by both ${other.source} and ${source}`)
  }
  registry.set(source, set as unknown as RuleSet)
  return set
}

/**
 * The set and entry of a rule id among the sets declared so far; ids of a set's pattern (only
 * C2PA's `c2pa.<validation code>`: any other `c2pa.` id) resolve to that pattern.
 */
export function findRule(rule: string): { set: RuleSet; info: RuleInfo } | undefined {
  for (const set of registry.values()) if (set.has(rule)) return { set, info: set.rules[rule]! }
  for (const set of registry.values()) {
    for (const [pattern, info] of Object.entries(set.patterns)) {
      const prefix = pattern.slice(0, pattern.indexOf('<'))
      if (rule.startsWith(prefix)) return { set, info }
    }
  }
  return undefined
}

/** Every rule set declared so far (a package declares its set when it is loaded). */
export function ruleSets(): RuleSet[] {
  return [...registry.values()]
}
