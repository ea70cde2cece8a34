import { equalBytes, isTanbaError, stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVideoAdapter } from '../src/adapter.js'
import { child, parseMoovTree, path, type Box } from '../src/mp4/boxes.js'
import { bmffDigest } from '../src/mp4/binding.js'
import { parseMp4 } from '../src/mp4/parse.js'
import { bytesSource } from '../src/source.js'
import { corpus, fixture, format, limits } from './helpers.js'

const adapter = createVideoAdapter()
let creds: TestCredentials
const options = (): StampOptions => ({ signer: creds.signer, system: { name: 'Gen', version: '1' }, owner: { name: 'Owner' }, profiles: ['kz'], c2pa: false, notice: { visible: false } })

beforeAll(async () => {
  creds = await createTestCredentials()
})

/** Stamp and verify must both answer with a typed error (or, for verify, an error report), never crash, never touch the input. */
async function expectTypedRefusal(bytes: Uint8Array, code?: string | RegExp) {
  const before = bytes.slice()
  const outcome = await stampWith(adapter, bytes, format('mp4'), options()).then(
    () => 'stamped',
    (e: unknown) => (isTanbaError(e) ? e.code : `untyped: ${String(e)}`),
  )
  expect(equalBytes(bytes, before)).toBe(true)
  if (code) expect(outcome).toMatch(code)
  else expect(outcome).toMatch(/^TANBA_/)
  const report = await verifyWith(adapter, bytes, format('mp4'), { trust: creds.trust })
  expect(['error', 'invalid', 'unlabelled']).toContain(report.status)
  return { outcome, report }
}

/** The absolute file offset of a box inside moov. */
function at(bytes: Uint8Array, pick: (tree: Box) => Box | undefined): { offset: number; view: DataView } {
  const asset = parseMp4(bytesSource(bytes), limits)
  const box = pick(asset.tree)!
  return { offset: asset.moovBox.offset + box.offset, view: new DataView(bytes.buffer, bytes.byteOffset) }
}
const stbl = (tree: Box, track = 0) => path(tree.children!.filter((c) => c.type === 'trak')[track], 'mdia', 'minf', 'stbl')

describe('hostile ISO BMFF files get a typed error, quickly', () => {
  it("the corpus's nested_moov_1000.mp4 (moov boxes nested a thousand deep)", async () => {
    const { outcome, report } = await expectTypedRefusal(corpus('adversarial/nested_moov_1000.mp4'))
    expect(outcome).toBe('TANBA_TOO_LARGE')
    expect(report.status).toBe('error')
    expect(report.messages[0]!.reason).toMatch(/nested more than 64 deep \(limits.maxDepth\)/)
  })

  it('tracks nested past limits.maxDepth', async () => {
    // moov > trak > trak > ... (200 deep): trak is walked, so depth is what stops it.
    let inner: Uint8Array = new Uint8Array(0)
    for (let i = 0; i < 200; i++) inner = box('trak', inner)
    const file = cat(box('ftyp', ascii('isom\0\0\0\0isom')), box('moov', inner))
    const { outcome } = await expectTypedRefusal(file)
    expect(outcome).toBe('TANBA_TOO_LARGE')
  })

  it('every truncation of a clip (moov at the end and at the front)', async () => {
    for (const name of ['h264-aac.mp4', 'h264-aac.mov']) {
      const whole = fixture(name)
      for (const cut of [0, 7, 8, 31, 100, 1000, Math.floor(whole.length / 2), whole.length - 200, whole.length - 9, whole.length - 1]) {
        await expectTypedRefusal(whole.slice(0, cut))
      }
    }
  })

  it('a top-level box whose size runs past the end of the file', async () => {
    const file = fixture('h264-aac.mp4').slice()
    const v = new DataView(file.buffer)
    const mdat = parseMp4(bytesSource(file), limits).top.find((b) => b.type === 'mdat')!
    v.setUint32(mdat.offset, 0x7fffffff)
    const { outcome, report } = await expectTypedRefusal(file, 'TANBA_MALFORMED_INPUT')
    expect(outcome).toBe('TANBA_MALFORMED_INPUT')
    expect(report.messages[0]!.reason).toMatch(/declares 2147483647 bytes but only \d+ remain/)
  })

  it('a 64-bit box size of 2^62', async () => {
    const file = cat(box('ftyp', ascii('isom\0\0\0\0isom')), new Uint8Array([0, 0, 0, 1, 0x6d, 0x64, 0x61, 0x74, 0x40, 0, 0, 0, 0, 0, 0, 0]))
    await expectTypedRefusal(file, 'TANBA_MALFORMED_INPUT')
  })

  it('a sample table declaring four billion samples of fixed size (no table to back them)', async () => {
    const file = fixture('h264-aac.mp4').slice()
    const { offset, view } = at(file, (t) => child(stbl(t), 'stsz'))
    view.setUint32(offset + 12, 1)
    view.setUint32(offset + 16, 0xffffffff)
    await expectTypedRefusal(file, 'TANBA_TOO_LARGE')
  })

  it('a sample count that the timing table does not match', async () => {
    const file = fixture('h264-aac.mp4').slice()
    const { offset, view } = at(file, (t) => child(stbl(t), 'stts'))
    view.setUint32(offset + 16, view.getUint32(offset + 16) + 1000)
    const { report } = await expectTypedRefusal(file, 'TANBA_MALFORMED_INPUT')
    expect(report.messages[0]!.reason).toMatch(/stts box times \d+ samples but stsz lists/)
  })

  it('a stts run of four billion samples (a forged count in a tiny table)', async () => {
    const file = fixture('h264-aac.mp4').slice()
    const { offset, view } = at(file, (t) => child(stbl(t), 'stts'))
    view.setUint32(offset + 16, 0xffffffff)
    await expectTypedRefusal(file, 'TANBA_MALFORMED_INPUT')
  })

  it('a table that declares more entries than its box holds', async () => {
    for (const type of ['stsc', 'stco', 'ctts', 'stss']) {
      const file = fixture('h264-aac.mp4').slice()
      const { offset, view } = at(file, (t) => child(stbl(t), type))
      view.setUint32(offset + 12, 0x10000000)
      await expectTypedRefusal(file, 'TANBA_MALFORMED_INPUT')
    }
  })

  it('a chunk offset past the end of the file', async () => {
    const file = fixture('h264-aac.mp4').slice()
    const { offset, view } = at(file, (t) => child(stbl(t), 'stco'))
    view.setUint32(offset + 16, file.length - 10)
    const { report } = await expectTypedRefusal(file, 'TANBA_MALFORMED_INPUT')
    expect(report.status).toBe('unlabelled')
    // Verifying a stamped file with the same damage says why the binding failed.
    const stamped = (await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())).bytes.slice()
    const s = at(stamped, (t) => child(stbl(t), 'stco'))
    s.view.setUint32(s.offset + 16, stamped.length - 10)
    const r = await verifyWith(adapter, stamped, format('mp4'), { trust: creds.trust })
    expect(r.status).not.toBe('valid')
    expect(JSON.stringify(r.messages)).toMatch(/past the end of the file/)
  })

  it('stsc entries out of order', async () => {
    const file = fixture('h264-aac.mp4').slice()
    const { offset, view } = at(file, (t) => child(stbl(t), 'stsc'))
    view.setUint32(offset + 16, 0)
    await expectTypedRefusal(file, 'TANBA_MALFORMED_INPUT')
  })

  it('a million empty boxes at the top level stop at limits.maxChunks', async () => {
    const file = new Uint8Array(8 * 200_001)
    const v = new DataView(file.buffer)
    file.set(box('ftyp', ascii('isom\0\0\0\0')), 0)
    for (let o = 16; o + 8 <= file.length; o += 8) {
      v.setUint32(o, 8)
      file.set(ascii('free'), o + 4)
    }
    await expectTypedRefusal(file.subarray(0, file.length - (file.length - 16) % 8), 'TANBA_TOO_LARGE')
  })

  it('random damage to moov: 400 single-byte changes each give a report or a typed error, never a crash', async () => {
    const base = (await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())).bytes
    const moov = parseMp4(bytesSource(base), limits).moovBox
    let seed = 12345
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    const statuses = new Set<string>()
    for (let i = 0; i < 400; i++) {
      const file = base.slice()
      const o = moov.offset + Math.floor(rand() * Math.min(moov.size, 4000))
      file[o] = Math.floor(rand() * 256)
      const report = await verifyWith(adapter, file, format('mp4'), { trust: creds.trust })
      statuses.add(report.status)
      expect(['valid', 'invalid', 'error', 'unlabelled']).toContain(report.status)
      if (report.status === 'error') expect(report.error?.code).toMatch(/^TANBA_/)
    }
    expect(statuses.has('error') || statuses.has('invalid')).toBe(true)
  })
})

describe('hostile movie fragments', () => {
  /** The absolute offset of the first trun box of the first moof. */
  function firstTrun(bytes: Uint8Array): number {
    const moof = parseMp4(bytesSource(bytes), limits).top.find((b) => b.type === 'moof')!
    const tree = parseMoovTree(bytes.subarray(moof.offset, moof.end), { ...moof, offset: 0, dataOffset: moof.headerSize, end: moof.size }, limits)
    const trun = tree.children!.find((c) => c.type === 'traf')!.children!.find((c) => c.type === 'trun')!
    return moof.offset + trun.offset
  }
  const digest = (bytes: Uint8Array) => () => bmffDigest(parseMp4(bytesSource(bytes), limits))

  it('reads an intact fragmented file', () => {
    expect(digest(fixture('fragmented.mp4'))().tracks[0]!.samples).toBe(30)
  })

  it('a trun declaring more samples than it holds', () => {
    const file = fixture('fragmented.mp4').slice()
    new DataView(file.buffer).setUint32(firstTrun(file) + 12, 0x0fffffff)
    expect(digest(file)).toThrow(expect.objectContaining({ code: 'TANBA_MALFORMED_INPUT' }))
  })

  it('a trun data offset pointing past the end of the file', () => {
    const file = fixture('fragmented.mp4').slice()
    new DataView(file.buffer).setInt32(firstTrun(file) + 16, 0x7fffffff)
    expect(digest(file)).toThrow(expect.objectContaining({ code: 'TANBA_MALFORMED_INPUT', message: expect.stringMatching(/past the end/) }))
  })
})

describe('formats that are recognised but not supported', () => {
  it('fragmented MP4: stamping is refused with UnsupportedFormatError; verify reads it as unlabelled', async () => {
    const frag = fixture('fragmented.mp4')
    await expect(stampWith(adapter, frag, format('mp4'), options())).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', message: expect.stringMatching(/Fragmented MP4/) })
    const report = await verifyWith(adapter, frag, format('mp4'))
    expect(report.status).toBe('unlabelled')
  })

  it('WebM: UnsupportedFormatError naming the remux that helps', async () => {
    await expect(stampWith(adapter, fixture('vp9-opus.webm'), format('webm'), options())).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', message: expect.stringMatching(/WebM.*ffmpeg/) })
  })

  it('the visible notice: UnsupportedFormatError naming the option (the CLI shows --no-visible)', async () => {
    await expect(stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), { ...options(), notice: {} })).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', message: expect.stringMatching(/notice: \{ visible: false \}/) })
  })
})

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0))
}
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
function box(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length)
  new DataView(out.buffer).setUint32(0, out.length)
  out.set(ascii(type), 4)
  out.set(body, 8)
  return out
}
