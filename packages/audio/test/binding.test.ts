// Issue 13 §2: the binding covers everything a player uses. Each row changes one part of a stamped
// file that a real decoder (ffmpeg) uses, shows that what ffmpeg plays changed, and asserts that
// verify no longer says valid. Benign rows (tags) must stay valid.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { crc16Arc, oggCrc32, riffChunk, stampWith, utf8, verifyWith, walkRiff, type FormatInfo, type StampOptions } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { createAudioAdapter } from '../src/adapter.js'
import { joinBytes } from '../src/util.js'
import { mp3Layout, readXing, scanFrames } from '../src/mp3/frames.js'
import { parseFlac } from '../src/flac/flac.js'
import { readPages } from '../src/ogg/ogg.js'
import { parseMp4 } from '../src/mp4/mp4.js'
import { child, type BoxNode } from '../src/mp4/boxes.js'
import { fixture, format, limits } from './helpers.js'
import { hasTool, pcmOf, tool } from './tools.js'

const adapter = createAudioAdapter()
let creds: TestCredentials
const dir = mkdtempSync(join(tmpdir(), 'tanba-binding-'))
beforeAll(async () => {
  creds = await createTestCredentials()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const HAS = hasTool('ffmpeg') && hasTool('lame')
if (!HAS) console.warn('binding.test.ts: ffmpeg or lame missing; the binding rows are skipped')

async function stamp(bytes: Uint8Array, f: FormatInfo, extra: Partial<StampOptions> = {}): Promise<Uint8Array> {
  return (await stampWith(adapter, bytes, f, { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, notice: { visible: false }, ...extra })).bytes
}
const status = async (bytes: Uint8Array, f: FormatInfo) => (await verifyWith(adapter, bytes, f, { trust: creds.trust, c2pa: false })).status
let n = 0
/** What ffmpeg plays from these bytes (16-bit mono PCM). */
function heard(bytes: Uint8Array, ext: string, extra: string[] = []): Buffer {
  const path = join(dir, `f${n++}.${ext}`)
  writeFileSync(path, bytes)
  return pcmOf(path, extra)
}

/** Appends RIFF chunks inside the form (after everything, Tanba's chunks included) and fixes the RIFF size. */
function appendChunks(wav: Uint8Array, ...chunks: Uint8Array[]): Uint8Array {
  const out = joinBytes([wav, ...chunks])
  new DataView(out.buffer).setUint32(4, out.length - 8, true)
  return out
}
const sine = (seconds: number) => {
  const s = new Int16Array(22050 * 2 * seconds)
  for (let i = 0; i < s.length; i += 2) s[i] = s[i + 1] = Math.round(8000 * Math.sin(i / 10))
  return new Uint8Array(s.buffer)
}

describe.skipIf(!HAS)('WAV: every chunk a player uses is bound', () => {
  const wav = format('wav')
  const rows: { name: string; attack: (s: Uint8Array) => Uint8Array; audible: boolean }[] = [
    { name: 'a second data chunk appended after the carriers', attack: (s) => appendChunks(s, riffChunk('data', sine(1))), audible: true },
    {
      name: 'a second fmt chunk after the first (other rate and channels)',
      attack: (s) => {
        const fmt = walkRiff(s).chunks.find((c) => c.id === 'fmt ')!
        const other = s.slice(fmt.dataOffset, fmt.dataOffset + fmt.size)
        new DataView(other.buffer).setUint32(4, 8000, true)
        return appendChunks(s, riffChunk('fmt ', other))
      },
      audible: false,
    },
    {
      name: 'the data chunk moved after a second fmt chunk placed before it',
      attack: (s) => {
        const form = walkRiff(s)
        const fmt = form.chunks.find((c) => c.id === 'fmt ')!
        const other = s.slice(fmt.dataOffset, fmt.dataOffset + fmt.size)
        new DataView(other.buffer).setUint32(4, 11025, true)
        const out = joinBytes([s.subarray(0, fmt.end), riffChunk('fmt ', other), s.subarray(fmt.end)])
        new DataView(out.buffer).setUint32(4, out.length - 8, true)
        return out
      },
      audible: false,
    },
    { name: 'a data chunk after the end of the RIFF form', attack: (s) => joinBytes([s, riffChunk('data', sine(1))]), audible: true },
    { name: 'an unknown chunk added', attack: (s) => appendChunks(s, riffChunk('abcd', utf8('x'.repeat(64)))), audible: false },
    { name: 'a fact chunk added', attack: (s) => appendChunks(s, riffChunk('fact', Uint8Array.of(1, 0, 0, 0))), audible: false },
    { name: 'a cue chunk added', attack: (s) => appendChunks(s, riffChunk('cue ', new Uint8Array(28))), audible: false },
    { name: 'a LIST adtl chunk added', attack: (s) => appendChunks(s, riffChunk('LIST', joinBytes([utf8('adtl'), riffChunk('labl', utf8('\0\0\0\0x\0'))]))), audible: false },
  ]
  for (const row of rows) {
    it(`${row.name}: verify says invalid${row.audible ? ', and ffmpeg plays something else' : ''}`, async () => {
      const stamped = await stamp(fixture('programme.wav'), wav)
      expect(await status(stamped, wav)).toBe('valid')
      const attacked = row.attack(stamped)
      if (row.audible) expect(heard(attacked, 'wav').equals(heard(stamped, 'wav'))).toBe(false)
      expect(await status(attacked, wav)).toBe('invalid')
    })
  }
  it('a file with two data or two fmt chunks is refused for stamping (players disagree)', async () => {
    const two = appendChunks(fixture('programme.wav'), riffChunk('data', sine(1)))
    await expect(stamp(two, wav)).rejects.toMatchObject({ code: 'TANBA_MALFORMED_INPUT' })
  })
  for (const [name, chunk] of [
    ['LIST INFO', riffChunk('LIST', joinBytes([utf8('INFO'), riffChunk('ICMT', utf8('edited\0'))]))],
    ['id3', riffChunk('id3 ', utf8('ID3\u0003\0\0\0\0\0\0'))],
    ['bext', riffChunk('bext', new Uint8Array(602))],
    ['JUNK', riffChunk('JUNK', new Uint8Array(28))],
  ] as const) {
    it(`benign: a ${name} chunk added stays valid and ffmpeg plays the same`, async () => {
      const stamped = await stamp(fixture('programme.wav'), wav)
      const edited = appendChunks(stamped, chunk)
      expect(heard(edited, 'wav').equals(heard(stamped, 'wav'))).toBe(true)
      expect(await status(edited, wav)).toBe('valid')
    })
  }
})

/** An APEv2 footer (no header) closing `items` bytes: what mp3Layout and tag readers take for an APE tag. */
function apeFooter(itemsLength: number): Uint8Array {
  const f = new Uint8Array(32)
  f.set(utf8('APETAGEX'))
  const v = new DataView(f.buffer)
  v.setUint32(8, 2000, true)
  v.setUint32(12, itemsLength + 32, true)
  v.setUint32(16, 1, true)
  return f
}

describe.skipIf(!HAS)('MP3: every byte a decoder uses is bound', () => {
  const mp3 = format('mp3')
  // LAME writes an Info frame with its LAME extension (delay, padding, ReplayGain).
  const input = () => {
    const wav = join(dir, 'lame-in.wav')
    writeFileSync(wav, fixture('programme.wav'))
    tool('lame', ['--quiet', '-b', '128', wav, join(dir, 'lame.mp3')])
    return new Uint8Array(readFileSync(join(dir, 'lame.mp3')))
  }
  const rows: { name: string; attack: (s: Uint8Array) => Uint8Array; audible: boolean }[] = [
    {
      name: 'the LAME tag encoder delay and padding changed (gapless trimming)',
      attack: (s) => {
        const out = s.slice()
        const l = mp3Layout(out, limits)
        const x = readXing(out, l.info!)
        const o = x.lameOffset!
        // delay 2000, padding 3000 (12 bits each), then the LAME tag CRC as decoders check it.
        out.set([2000 >> 4, ((2000 & 15) << 4) | (3000 >> 8), 3000 & 255], o + 21)
        new DataView(out.buffer).setUint16(o + 34, crc16Arc(out, l.info!.offset, o + 34))
        return out
      },
      audible: true,
    },
    {
      name: 'MPEG frames hidden in an APE tag after the audio',
      attack: (s) => {
        const l = mp3Layout(s, limits)
        const scan = scanFrames(s, l.audioStart, l.audioEnd, l.header, limits)
        const frames = s.subarray(scan.offsets[10]!, scan.offsets[40]!)
        return joinBytes([s, frames, apeFooter(frames.length)])
      },
      audible: true,
    },
    {
      name: 'the Xing frame count changed',
      attack: (s) => {
        const out = s.slice()
        const l = mp3Layout(out, limits)
        const v = new DataView(out.buffer)
        v.setUint32(l.info!.tagOffset + 8, v.getUint32(l.info!.tagOffset + 8) + 500)
        return out
      },
      audible: false,
    },
    {
      name: 'bytes inserted between the ID3v2 tag and the first frame',
      attack: (s) => {
        const l = mp3Layout(s, limits)
        return joinBytes([s.subarray(0, l.tagsEnd), new Uint8Array(100).fill(0x20), s.subarray(l.tagsEnd)])
      },
      audible: false,
    },
  ]
  for (const row of rows) {
    it(`${row.name}: verify says invalid${row.audible ? ', and ffmpeg plays something else' : ''}`, async () => {
      const stamped = await stamp(input(), mp3)
      expect(await status(stamped, mp3)).toBe('valid')
      const attacked = row.attack(stamped)
      if (row.audible) expect(heard(attacked, 'mp3').equals(heard(stamped, 'mp3'))).toBe(false)
      expect(await status(attacked, mp3)).toBe('invalid')
    })
  }
  it('benign: an ID3v1 tag appended stays valid and ffmpeg plays the same', async () => {
    const stamped = await stamp(input(), mp3)
    const v1 = new Uint8Array(128)
    v1.set(utf8('TAGtitle'))
    const edited = joinBytes([stamped, v1])
    expect(heard(edited, 'mp3').equals(heard(stamped, 'mp3'))).toBe(true)
    expect(await status(edited, mp3)).toBe('valid')
  })
})

describe.skipIf(!HAS)('FLAC: STREAMINFO and the frames are bound', () => {
  const flac = format('flac')
  const streaminfo = (s: Uint8Array) => parseFlac(s, limits).blocks[0]!.offset + 4
  const rows: { name: string; attack: (s: Uint8Array) => Uint8Array; audible: boolean }[] = [
    {
      name: 'STREAMINFO total samples halved (players show and seek by it)',
      attack: (s) => {
        const out = s.slice()
        const p = streaminfo(out)
        const v = new DataView(out.buffer)
        v.setUint32(p + 14, Math.floor(v.getUint32(p + 14) / 2))
        return out
      },
      audible: false,
    },
    {
      name: 'STREAMINFO MD5 changed',
      attack: (s) => {
        const out = s.slice()
        out[streaminfo(out) + 20]! ^= 0xff
        return out
      },
      audible: false,
    },
    {
      name: 'STREAMINFO block sizes changed',
      attack: (s) => {
        const out = s.slice()
        new DataView(out.buffer).setUint16(streaminfo(out) + 2, 16)
        return out
      },
      audible: false,
    },
  ]
  for (const row of rows) {
    it(`${row.name}: verify says invalid${row.audible ? ', and ffmpeg plays something else' : ''}`, async () => {
      const stamped = await stamp(fixture('programme.flac'), flac)
      expect(await status(stamped, flac)).toBe('valid')
      const attacked = row.attack(stamped)
      if (row.audible) expect(heard(attacked, 'flac').equals(heard(stamped, 'flac'))).toBe(false)
      expect(await status(attacked, flac)).toBe('invalid')
    })
  }
})

/** Rewrites one Ogg page's CRC after an edit, as an attacker would. */
function fixCrc(b: Uint8Array, offset: number, length: number): void {
  const v = new DataView(b.buffer, b.byteOffset)
  v.setUint32(offset + 22, 0, true)
  v.setUint32(offset + 22, oggCrc32(b, offset, offset + length), true)
}

describe.skipIf(!HAS)('Ogg: packets, identification header and granule positions are bound', () => {
  const ogg = format('ogg')
  const cases = [
    ['programme.ogg', 'ogg'],
    ['programme.opus', 'opus'],
  ] as const
  for (const [file, ext] of cases) {
    it(`${file}: the last page's granule position cut (ffmpeg trims the end): invalid`, async () => {
      const stamped = await stamp(fixture(file), ogg)
      expect(await status(stamped, ogg)).toBe('valid')
      const out = stamped.slice()
      const pages = readPages(out, limits)
      const last = pages[pages.length - 1]!
      const prev = pages[pages.length - 2]!
      const v = new DataView(out.buffer)
      v.setBigInt64(last.offset + 6, prev.granule + 1n, true)
      fixCrc(out, last.offset, last.length)
      expect(heard(out, ext).equals(heard(stamped, ext))).toBe(false)
      expect(await status(out, ogg)).toBe('invalid')
    })
    it(`${file}: a page of another logical stream inserted: not valid`, async () => {
      const stamped = await stamp(fixture(file), ogg)
      const pages = readPages(stamped, limits)
      const page = pages[pages.length - 1]!
      const copy = stamped.slice(page.offset, page.offset + page.length)
      new DataView(copy.buffer).setUint32(14, 0x1234567, true)
      fixCrc(copy, 0, copy.length)
      const out = joinBytes([stamped.subarray(0, page.offset), copy, stamped.subarray(page.offset)])
      expect(await status(out, ogg)).not.toBe('valid')
    })
  }
  it('programme.opus: OpusHead output gain and pre-skip changed (what ffmpeg plays): invalid', async () => {
    const stamped = await stamp(fixture('programme.opus'), ogg)
    const out = stamped.slice()
    const first = readPages(out, limits)[0]!
    const v = new DataView(out.buffer)
    v.setUint16(first.body + 10, 3000, true) // pre-skip
    v.setInt16(first.body + 16, -20 * 256, true) // output gain -20 dB
    fixCrc(out, first.offset, first.length)
    expect(heard(out, 'opus').equals(heard(stamped, 'opus'))).toBe(false)
    expect(await status(out, ogg)).toBe('invalid')
  })
})

describe.skipIf(!HAS)('M4A: timing, edit lists and sample tables are bound', () => {
  const m4a = format('m4a')
  // ffmpeg's AAC encoder writes an edit list that skips the encoder priming.
  const input = () => {
    const path = join(dir, 'ff.m4a')
    tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=2', '-c:a', 'aac', '-b:a', '96k', path])
    return new Uint8Array(readFileSync(path))
  }
  const box = (s: Uint8Array, ...path: string[]): BoxNode => {
    let node: BoxNode | undefined = parseMp4(s, limits).moov
    for (const t of path) node = child(node, t)
    return node!
  }
  const rows: { name: string; attack: (s: Uint8Array) => Uint8Array; audible: boolean }[] = [
    {
      name: 'the edit list skips the first second',
      attack: (s) => {
        const out = s.slice()
        const elst = box(out, 'trak', 'edts', 'elst').box
        const v = new DataView(out.buffer)
        const version = out[elst.dataOffset]!
        // First entry: segment duration, then media time.
        const mediaTime = elst.dataOffset + 8 + (version === 1 ? 8 : 4)
        if (version === 1) v.setBigInt64(mediaTime, 44100n + 1024n)
        else v.setInt32(mediaTime, 44100 + 1024)
        return out
      },
      audible: true,
    },
    {
      name: 'the media timescale halved (mdhd)',
      attack: (s) => {
        const out = s.slice()
        const mdhd = box(out, 'trak', 'mdia', 'mdhd').box
        const v = new DataView(out.buffer)
        const at = mdhd.dataOffset + (out[mdhd.dataOffset] === 1 ? 20 : 12)
        v.setUint32(at, v.getUint32(at) / 2)
        return out
      },
      audible: false,
    },
    {
      name: 'the sample durations changed (stts)',
      attack: (s) => {
        const out = s.slice()
        const stts = box(out, 'trak', 'mdia', 'minf', 'stbl', 'stts').box
        const v = new DataView(out.buffer)
        v.setUint32(stts.dataOffset + 12, v.getUint32(stts.dataOffset + 12) * 2)
        return out
      },
      audible: false,
    },
    {
      name: 'the track disabled (tkhd flags)',
      attack: (s) => {
        const out = s.slice()
        out[box(out, 'trak', 'tkhd').box.dataOffset + 3] = 0
        return out
      },
      audible: false,
    },
  ]
  for (const row of rows) {
    it(`${row.name}: verify says invalid${row.audible ? ', and ffmpeg plays something else' : ''}`, async () => {
      const stamped = await stamp(input(), m4a)
      expect(await status(stamped, m4a)).toBe('valid')
      const attacked = row.attack(stamped)
      if (row.audible) expect(heard(attacked, 'm4a').equals(heard(stamped, 'm4a'))).toBe(false)
      expect(await status(attacked, m4a)).toBe('invalid')
    })
  }
})
