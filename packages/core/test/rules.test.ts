// Message rules: closed sets with fixed fatality, the docs generated from them, and no message
// built outside a set.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { C2PA_RULES, CORE_RULES, c2paValidationMessage, defineRules, ruleSets } from '../src/index.js'

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..', '..')

describe('rule sets', () => {
  it('make messages with the source and the fatality the rule fixes', () => {
    expect(CORE_RULES.message('binding.mismatch', 'changed', { carrier: 'xmp' })).toEqual({ rule: 'binding.mismatch', source: '@tanba/core', carrier: 'xmp', fatal: true, reason: 'changed' })
    expect(CORE_RULES.message('carriers.disagree', 'differs')).toEqual({ rule: 'carriers.disagree', source: '@tanba/core', fatal: false, reason: 'differs' })
    expect(CORE_RULES.message('signature.untrusted', 'no anchor').fatal).toBe(false)
    expect(CORE_RULES.message('signature.untrusted', 'no anchor', { requireTrusted: true }).fatal).toBe(true)
    expect(C2PA_RULES.message('c2pa.stale', 'kept').source).toBe('@tanba/c2pa')
    expect(c2paValidationMessage('assertion.dataHash.mismatch', 'broken', 'c2pa')).toEqual({ rule: 'c2pa.assertion.dataHash.mismatch', source: '@tanba/c2pa', carrier: 'c2pa', fatal: false, reason: 'broken' })
  })

  it('refuse an unknown rule, a malformed id and an id another set holds', () => {
    expect(() => (CORE_RULES.message as (r: string, s: string) => unknown)('binding.nonsense', 'x')).toThrow(/Unknown rule "binding.nonsense"/)
    expect(() => defineRules('@test/bad-id', { 'NoDot': { fatal: false, where: 'verify', meaning: 'x' } })).toThrow(/area\.name/)
    expect(() => defineRules('@test/clash', { 'binding.mismatch': { fatal: false, where: 'verify', meaning: 'x' } })).toThrow(/declared by both @tanba\/core and @test\/clash/)
    expect(ruleSets().map((s) => s.source)).not.toContain('@test/clash')
  })

  it('no package builds a message by hand: every { rule, fatal } literal goes through a set', () => {
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) walk(path)
        else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name) && name !== 'rules.ts' && name !== 'core-rules.ts') {
          const text = readFileSync(path, 'utf8')
          // An object literal with a rule and a fatal key is a hand-made message (copying one
          // that exists, `rule: m.rule`, is not; type literals hold semicolons).
          for (const m of text.matchAll(/\{[^{};]*\brule: (?!\w+\.rule\b|string\b)[^{};]*\bfatal\b[^{};]*\}/g)) offenders.push(`${path.slice(ROOT.length)}: ${m[0].slice(0, 80)}`)
        }
      }
    }
    for (const pkg of readdirSync(join(ROOT, 'packages'))) if (existsSync(join(ROOT, 'packages', pkg, 'src'))) walk(join(ROOT, 'packages', pkg, 'src'))
    expect(offenders).toEqual([])
  })
})

describe.skipIf(!existsSync(join(ROOT, 'packages/pdf/dist/index.js')))('the rule documentation', () => {
  it('is what scripts/gen-report-doc.mjs makes from the rule sets', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-report-doc.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})
