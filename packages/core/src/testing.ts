// @tanba/core/testing: the conformance suite every adapter must pass (run with vitest).
import { beforeAll, describe, expect, it } from 'vitest'
import type { Adapter, FormatInfo } from './adapter.js'
import { equalBytes } from './bytes.js'
import { isLabel } from './codec.js'
import { generateSigningCredentials } from './crypto/certs.js'
import { createPemSigner, type Signer } from './crypto/signer.js'
import { TrustStore } from './crypto/trust.js'
import { isTanbaError } from './errors.js'
import type { ReportMessage } from './report.js'
import { findRule } from './rules.js'
import { nodeBuiltin } from './runtime.js'
import { stampWith, type StampOptions } from './stamp.js'
import { verifyWith } from './verify.js'

export interface ConformanceSample {
  name: string
  format: FormatInfo
  bytes: Uint8Array | (() => Promise<Uint8Array>)
}

export interface ConformanceOptions {
  adapter: () => Promise<Adapter>
  samples: ConformanceSample[]
  /** Changes the essence of a stamped file (one pixel, sample, character, page object). Must make the label invalid. */
  tamperEssence: (stamped: Uint8Array, format: FormatInfo) => Uint8Array | Promise<Uint8Array>
  /** An edit of unrelated metadata that must leave the label valid (optional). */
  benignEdit?: (stamped: Uint8Array, format: FormatInfo) => Uint8Array | Promise<Uint8Array>
  /** Extra stamp options (e.g. `{ c2pa: false }` to keep the suite fast). */
  stampOptions?: Partial<StampOptions>
  /** Per-test timeout in ms (default 60 s). */
  timeout?: number
  /**
   * Which formats carry C2PA. When given, the suite stamps with C2PA on (unless `stampOptions.c2pa`
   * is false) and checks, per sample, that the adapter reports the rule ids every adapter reports
   * for the same situation: a manifest that validates, `c2pa.unsupported-format` for a format
   * without C2PA, `c2pa.signer-unsuitable` for a signer without a certificate chain, each thrown
   * (with `details.rule`) under `c2pa: 'required'`.
   */
  c2pa?: (format: FormatInfo) => boolean
}

/** The rules of @tanba/c2pa a stamp reports when it leaves C2PA out (the suite compares these across adapters). */
const C2PA_FAILURES = ['c2pa.unavailable', 'c2pa.unsupported-format', 'c2pa.signer-unsuitable', 'c2pa.failed', 'c2pa.parent-unreadable']
const c2paRules = (messages: readonly { rule: string }[]) => messages.map((m) => m.rule).filter((r) => C2PA_FAILURES.includes(r))

/** Every message is under a declared rule, from the set that holds it, with the fatality the rule fixes. */
function expectDeclaredRules(messages: readonly ReportMessage[], requireTrusted = false): void {
  for (const m of messages) {
    const found = findRule(m.rule)
    expect(found, `rule ${m.rule} is declared by a rule set`).toBeDefined()
    expect(m.source, `source of ${m.rule}`).toBe(found!.set.source)
    const fatal = found!.info.fatal === 'requireTrusted' ? requireTrusted : found!.info.fatal
    expect(m.fatal, `fatality of ${m.rule}`).toBe(fatal)
  }
}

export interface TestCredentials {
  signer: Signer
  trust: TrustStore
  caPem: string
  chainPem: string
  keyPem: string
}

/** A fresh CA + ES256 signer for tests (nothing touches the user's configuration). */
export async function createTestCredentials(): Promise<TestCredentials> {
  const creds = await generateSigningCredentials({ commonName: 'Tanba test signer', organization: 'Tanba tests' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const trust = await TrustStore.from({ pem: creds.caCertificatePem })
  return { signer, trust, caPem: creds.caCertificatePem, chainPem: creds.chainPem, keyPem: creds.privateKeyPem }
}

/** Registers the shared adapter conformance tests in the current vitest file. */
export function describeAdapterConformance(name: string, options: ConformanceOptions): void {
  const timeout = options.timeout ?? 60_000
  describe(`${name}: adapter conformance`, () => {
    let adapter: Adapter
    let creds: TestCredentials
    const stamped = new Map<string, Uint8Array>()
    const load = async (s: ConformanceSample) => (typeof s.bytes === 'function' ? s.bytes() : s.bytes)
    const stampOptions = (): StampOptions => ({
      signer: creds.signer,
      system: { name: 'Conformance Generator', version: '1.0', model: 'conf-model' },
      owner: { name: 'Tanba Tests LLP', id: '123456789012', country: 'KZ' },
      profiles: ['kz'],
      ...options.stampOptions,
    })

    beforeAll(async () => {
      adapter = await options.adapter()
      creds = await createTestCredentials()
    }, timeout)

    for (const sample of options.samples) {
      describe(sample.name, () => {
        it('declares the format and recognises its magic bytes', async () => {
          expect(adapter.formats.map((f) => f.id)).toContain(sample.format.id)
          const bytes = await load(sample)
          if (sample.format.sniff) expect(sample.format.sniff(bytes.subarray(0, 4096))).toBe(true)
        }, timeout)

        it('reports an unstamped sample as not validly labelled', async () => {
          const report = await verifyWith(adapter, await load(sample), sample.format, { trust: creds.trust })
          expect(report.status).not.toBe('valid')
          expect(report.status).not.toBe('error')
        }, timeout)

        it('stamps without touching the input and verifies as valid', async () => {
          const input = await load(sample)
          const before = input.slice()
          // Parse once: one stamp opens the input once, one verify opens its file once.
          const counted = countingOpens(adapter)
          expect(adapter.capabilities.stamp).toBe(true)
          const result = await stampWith(counted.adapter, input, sample.format, stampOptions())
          expect(counted.opens(), 'opens per stamp').toBe(1)
          await verifyWith(counted.adapter, result.bytes, sample.format, { trust: creds.trust })
          expect(counted.opens(), 'opens per stamp + verify').toBe(2)
          // equalBytes, not toEqual: vitest's deep equality takes ~18 s on a 4 MB array.
          expect(equalBytes(input, before), 'stamp must not modify its input').toBe(true)
          expect(isLabel(result.label)).toBe(true)
          expect(result.carriers.length).toBeGreaterThan(0)
          stamped.set(sample.name, result.bytes)
          const report = await verifyWith(adapter, result.bytes, sample.format, { trust: creds.trust })
          expect(report.messages.filter((m) => m.fatal)).toEqual([])
          expectDeclaredRules(result.messages)
          expectDeclaredRules(report.messages)
          expect(report.status).toBe('valid')
          expect(report.aiMarked).toBe(true)
          expect(report.signature).toMatchObject({ valid: true, trusted: true })
          expect(report.binding?.valid).toBe(true)
          expect(report.label?.id).toBe(result.label.id)
          expect(report.markers.some((m) => m.standard === 'tanba' && m.valid === true)).toBe(true)
          if (options.c2pa?.(sample.format) && options.stampOptions?.c2pa !== false) {
            expect(result.carriers).toContain('c2pa')
            expect(c2paRules(result.messages)).toEqual([])
            // The verifier's trust store is the C2PA trust list too: the manifest is intact and trusted.
            expect(report.markers.filter((m) => m.standard === 'c2pa').map((m) => m.valid)).toEqual([true])
            expect(c2paRules(report.messages)).toEqual([])
          }
          const untrusted = await verifyWith(adapter, result.bytes, sample.format)
          expect(untrusted.status).toBe('valid')
          expect(untrusted.signature).toMatchObject({ valid: true, trusted: false, trust: 'untrusted' })
        }, timeout)

        it('reports a changed essence as invalid', async () => {
          const bytes = stamped.get(sample.name)
          expect(bytes, 'stamp test must run first').toBeDefined()
          const tampered = await options.tamperEssence(bytes!.slice(), sample.format)
          const report = await verifyWith(adapter, tampered, sample.format, { trust: creds.trust })
          expectDeclaredRules(report.messages)
          expect(report.status).toBe('invalid')
          expect(report.binding?.valid).toBe(false)
        }, timeout)

        if (options.benignEdit) {
          it('keeps the label valid after an unrelated metadata edit', async () => {
            const bytes = stamped.get(sample.name)!
            const edited = await options.benignEdit!(bytes.slice(), sample.format)
            expect(edited).not.toEqual(bytes)
            const report = await verifyWith(adapter, edited, sample.format, { trust: creds.trust })
            expect(report.status).toBe('valid')
          }, timeout)
        }

        if (options.c2pa) {
          const carries = options.c2pa(sample.format)
          const situation = carries ? 'a signer without a certificate chain' : 'a format without C2PA'
          const rule = carries ? 'c2pa.signer-unsuitable' : 'c2pa.unsupported-format'
          it(`C2PA, ${situation}: ${rule} under 'preferred', thrown with details.rule under 'required'`, async () => {
            const signer = carries ? await createPemSigner({ privateKey: creds.keyPem }) : creds.signer
            const input = await load(sample)
            const preferred = await stampWith(adapter, input, sample.format, { ...stampOptions(), signer, c2pa: 'preferred' })
            expect(preferred.carriers).not.toContain('c2pa')
            expect(c2paRules(preferred.messages)).toEqual([rule])
            expect(preferred.messages.find((m) => m.rule === rule)?.reason).toMatch(/--no-c2pa/)
            const error = await stampWith(adapter, input, sample.format, { ...stampOptions(), signer, c2pa: 'required' }).then(
              () => null,
              (e: unknown) => e,
            )
            expect(isTanbaError(error) ? error.details?.rule : error).toBe(rule)
          }, timeout)
        }

        it('answers truncated input with a typed error or a clean report', async () => {
          const bytes = stamped.get(sample.name)!
          for (const cut of [1, 16, Math.floor(bytes.length / 2), bytes.length - 1]) {
            const part = bytes.slice(0, cut)
            const report = await verifyWith(adapter, part, sample.format, { trust: creds.trust })
            expect(['error', 'invalid', 'unlabelled']).toContain(report.status)
            await expect(
              stampWith(adapter, part, sample.format, stampOptions()).then(
                () => 'ok',
                (e: unknown) => (isTanbaError(e) ? 'typed' : e),
              ),
            ).resolves.toMatch(/ok|typed/)
          }
        }, timeout)
      })
    }
  })
}

/**
 * The adapter with its `open` counted, for parse-once checks: `opens()` is how many files it has
 * opened so far. Everything else is the adapter's own.
 */
export function countingOpens(adapter: Adapter): { adapter: Adapter; opens: () => number } {
  let opens = 0
  return {
    adapter: {
      ...adapter,
      open(input, format, options) {
        opens++
        return adapter.open(input, format, options)
      },
    },
    opens: () => opens,
  }
}

interface ProcessEntry {
  pid: number
  ppid: number
  cmdline: string
}

/** Live processes from /proc (Linux); empty where there is no /proc. */
function processTable(): ProcessEntry[] {
  const fs = nodeBuiltin<typeof import('node:fs')>('node:fs')
  if (!fs?.existsSync('/proc/self/stat')) return []
  const out: ProcessEntry[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      out.push({ pid: Number(entry), ppid, cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8') })
    } catch {
      // it ended while we looked
    }
  }
  return out
}

/**
 * Process ids of the children of `parent` (default: this process) whose command line matches,
 * from /proc (Linux; empty elsewhere). Tests use it to see helper processes start and end.
 */
export function childProcesses(match: (cmdline: string) => boolean, parent = process.pid): number[] {
  return processTable()
    .filter((p) => p.ppid === parent && match(p.cmdline))
    .map((p) => p.pid)
}

/**
 * Runs `fn` and measures the CPU time this process spent meanwhile (user + system, ms). Tests bound
 * hostile input by CPU time rather than wall time: other work on the machine stretches the
 * latter, not the former. (Threads of this process count too: the libuv pool, GC helpers.)
 */
export async function cpuTime<T>(fn: () => Promise<T> | T): Promise<{ value: T; cpuMs: number }> {
  const start = process.cpuUsage()
  const value = await fn()
  const used = process.cpuUsage(start)
  return { value, cpuMs: (used.user + used.system) / 1000 }
}
