// Every named limit (core's DEFAULT_LIMITS, overridden per call through `limits`) must be honoured by
// every adapter it applies to: an input just past a lowered limit is refused with TooLargeError
// (stamp) or an error report / a limit message (verify), while the same input passes the defaults.
// The resulting matrix is written to out/hardening/limits.json and shown in docs/security.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { DEFAULT_LIMITS, isTanbaError, type Limits } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { close, stamp, verify } from 'tanba/node'
import { hardeningRegistry, OUT, readBytes, ROOT, TEST_TIMEOUT } from './helpers.js'
import { deepHtml, deepSvg, deepXmp, jpegManySegments, jpegWithXmp, join as joinBytes, nestedBoxes, pdfDeepArray, pdfWith, pngWith, selectorRuns, yamlDeep } from './mutate.js'

const registry = hardeningRegistry()
const fixture = (p: string) => readBytes(join(ROOT, 'fixtures', p))
const enc = new TextEncoder()

const SAMPLES: Record<string, string> = {
  jpeg: 'image/photo.jpg',
  png: 'image/photo.png',
  webp: 'image/photo.webp',
  gif: 'image/animated.gif',
  tiff: 'image/multipage.tif',
  avif: 'image/photo.avif',
  svg: 'image/drawing.svg',
  wav: 'audio/programme.wav',
  mp3: 'audio/programme.mp3',
  flac: 'audio/programme.flac',
  m4a: 'audio/programme.m4a',
  ogg: 'audio/programme.ogg',
  pdf: 'pdf/classic-xref.pdf',
  text: 'text/sample.txt',
  markdown: 'text/sample.md',
  html: 'text/sample.html',
}
const NO_NOTICE = new Set(['m4a', 'ogg'])

type LimitName = keyof Limits

interface LimitCase {
  format: string
  limit: LimitName
  value: number
  /** What the input exceeds. */
  what: string
  input: () => Uint8Array
  filename: string
  /** Check stamping too (false where the input is not stampable even under the defaults). */
  stamp?: boolean
}

interface Cell {
  format: string
  limit: LimitName
  what: string
  honoured: boolean
  detail: string
}

/** Adapter gaps still open: a cell listed here is expected NOT to honour its limit (docs/security.md lists them). */
const GAPS: Record<string, string> = {
  'html maxDepth': 'HTML nesting is capped by the fixed HTML_MAX_DEPTH (512, as browsers do), not by limits.maxDepth',
  'svg maxDepth': 'the SVG reader is a linear tokenizer without recursion; depth is not limited (nothing recurses)',
}

let creds: TestCredentials
const stamped = new Map<string, Uint8Array>()
const cells: Cell[] = []

beforeAll(async () => {
  creds = await createTestCredentials()
  for (const [id, path] of Object.entries(SAMPLES)) {
    const out = await stamp(fixture(path), {
      registry,
      filename: basename(path),
      signer: creds.signer,
      system: { name: 'Limits Generator' },
      owner: { name: 'Tanba Hardening LLP', id: '123456789012' },
      c2pa: false,
      ...(NO_NOTICE.has(id) ? { notice: { visible: false } } : {}),
    })
    stamped.set(id, out.bytes)
  }
}, TEST_TIMEOUT)

afterAll(async () => {
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'limits.json'), JSON.stringify(cells, null, 2))
  await close()
})

// --- inputs past a limit -----------------------------------------------------------------------

function riffWith(riff: Uint8Array, extra: Uint8Array): Uint8Array {
  const out = joinBytes(riff, extra)
  new DataView(out.buffer).setUint32(4, out.length - 8, true)
  return out
}
function riffChunks(n: number): Uint8Array {
  const one = joinBytes(enc.encode('JUNK'), Uint8Array.of(2, 0, 0, 0, 0, 0))
  return joinBytes(...Array.from({ length: n }, () => one))
}
function nestedList(depth: number): Uint8Array {
  let inner: Uint8Array = joinBytes(enc.encode('ISFT'), Uint8Array.of(2, 0, 0, 0), enc.encode('x\0'))
  for (let i = 0; i < depth; i++) {
    const size = new Uint8Array(4)
    new DataView(size.buffer).setUint32(0, inner.length + 4, true)
    inner = joinBytes(enc.encode('LIST'), size, enc.encode('INFO'), inner)
  }
  return inner
}
function wavXmp(wav: Uint8Array, xmp: string): Uint8Array {
  const payload = enc.encode(xmp.length % 2 ? `${xmp} ` : xmp)
  const size = new Uint8Array(4)
  new DataView(size.buffer).setUint32(0, payload.length, true)
  return riffWith(wav, joinBytes(enc.encode('_PMX'), size, payload))
}
function gifComments(gif: Uint8Array, n: number): Uint8Array {
  const flags = gif[10]!
  const start = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0)
  const one = Uint8Array.of(0x21, 0xfe, 1, 0x78, 0)
  return joinBytes(gif.subarray(0, start), ...Array.from({ length: n }, () => one), gif.subarray(start))
}
function id3Frames(mp3: Uint8Array, n: number): Uint8Array {
  const syncsafe = (v: number) => Uint8Array.of((v >> 21) & 0x7f, (v >> 14) & 0x7f, (v >> 7) & 0x7f, v & 0x7f)
  const body = joinBytes(Uint8Array.of(0), enc.encode('k\0v'))
  const size = new Uint8Array(4)
  new DataView(size.buffer).setUint32(0, body.length)
  const frame = joinBytes(enc.encode('TXXX'), size, Uint8Array.of(0, 0), body)
  const frames = joinBytes(...Array.from({ length: n }, () => frame))
  const rest = mp3[0] === 0x49 && mp3[1] === 0x44 && mp3[2] === 0x33 ? mp3.subarray(10 + ((mp3[6]! << 21) | (mp3[7]! << 14) | (mp3[8]! << 7) | mp3[9]!)) : mp3
  return joinBytes(enc.encode('ID3'), Uint8Array.of(3, 0, 0), syncsafe(frames.length), frames, rest)
}
function flacPadding(flac: Uint8Array, n: number): Uint8Array {
  const info = flac.slice(4, 42)
  info[0] = info[0]! & 0x7f
  let o = 4
  for (;;) {
    const last = flac[o]! & 0x80
    o += 4 + ((flac[o + 1]! << 16) | (flac[o + 2]! << 8) | flac[o + 3]!)
    if (last) break
  }
  const pads = joinBytes(...Array.from({ length: n }, (_, i) => Uint8Array.of(i === n - 1 ? 0x81 : 0x01, 0, 0, 0)))
  return joinBytes(enc.encode('fLaC'), info, pads, flac.subarray(o))
}
const PAGE = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>']

function cases(): LimitCase[] {
  const out: LimitCase[] = []
  const s = (id: string) => ({ filename: basename(SAMPLES[id]!) })
  for (const id of Object.keys(SAMPLES)) {
    const input = fixture(SAMPLES[id]!)
    out.push({ format: id, limit: 'maxInputBytes', value: input.length - 1, what: `the ${input.length}-byte sample`, input: () => input, stamp: true, ...s(id) })
    const labelled = () => stamped.get(id)!
    const small = ['text', 'markdown', 'html'].includes(id)
    out.push({ format: id, limit: 'maxMetadataBytes', value: small ? 100 : 1000, what: 'the stamped label and its metadata block', input: labelled, ...s(id) })
  }
  for (const id of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'svg']) out.push({ format: id, limit: 'maxPixels', value: 100, what: 'the sample\'s pixel count', input: () => fixture(SAMPLES[id]!), stamp: true, ...s(id) })
  const jpeg = fixture(SAMPLES.jpeg!)
  const png = fixture(SAMPLES.png!)
  const wav = fixture(SAMPLES.wav!)
  out.push(
    { format: 'jpeg', limit: 'maxDepth', value: 4, what: 'XMP nested 12 deep', input: () => jpegWithXmp(jpeg, deepXmp(12)), filename: 'x.jpg', stamp: true },
    { format: 'png', limit: 'maxDepth', value: 4, what: 'XMP nested 12 deep', input: () => pngWith(png, { xmp: deepXmp(12) }), filename: 'x.png', stamp: true },
    { format: 'wav', limit: 'maxDepth', value: 4, what: 'RIFF LIST chunks nested 8 deep', input: () => riffWith(wav, nestedList(8)), filename: 'x.wav', stamp: true },
    { format: 'wav', limit: 'maxDepth', value: 4, what: 'XMP (_PMX) nested 12 deep', input: () => wavXmp(wav, deepXmp(12)), filename: 'x.wav', stamp: true },
    { format: 'm4a', limit: 'maxDepth', value: 4, what: 'moov boxes nested 8 deep', input: () => nestedBoxes(8, 'M4A '), filename: 'x.m4a' },
    { format: 'pdf', limit: 'maxDepth', value: 4, what: 'arrays nested 10 deep', input: () => pdfDeepArray(10), filename: 'x.pdf', stamp: true },
    { format: 'markdown', limit: 'maxDepth', value: 4, what: 'YAML front matter nested 10 deep', input: () => yamlDeep(10), filename: 'x.md', stamp: true },
    { format: 'html', limit: 'maxDepth', value: 4, what: 'elements nested 20 deep', input: () => deepHtml(20), filename: 'x.html', stamp: true },
    { format: 'svg', limit: 'maxDepth', value: 4, what: 'groups nested 20 deep', input: () => deepSvg(20), filename: 'x.svg', stamp: true },
  )
  out.push(
    { format: 'jpeg', limit: 'maxChunks', value: 100, what: '300 APP segments', input: () => jpegManySegments(jpeg, 300), filename: 'x.jpg', stamp: true },
    { format: 'png', limit: 'maxChunks', value: 100, what: '300 text chunks', input: () => pngWith(png, { textChunks: 300 }), filename: 'x.png', stamp: true },
    { format: 'webp', limit: 'maxChunks', value: 100, what: '300 unknown chunks', input: () => riffWith(fixture(SAMPLES.webp!), riffChunks(300)), filename: 'x.webp', stamp: true },
    { format: 'gif', limit: 'maxChunks', value: 100, what: '300 comment blocks', input: () => gifComments(fixture(SAMPLES.gif!), 300), filename: 'x.gif', stamp: true },
    { format: 'tiff', limit: 'maxChunks', value: 2, what: 'more than 2 directory entries', input: () => fixture(SAMPLES.tiff!), filename: 'x.tif', stamp: true },
    { format: 'avif', limit: 'maxChunks', value: 2, what: 'more than 2 boxes', input: () => fixture(SAMPLES.avif!), filename: 'x.avif', stamp: true },
    { format: 'svg', limit: 'maxChunks', value: 10, what: '3,000 elements (the SVG limit is 100 tokens per maxChunks)', input: () => enc.encode(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${'<rect width="1" height="1"/>'.repeat(3000)}</svg>`), filename: 'x.svg', stamp: true },
    { format: 'wav', limit: 'maxChunks', value: 100, what: '300 chunks', input: () => riffWith(wav, riffChunks(300)), filename: 'x.wav', stamp: true },
    { format: 'mp3', limit: 'maxChunks', value: 100, what: '300 ID3 frames', input: () => id3Frames(fixture(SAMPLES.mp3!), 300), filename: 'x.mp3', stamp: true },
    { format: 'flac', limit: 'maxChunks', value: 100, what: '300 metadata blocks', input: () => flacPadding(fixture(SAMPLES.flac!), 300), filename: 'x.flac', stamp: true },
    { format: 'ogg', limit: 'maxChunks', value: 0, what: '7 pages (the Ogg limit is 10 pages per maxChunks)', input: () => fixture(SAMPLES.ogg!), filename: 'x.ogg', stamp: true },
    { format: 'm4a', limit: 'maxChunks', value: 5, what: 'more than 5 boxes', input: () => fixture(SAMPLES.m4a!), filename: 'x.m4a', stamp: true },
    { format: 'pdf', limit: 'maxChunks', value: 20, what: '300 objects (the PDF limit is 10 objects per maxChunks)', input: () => pdfWith([...PAGE, ...Array.from({ length: 297 }, (_, i) => `<< /N ${i} >>`)]), filename: 'x.pdf', stamp: true },
  )
  for (const id of ['text', 'markdown', 'html']) {
    const runs = selectorRuns(50)
    out.push({ format: id, limit: 'maxSelectorRuns', value: 10, what: '50 runs of variation selectors', input: () => runs, filename: `x.${id === 'text' ? 'txt' : id === 'markdown' ? 'md' : 'html'}`, stamp: true })
  }
  return out
}

/** "TOO_LARGE" when the operation refused the input for a limit, else what it did. */
async function outcome(c: LimitCase, limits: Partial<Limits> | undefined, op: 'verify' | 'stamp'): Promise<string> {
  const input = c.input()
  const base = { registry, filename: c.filename, ...(limits ? { limits } : {}) }
  if (op === 'verify') {
    const r = await verify(input, { ...base, trust: creds.trust, c2pa: false })
    if (r.error?.code === 'TANBA_TOO_LARGE') return 'TOO_LARGE'
    const hit = r.messages.find((m) => /limits\.|limit is|TooLarge|exceeds/i.test(m.reason))
    return hit ? `TOO_LARGE (${hit.rule})` : `report:${r.status}${r.error ? `:${r.error.code}` : ''}`
  }
  try {
    await stamp(input, { ...base, signer: creds.signer, system: { name: 'Limits Generator' }, owner: { name: 'Tanba Hardening LLP' }, c2pa: false, force: true, ...(NO_NOTICE.has(c.format) ? { notice: { visible: false } } : {}) })
    return 'stamped'
  } catch (error) {
    if (isTanbaError(error)) return error.code === 'TANBA_TOO_LARGE' ? 'TOO_LARGE' : error.code
    throw error
  }
}

describe('named limits are honoured by every adapter they apply to', () => {
  it('the limits are named constants with the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxInputBytes: 2 * 1024 ** 3 - 1,
      maxPixels: 268_402_689,
      maxDepth: 64,
      maxChunks: 100_000,
      maxMetadataBytes: 16 * 1024 ** 2,
      maxSelectorRuns: 10_000,
    })
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true)
  })

  for (const c of cases()) {
    const key = `${c.format} ${c.limit}`
    it(`${key} = ${c.value} (${c.what})`, async () => {
      const ops: Array<'verify' | 'stamp'> = c.stamp ? ['verify', 'stamp'] : ['verify']
      const details: string[] = []
      let honoured = true
      for (const op of ops) {
        const limited = await outcome(c, { [c.limit]: c.value }, op)
        const unlimited = await outcome(c, undefined, op)
        details.push(`${op}: ${limited} (defaults: ${unlimited})`)
        // Under the defaults the input must pass; under the lowered limit it must be refused.
        expect(unlimited.startsWith('TOO_LARGE'), `${op} under the defaults: ${unlimited}`).toBe(false)
        if (!limited.startsWith('TOO_LARGE')) honoured = false
      }
      cells.push({ format: c.format, limit: c.limit, what: c.what, honoured, detail: details.join('; ') })
      if (GAPS[key]) expect(honoured, `${key} is listed as a gap (${GAPS[key]}) but is honoured now: remove it from GAPS`).toBe(false)
      else expect(honoured, details.join('; ')).toBe(true)
    }, TEST_TIMEOUT)
  }
})
