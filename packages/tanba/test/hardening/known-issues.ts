// Defects the hardening suite found in packages whose developers were still at work when it was
// written (so they could not be fixed here). A problem that matches one is reported, written to
// out/hardening/known-issues.json and listed in docs/security.md, but does not fail the suite;
// any other problem does. Remove an entry once its package is fixed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OUT } from './helpers.js'

export interface KnownIssue {
  id: string
  /** The package that has to change. */
  pkg: string
  summary: string
  /** True when a problem line (case description + problem) is this issue. */
  matches: (problem: string) => boolean
}

// Fixed so far (each with a regression test in its package): the PDF metadata-only stamp of a repaired
// file, YAML front matter nested thousands deep, an animated WebP without VP8X, XMP line separators.
export const KNOWN_ISSUES: readonly KnownIssue[] = []

const seen = new Map<string, string[]>()

/** Splits problems into unknown ones (returned) and known ones (recorded). */
export function withoutKnown(problems: string[]): string[] {
  const unknown: string[] = []
  for (const p of problems) {
    const issue = KNOWN_ISSUES.find((k) => k.matches(p))
    if (!issue) unknown.push(p)
    else seen.set(issue.id, [...(seen.get(issue.id) ?? []), p])
  }
  return unknown
}

/** Writes what was seen of the known issues (called from afterAll). */
export function writeKnown(file: string): void {
  if (!seen.size) return
  mkdirSync(OUT, { recursive: true })
  const out = KNOWN_ISSUES.filter((k) => seen.has(k.id)).map((k) => ({ id: k.id, pkg: k.pkg, summary: k.summary, cases: seen.get(k.id)!.slice(0, 20), count: seen.get(k.id)!.length }))
  writeFileSync(join(OUT, file), JSON.stringify(out, null, 2))
  for (const k of out) console.warn(`known issue ${k.id} (${k.pkg}): ${k.count} case(s), e.g. ${k.cases[0]}`)
}
