import { TooLargeError, isTanbaError, stampWith, verifyWith } from '@tanba/core'
import { cpuTime, createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { TEXT_FORMATS, TextStampStream, createTextAdapter, plainTextFormat, stampText, verifyText } from '../src/index.js'
import { SAMPLES, WRAPPER_RE, enc, stampOptions, streamOf } from './helpers.js'

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})

const adapter = createTextAdapter()
/**
 * The CPU time of `fn` in ms (not wall time, which a busy machine stretches). The bounds below are
 * tens of times what the work takes: they catch a quadratic path, not a slow machine.
 */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const { value, cpuMs } = await cpuTime(fn)
  return [value, cpuMs]
}

describe('hostile input ends quickly with a clear error or a clean answer', () => {
  it('a 48 MB multilingual text stamps and verifies in seconds', async () => {
    const big = enc.encode(Object.values(SAMPLES).join('\n').repeat(Math.ceil(48e6 / 2000)))
    const [stamped, stampMs] = await timed(() => stampWith(adapter, big, plainTextFormat, stampOptions(creds)))
    const [report, verifyMs] = await timed(() => verifyWith(adapter, stamped.bytes, plainTextFormat))
    expect(report.status).toBe('valid')
    expect(stampMs + verifyMs).toBeLessThan(20_000)
  })

  it('input over limits.maxInputBytes is TooLargeError before any work', async () => {
    const input = enc.encode('x'.repeat(2000))
    const error = await stampWith(adapter, input, plainTextFormat, { ...stampOptions(creds), limits: { maxInputBytes: 1000 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TooLargeError)
    expect((error as Error).message).toBe('The text is 2000 bytes; the limit is 1000 bytes (limits.maxInputBytes)')
    const report = await verifyWith(adapter, input, plainTextFormat, { limits: { maxInputBytes: 1000 } })
    expect(report.error?.code).toBe('TANBA_TOO_LARGE')
  })

  it('lone surrogates in a string are stored as U+FFFD, the way every UTF-8 writer stores them', async () => {
    const { text } = await stampText('a\uD800b\uDC00c', stampOptions(creds))
    expect(text).toContain('a\uFFFDb\uFFFDc')
    expect((await verifyText(text)).status).toBe('valid')
  })

  it('random bytes: never a crash, only a typed error or a clean report', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.constantFrom(...TEXT_FORMATS), async (bytes, format) => {
        const report = await verifyWith(adapter, bytes, format)
        expect(['error', 'unlabelled', 'invalid']).toContain(report.status)
        const outcome = await stampWith(adapter, bytes, format, stampOptions(creds)).then(
          () => 'ok',
          (e: unknown) => (isTanbaError(e) ? 'typed' : e),
        )
        expect(outcome).toMatch(/ok|typed/)
      }),
      { numRuns: 300 },
    )
  })

  it('mutated stamped texts are never valid unless the content is unchanged', async () => {
    const { text } = await stampText(SAMPLES.kazakh, stampOptions(creds))
    const bytes = enc.encode(text)
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const mutated = bytes.slice()
        mutated[at] = mutated[at]! ^ flip
        const report = await verifyWith(adapter, mutated, plainTextFormat)
        expect(report.status).not.toBe('valid')
      }),
      { numRuns: 300 },
    )
  })

  it('thousands of selector runs: a clean answer below the limit, TooLargeError above it, fast', async () => {
    const runs = 'word\uFEFF\uFE01\uDB40\uDD10 '.repeat(9_000)
    const [below, ms1] = await timed(() => verifyText(runs))
    expect(below.status).toBe('unlabelled')
    expect(below.messages.map((m) => m.rule)).toEqual(['text.selector-runs'])
    const [above, ms2] = await timed(() => verifyText(runs + runs))
    expect(above.status).toBe('error')
    expect(above.error?.code).toBe('TANBA_TOO_LARGE')
    await expect(stampText(runs + runs, stampOptions(creds))).rejects.toBeInstanceOf(TooLargeError)
    expect(ms1 + ms2).toBeLessThan(5_000)
  })

  it('thousands of copies of a real wrapper: invalid (duplicated), a bounded report, fast', async () => {
    const { text } = await stampText('x', stampOptions(creds))
    const wrapper = text.match(WRAPPER_RE)![0]
    const [report, ms] = await timed(() => verifyText(text + wrapper.repeat(5_000)))
    expect(report.status).toBe('invalid')
    expect(report.messages.find((m) => m.rule === 'text.wrapper-duplicated')?.reason).toMatch(/5001 invisible Tanba wrappers/)
    expect(report.markers.filter((m) => m.standard === 'tanba')).toHaveLength(16)
    expect(ms).toBeLessThan(5_000)
  })

  it('one enormous selector run is read once, linearly', async () => {
    const run = '\uFEFF' + '\uDB40\uDD44'.repeat(2_000_000)
    const [report, ms] = await timed(() => verifyText('x' + run))
    expect(report.status).toBe('unlabelled')
    expect(ms).toBeLessThan(5_000)
  })

  it('a megabyte of combining marks and a 10 MB "[AI]" line stream and verify without stalling', async () => {
    const marks = '\u0301'.repeat(1_000_000)
    const stream = new TextStampStream(stampOptions(creds))
    let out = ''
    const tokens = Array.from({ length: 1000 }, (_, i) => marks.slice(i * 1000, (i + 1) * 1000))
    const [, ms] = await timed(() => streamOf(['e', ...tokens]).pipeThrough(stream).pipeTo(new WritableStream({ write: (c) => void (out += c) })))
    expect(ms).toBeLessThan(10_000)
    expect((await verifyText(out)).status).toBe('valid')
    const [line, ms2] = await timed(() => verifyText('[AI] ' + 'а'.repeat(10_000_000)))
    expect(line.status).toBe('unlabelled')
    expect(ms2).toBeLessThan(5_000)
  })

  it('a hundred thousand one-character tokens stream through', async () => {
    const tokens = Array.from({ length: 100_000 }, (_, i) => 'әлем '[i % 5]!)
    const stream = new TextStampStream(stampOptions(creds))
    let out = ''
    await streamOf(tokens).pipeThrough(stream).pipeTo(new WritableStream({ write: (c) => void (out += c) }))
    expect((await verifyText(out)).status).toBe('valid')
  })
})

describe('YAML front matter nested thousands deep (found by the hardening suite)', () => {
  const md = (yaml: string) => enc.encode(`---\n${yaml}\n---\n\n# Title\n\nBody.\n`)
  const markdown = TEXT_FORMATS.find((f) => f.id === 'markdown')!

  it('is refused by limits.maxDepth before the YAML parser recurses (it used to overflow the stack or abort V8)', async () => {
    for (const yaml of [`x: ${'['.repeat(10_000)}${']'.repeat(10_000)}`, `x: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}`, `x:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} 1`, `x:\n  ${'- '.repeat(5000)}y`]) {
      const error = await stampWith(adapter, md(yaml), markdown, { ...stampOptions(creds), notice: { visible: false } }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TooLargeError)
      expect((error as Error).message).toMatch(/limits\.maxDepth/)
      const [report, ms] = await timed(() => verifyWith(adapter, md(yaml), markdown))
      expect(report.status).toBe('unlabelled')
      expect(report.messages.map((m) => m.rule)).toContain('markdown.front-matter-invalid')
      expect(ms).toBeLessThan(1000)
    }
  })

  it('follows the configured limit and leaves ordinary front matter alone', async () => {
    const nested = `a:\n  b:\n    c: [1, {d: [2, 3]}]\nlist:\n  - - x\n    - y\ntext: |\n  [[[[ not nesting {{{{\n  - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\nquoted: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\nsingle: 'it''s [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`
    const stamped = await stampWith(adapter, md(nested), markdown, stampOptions(creds))
    expect((await verifyWith(adapter, stamped.bytes, markdown, { trust: creds.trust })).status).toBe('valid')
    const error = await stampWith(adapter, md(nested), markdown, { ...stampOptions(creds), limits: { maxDepth: 3 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TooLargeError)
  })
})
