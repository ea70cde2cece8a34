// Property-based and mutation tests (fast-check) over every parser and extractor Tanba has: format
// sniffing, XMP, the label codecs, RIFF and ISO box walkers, and each adapter's extract and digest
// (JPEG/PNG/WebP/GIF/TIFF/HEIF/SVG segment walkers, PDF metadata and cross-reference reading, ID3,
// RIFF, FLAC, Ogg and MP4 tags, the text wrapper). Seeds are real files, stamped and not; each run
// applies a chain of byte mutations. The contract: a clean answer or a typed TanbaError, within a
// second. CI runs a short budget; `pnpm fuzz` sets TANBA_FUZZ_RUNS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { basename, join } from 'node:path'
import {
  decodeCompactLabel,
  encodeCompactLabel,
  isTanbaError,
  parseLabel,
  parseTc260,
  readIsoBoxes,
  readXmp,
  resolveLimits,
  serializeLabel,
  signingInput,
  toHex,
  verifyLabelSignature,
  walkRiff,
  writeXmp,
  type Adapter,
  type FormatInfo,
  type Label,
  type LabelBinding,
} from '@tanba/core'
import { cpuTime, createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { findWrappers } from '@tanba/text'
import { close, stamp } from 'tanba/node'
import { count, hardeningRegistry, LONG, readBytes, ROOT, runs, TANBA_CODES, TEST_TIMEOUT, typedOrValue, typedOrValueSync, writeCounts } from './helpers.js'

const registry = hardeningRegistry()
const limits = resolveLimits()
const xopts = { limits, adapterOptions: {} }
const fixture = (p: string) => readBytes(join(ROOT, 'fixtures', p))

// --- mutation arbitraries ---------------------------------------------------------------------

type Op =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  | { k: 'u32'; at: number; v: number; le: boolean }
  | { k: 'cut'; at: number }
  | { k: 'del'; at: number; n: number }
  | { k: 'ins'; at: number; bytes: Uint8Array }
  | { k: 'dup'; at: number; n: number }

/** Positions biased to the first bytes (headers), where structure lives. */
const position = fc.oneof(fc.nat(64), fc.nat(4096), fc.nat())
const special = fc.constantFrom(0, 1, 0x7f, 0x80, 0xfe, 0xff)
const special32 = fc.constantFrom(0, 1, 7, 8, 16, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff)

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: position, bit: fc.nat(7) }),
  fc.record({ k: fc.constant('set' as const), at: position, v: fc.oneof(special, fc.nat(255)) }),
  fc.record({ k: fc.constant('u32' as const), at: position, v: special32, le: fc.boolean() }),
  fc.record({ k: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('del' as const), at: position, n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ k: fc.constant('ins' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ k: fc.constant('dup' as const), at: position, n: fc.integer({ min: 1, max: 256 }) }),
)

function applyOps(seed: Uint8Array, ops: Op[]): Uint8Array {
  let b: Uint8Array = seed.slice()
  for (const o of ops) {
    if (!b.length) break
    const at = o.at % b.length
    switch (o.k) {
      case 'flip':
        b[at]! ^= 1 << o.bit
        break
      case 'set':
        b[at] = o.v
        break
      case 'u32':
        if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, o.v, o.le)
        break
      case 'cut':
        b = b.slice(0, at)
        break
      case 'del':
        b = concat(b.subarray(0, at), b.subarray(at + o.n))
        break
      case 'ins':
        b = concat(b.subarray(0, at), o.bytes, b.subarray(at))
        break
      case 'dup':
        b = concat(b.subarray(0, at + o.n), b.subarray(at, at + o.n), b.subarray(at + o.n))
        break
    }
  }
  return b
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) (out.set(p, o), (o += p.length))
  return out
}

/** A mutated copy of one of the seeds. */
function mutant(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.record({ i: fc.nat(seeds.length - 1), ops: fc.array(op, { minLength: 1, maxLength: 6 }) }).map(({ i, ops }) => applyOps(seeds[i]!, ops))
}

/** A mutated copy of one of the seed strings (character-level, with XML-significant tokens). */
const XML_TOKENS = ['<', '>', '&', '"', "'", '<!DOCTYPE x [<!ENTITY a "b">]>', '<![CDATA[', ']]>', '<?x ?>', '<!--', '-->', 'xmlns:rdf=""', '&#0;', '&a;', '\u0000', '\uFFFF', '\uD800', '<rdf:li>', '</rdf:Description>', '<rdf:Description rdf:about="">', '<x:xmpmeta>', 'rdf:parseType="Resource"']
function mutantText(seeds: string[]): fc.Arbitrary<string> {
  const textOp = fc.oneof(
    fc.record({ k: fc.constant('del' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ k: fc.constant('ins' as const), at: fc.nat(), s: fc.oneof(fc.constantFrom(...XML_TOKENS), fc.string({ maxLength: 8 })) }),
    fc.record({ k: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 400 }) }),
  )
  return fc.record({ i: fc.nat(seeds.length - 1), ops: fc.array(textOp, { minLength: 1, maxLength: 6 }) }).map(({ i, ops }) => {
    let s = seeds[i]!
    for (const o of ops) {
      const at = s.length ? o.at % s.length : 0
      if (o.k === 'del') s = s.slice(0, at) + s.slice(at + o.n)
      else if (o.k === 'ins') s = s.slice(0, at) + o.s + s.slice(at)
      else s = s.slice(0, at + o.n) + s.slice(at, at + o.n) + s.slice(at + o.n)
    }
    return s
  })
}

// --- timing and typing contract -----------------------------------------------------------------

/** Runs `fn` (clean answer or TanbaError) within a CPU-time bound (not wall time: the machine may be busy). */
async function contract<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
  const { value, cpuMs } = await cpuTime(() => typedOrValue(fn))
  if (cpuMs > 2000) throw new Error(`${name} used ${cpuMs.toFixed(0)} ms of CPU on a hostile input (budget 2000 ms)`)
  return value
}

/**
 * Asserts a property. The short budget (CI) uses a seed derived from the property's name, so CI is
 * repeatable; the long budget (`pnpm fuzz`) draws a fresh seed each run (fast-check prints it on failure).
 */
async function check<T>(name: string, arb: fc.Arbitrary<T>, body: (value: T) => Promise<void> | void, short: number): Promise<void> {
  const numRuns = runs(short)
  const seed = LONG ? {} : { seed: [...name].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7) }
  await fc.assert(fc.asyncProperty(arb, async (v) => body(v)), { numRuns, ...seed, ...(LONG ? { endOnFailure: true } : {}) })
  count(name, numRuns)
}

// --- seeds -------------------------------------------------------------------------------------

interface Seeds {
  format: FormatInfo
  adapter: Adapter
  seeds: Uint8Array[]
  binding: LabelBinding
}

const SEED_FILES: Record<string, string[]> = {
  jpeg: ['image/photo.jpg', 'image/a1111-exif.jpg', 'image/third-party-xmp.jpg', 'image/rotated-exif6.jpg'],
  png: ['image/photo.png', 'image/sd-parameters.png', 'image/comfyui.png', 'image/palette.png'],
  webp: ['image/photo.webp', 'image/animated.webp', 'image/lossless-alpha.webp'],
  gif: ['image/animated.gif'],
  tiff: ['image/multipage.tif'],
  avif: ['image/photo.avif'],
  svg: ['image/drawing.svg'],
  pdf: ['pdf/classic-xref.pdf', 'pdf/inherited.pdf', 'pdf/rotated.pdf', 'pdf/damaged-xref.pdf'],
  mp3: ['audio/programme.mp3'],
  wav: ['audio/programme.wav', 'audio/programme-float.wav'],
  flac: ['audio/programme.flac'],
  m4a: ['audio/programme.m4a'],
  ogg: ['audio/programme.ogg', 'audio/programme.opus'],
  text: ['text/sample.txt'],
  markdown: ['text/sample.md'],
  html: ['text/sample.html', 'text/fragment.html'],
}
/** Formats that take no audible or visible notice (stamped with carriers only). */
const NO_NOTICE = new Set(['m4a', 'ogg'])

let creds: TestCredentials
const seeds = new Map<string, Seeds>()
const labels: Label[] = []

beforeAll(async () => {
  creds = await createTestCredentials()
  for (const [id, files] of Object.entries(SEED_FILES)) {
    const originals = files.map(fixture)
    const filename = basename(files[0]!)
    const detection = registry.detect(originals[0]!, { filename })
    const adapter = await registry.load(detection)
    // Stamp the first seed of each format so mutations reach the label carriers too.
    const stamped = await stamp(originals[0]!, {
      registry,
      filename,
      signer: creds.signer,
      system: { name: 'Property Generator' },
      owner: { name: 'Tanba Hardening LLP', id: '123456789012' },
      c2pa: false,
      ...(NO_NOTICE.has(id) ? { notice: { visible: false } } : {}),
    })
    labels.push(stamped.label!)
    seeds.set(id, { format: detection.format, adapter, seeds: [stamped.bytes, ...originals], binding: stamped.label!.binding })
  }
}, TEST_TIMEOUT)

afterAll(async () => {
  writeCounts('counts-properties.json')
  await close()
  const { closeImageAdapter } = await import('@tanba/image')
  await closeImageAdapter()
})

// --- properties --------------------------------------------------------------------------------

describe('format sniffing (the registry every entry point uses)', () => {
  it('every sniffer answers a boolean on any head, and detection answers a format or UnrecognisedFormatError', async () => {
    const heads = [...seeds.values()].flatMap((s) => s.seeds.map((b) => b.subarray(0, 4096)))
    const hints = fc.record({
      mediaType: fc.option(fc.oneof(fc.constantFrom(...registry.formats.flatMap((f) => f.mediaTypes)), fc.string({ maxLength: 30 })), { nil: undefined }),
      filename: fc.option(fc.oneof(fc.constantFrom(...registry.formats.flatMap((f) => f.extensions)).map((e) => `f.${e}`), fc.string({ maxLength: 30 })), { nil: undefined }),
    })
    await check('sniffing: mutated heads and random bytes', fc.tuple(fc.oneof(mutant(heads), fc.uint8Array({ maxLength: 4096 })), hints), (([bytes, h]) => {
      for (const format of registry.formats) {
        const answer = format.sniff?.(bytes)
        if (answer !== undefined) expect(typeof answer).toBe('boolean')
      }
      try {
        const d = registry.detect(bytes, { ...(h.mediaType ? { mediaType: h.mediaType } : {}), ...(h.filename ? { filename: h.filename } : {}) })
        expect(registry.formats).toContain(d.format)
        // A misnamed file is told apart from a damaged one with a typed error, never a throw.
        const mismatch = registry.contentMismatch(bytes, d)
        if (mismatch) expect(mismatch.code).toBe('TANBA_MALFORMED_INPUT')
      } catch (error) {
        expect(isTanbaError(error) && error.code === 'TANBA_UNRECOGNISED_FORMAT', String(error)).toBe(true)
      }
    }), 400)
  }, TEST_TIMEOUT)

  it('an intact file is detected as its own format (binary formats from their bytes alone)', () => {
    for (const [id, s] of seeds) {
      for (const [i, b] of s.seeds.entries()) {
        const filename = basename(SEED_FILES[id]![Math.max(0, i - 1)]!)
        expect(registry.detect(b, { filename }).format.id, `${id} seed ${i}`).toBe(id)
        if (s.format.kind !== 'text') expect(registry.detect(b).format.id, `${id} seed ${i} by magic`).toBe(id)
      }
    }
  })
})

describe('XMP (core readXmp/writeXmp)', () => {
  const packets = () => [
    writeXmp(null, { digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia', tc260: '{"Label":"1"}', tanbaLabel: serializeLabel(labels[0]!) }),
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/png"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">T</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>',
  ]

  it('reading a mutated packet gives fields or a typed error', async () => {
    await check('xmp: readXmp on mutated packets', mutantText(packets()), (xml) => {
      const fields = typedOrValueSync(() => readXmp(xml))
      if (fields) for (const v of Object.values(fields)) expect(typeof v).toBe('string')
    }, 400)
  }, TEST_TIMEOUT)

  it('merging into a mutated packet keeps what is written readable, or gives a typed error', async () => {
    const fields = { digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia', tc260: '{"Label":"1","ContentProducer":"x"}', tanbaLabel: '{"a":"<&>"}' }
    await check('xmp: writeXmp merge into mutated packets', mutantText(packets()), (xml) => {
      const merged = typedOrValueSync(() => writeXmp(xml, fields))
      if (merged !== undefined) expect(readXmp(merged)).toMatchObject(fields)
    }, 300)
  }, TEST_TIMEOUT)

  it('any field text round-trips (XML metacharacters, non-BMP, controls that XML allows)', async () => {
    const xmlText = fc.string({ unit: fc.oneof(fc.constantFrom('<', '>', '&', '"', "'", ']]>', '\t', '\n', '\r', '\r\n', '\u0085', '\u2028', '\u2029', 'Қ', 'ә', '人工智能', '🌄'), fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCharCode(c))), maxLength: 200 })
    await check('xmp: field round trip', fc.record({ a: xmlText, b: xmlText }), ({ a, b }) => {
      const back = readXmp(writeXmp(null, { aiSystemUsed: a, tanbaLabel: b }))
      expect(back.aiSystemUsed ?? '').toBe(a)
      expect(back.tanbaLabel ?? '').toBe(b)
    }, 200)
  }, TEST_TIMEOUT)
})

describe('label codecs and signatures', () => {
  it('a mutated label text parses to a typed error, or to a label whose signature no longer verifies', async () => {
    const texts = labels.map(serializeLabel)
    await check('label: parseLabel on mutated JSON', mutantText(texts), async (text) => {
      const label = typedOrValueSync(() => parseLabel(text))
      if (!label) return
      const signed = toHex(signingInput(label))
      const sig = await verifyLabelSignature(label, { trust: creds.trust })
      // Only a change outside the signed bytes (whitespace, key order, sig.value's own encoding,
      // the x5c chain, which only decides trust) may still verify.
      if (!labels.some((l) => toHex(signingInput(l)) === signed)) expect(sig.valid).toBe(false)
    }, 300)
  }, TEST_TIMEOUT)

  it('a mutated compact label decodes to a typed error or to a label', async () => {
    const compact = labels.map((l) => encodeCompactLabel(l))
    await check('label: decodeCompactLabel on mutated bytes', mutant(compact), (bytes) => {
      typedOrValueSync(() => decodeCompactLabel(bytes))
    }, 300)
  }, TEST_TIMEOUT)

  it('TC260 text of any shape gives an object or null, never an exception', async () => {
    await check('tc260: parseTc260 on arbitrary JSON', fc.oneof(fc.json(), fc.string(), mutantText(['{"AIGC":{"Label":"1","ContentProducer":"a","ProduceID":"b"}}'])), (text) => {
      const r = parseTc260(text)
      expect(r === null || typeof r === 'object').toBe(true)
    }, 300)
  }, TEST_TIMEOUT)
})

describe('container walkers in core (RIFF, ISO boxes)', () => {
  it('walkRiff answers chunks or a typed error on mutated WAV/WebP files and random bytes', async () => {
    const riffs = [fixture('audio/programme.wav'), fixture('image/photo.webp'), fixture('image/animated.webp')]
    await check('core: walkRiff', fc.oneof(mutant(riffs), fc.uint8Array({ maxLength: 256 }).map((b) => concat(new TextEncoder().encode('RIFF'), b))), (bytes) => {
      const form = typedOrValueSync(() => walkRiff(bytes, { maxDepth: 8, maxChunks: 1000 }))
      if (form) for (const c of form.chunks) expect(c.end).toBeLessThanOrEqual(bytes.length)
    }, 400)
  }, TEST_TIMEOUT)

  it('readIsoBoxes answers boxes inside the bounds or a typed error', async () => {
    const isos = [fixture('audio/programme.m4a'), fixture('image/photo.avif')]
    await check('core: readIsoBoxes', fc.oneof(mutant(isos), fc.uint8Array({ maxLength: 256 })), (bytes) => {
      const boxes = typedOrValueSync(() => readIsoBoxes(bytes, 0, bytes.length, { maxChunks: 1000 }))
      if (boxes) for (const b of boxes) expect(b.end).toBeLessThanOrEqual(bytes.length)
    }, 400)
  }, TEST_TIMEOUT)
})

describe('the text wrapper', () => {
  it('finds wrappers or refuses with a typed error in any mix of selectors, BOMs, emoji and lone surrogates', async () => {
    const unit = fc.oneof(
      fc.constantFrom('\uFEFF', '\uFE00', '\uFE0F', '\u{E0100}', '\u{E01EF}', '\uD800', '\uDC00', '👍🏽', '葛\u{E0100}', 'a', ' ', '\n'),
      fc.integer({ min: 0, max: 255 }).map((b) => (b < 16 ? String.fromCharCode(0xfe00 + b) : String.fromCodePoint(0xe0100 + b - 16))),
    )
    await check('text: findWrappers', fc.string({ unit, maxLength: 400 }), (text) => {
      const found = typedOrValueSync(() => findWrappers(text, limits))
      if (found) for (const w of found) expect(['tanba', 'c2pa', 'unknown']).toContain(w.kind)
    }, 400)
  }, TEST_TIMEOUT)
})

describe('every adapter: open, read and digest on mutated files', () => {
  for (const id of Object.keys(SEED_FILES)) {
    it(`${id}: open, read and digest give markers or a typed error, within a second`, async () => {
      const s = seeds.get(id)!
      await check(`adapter ${id}: open + read + digest`, mutant(s.seeds), async (bytes) => {
        const asset = await contract(`${id} open`, () => s.adapter.open(bytes, s.format, xopts))
        if (!asset) return
        const found = await contract(`${id} read`, () => asset.read({ c2pa: false }))
        if (found) {
          expect(Array.isArray(found.markers) && Array.isArray(found.labels)).toBe(true)
          for (const l of found.labels) if (l.error) expect(TANBA_CODES).toContain(l.error.code)
        }
        const digest = await contract(`${id} digest`, () => asset.digest(s.binding))
        if (digest !== undefined) expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/)
      }, ['pdf', 'mp3', 'flac', 'tiff'].includes(id) ? 60 : 100)
    }, TEST_TIMEOUT)
  }
})
