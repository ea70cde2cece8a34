// Hostile input: the adversarial corpus, truncation sweeps and bit flips. Every case ends quickly
// in a typed error or a clean report; none crashes, hangs or claims a valid label.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isTanbaError, stampWith, verifyWith, type FormatInfo } from '@tanba/core'
import { cpuTime, createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { close } from '@tanba/c2pa'
import { createAudioAdapter } from '../src/adapter.js'
import { AUDIO_FORMATS } from '../src/formats.js'
import { corpus, fixture, format } from './helpers.js'

const adapter = createAudioAdapter()
let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})
afterAll(() => close())

const TYPED = /^TANBA_(MALFORMED_INPUT|TOO_LARGE|UNSUPPORTED_FORMAT|DEPENDENCY_FAILED)$/

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
    return 'ok'
  } catch (error) {
    if (isTanbaError(error)) return error.code
    throw error
  }
}

describe('adversarial corpus', () => {
  const cases: [string, string][] = [
    ['adversarial/riff_bomb_1000.wav', 'wav'],
    ['adversarial/sample3.invalid.wav', 'wav'],
    ['adversarial/id3v23_compression_underflow.mp3', 'mp3'],
    ['adversarial/nested_moov_1000.mp4', 'm4a'],
  ]
  for (const [path, id] of cases) {
    it(`${path}: verify (with the C2PA addon) and stamp give typed answers`, async () => {
      const bytes = corpus(path)
      const f = format(id)
      const { value: quick, cpuMs } = await cpuTime(() => verifyWith(adapter, bytes, f, { c2pa: false }))
      expect(cpuMs).toBeLessThan(2000)
      expect(['error', 'unlabelled']).toContain(quick.status)
      if (quick.error) expect(quick.error.code).toMatch(TYPED)
      const full = await verifyWith(adapter, bytes, f, { trust: creds.trust })
      expect(['error', 'unlabelled']).toContain(full.status)
      const stamped = await outcome(() => stampWith(adapter, bytes, f, { signer: creds.signer, system: { name: 'G' }, owner: { name: 'O' }, notice: { visible: false } }))
      expect(stamped).toMatch(/^ok$|^TANBA_/)
      expect(stamped).not.toBe('TANBA_INTERNAL')
    })
  }

  it('riff_bomb_1000.wav hits limits.maxDepth; sample3.invalid.wav is reported as truncated and still stamps', async () => {
    // Its data chunk declares 0 bytes, so (as ffmpeg reads it) the data runs to the end of the file and
    // the nested LISTs are samples; with that chunk renamed, the LISTs are chunks and hit maxDepth.
    const streamed = await verifyWith(adapter, corpus('adversarial/riff_bomb_1000.wav'), format('wav'), { c2pa: false })
    expect(streamed.status).toBe('unlabelled')
    expect(streamed.messages.map((m) => m.rule)).toContain('riff.streamed')
    const renamed = corpus('adversarial/riff_bomb_1000.wav').slice()
    renamed.set([0x4a, 0x55, 0x4e, 0x4b], 0x24)
    const bomb = await verifyWith(adapter, renamed, format('wav'), { c2pa: false })
    expect(bomb.error?.code).toBe('TANBA_TOO_LARGE')
    const bad = await verifyWith(adapter, corpus('adversarial/sample3.invalid.wav'), format('wav'), { c2pa: false })
    expect(bad.messages.map((m) => m.rule)).toContain('riff.truncated')
    const stamped = await stampWith(adapter, corpus('adversarial/sample3.invalid.wav'), format('wav'), { signer: creds.signer, system: { name: 'G' }, owner: { name: 'O' }, c2pa: false })
    expect((await verifyWith(adapter, stamped.bytes, format('wav'), { c2pa: false })).status).toBe('valid')
  })

  it('the C2PA addon failing on the underflowing ID3 frame becomes a note, not a crash', async () => {
    const report = await verifyWith(adapter, corpus('adversarial/id3v23_compression_underflow.mp3'), format('mp3'), {})
    expect(report.status).toBe('unlabelled')
    const c2paNotes = report.messages.filter((m) => m.rule.startsWith('c2pa.'))
    for (const m of c2paNotes) expect(m.fatal).toBe(false)
  })

  it('every adversarial file handed to every audio format answers with a typed error or a clean report', async () => {
    for (const [path] of cases) {
      for (const f of AUDIO_FORMATS.filter((x) => x.supported)) {
        const report = await verifyWith(adapter, corpus(path), f, { c2pa: false })
        expect(['error', 'unlabelled']).toContain(report.status)
        if (report.error) expect(report.error.code).toMatch(TYPED)
      }
    }
  })
})

const STAMPED: [string, string, boolean][] = [
  ['programme.wav', 'wav', true],
  ['programme-float.wav', 'wav', true],
  ['programme.mp3', 'mp3', true],
  ['programme.flac', 'flac', true],
  ['programme.m4a', 'm4a', false],
  ['programme.ogg', 'ogg', false],
  ['programme.opus', 'ogg', false],
]

describe('truncation sweeps and bit flips of stamped files', () => {
  for (const [file, id, notice] of STAMPED) {
    it(`${file}: every cut and every flip ends in a typed error or a non-valid report, fast`, async () => {
      const f: FormatInfo = format(id)
      const stamped = (await stampWith(adapter, fixture(file), f, { signer: creds.signer, system: { name: 'G' }, owner: { name: 'O' }, c2pa: false, notice: { visible: notice } })).bytes
      const cuts = new Set<number>()
      for (let i = 0; i <= 64; i++) cuts.add(i)
      for (let i = 1; i < 48; i++) cuts.add(Math.floor((stamped.length * i) / 48))
      for (let i = 1; i <= 16; i++) cuts.add(stamped.length - i)
      for (const cut of cuts) {
        const { value: report, cpuMs } = await cpuTime(() => verifyWith(adapter, stamped.subarray(0, cut), f, { c2pa: false, adapterOptions: { audio: { musicMetadata: false } } }))
        expect(cpuMs, `cut at ${cut}`).toBeLessThan(2000)
        expect(['error', 'invalid', 'unlabelled'], `cut at ${cut}`).toContain(report.status)
        if (report.error) expect(report.error.code, `cut at ${cut}: ${report.error.message}`).toMatch(TYPED)
      }
      // Bit flips in the first 4 KiB (headers, tags) with a fixed seed.
      let seed = 7
      const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
      for (let k = 0; k < 60; k++) {
        const copy = stamped.slice()
        copy[rand(Math.min(4096, copy.length))]! ^= 1 << rand(8)
        const report = await verifyWith(adapter, copy, f, { c2pa: false, adapterOptions: { audio: { musicMetadata: false } } })
        if (report.error) expect(report.error.code).toMatch(TYPED)
        const result = await outcome(() => stampWith(adapter, copy, f, { signer: creds.signer, system: { name: 'G' }, owner: { name: 'O' }, c2pa: false, notice: { visible: false } }))
        expect(result).toMatch(/^ok$|^TANBA_(MALFORMED_INPUT|TOO_LARGE|UNSUPPORTED_FORMAT)$/)
      }
    })
  }
})
