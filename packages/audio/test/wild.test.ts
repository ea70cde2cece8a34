// Files from the wild (issue 14): MP3s from LAME and ffmpeg over the whole grid of MPEG versions,
// sample rates, channel modes, CBR and VBR; streamed WAVs; Ogg with junk between pages; refusals.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { createAudioAdapter } from '../src/adapter.js'
import { format, limits } from './helpers.js'
import { readPages } from '../src/ogg/ogg.js'
import { joinBytes } from '../src/util.js'
import { ffmpegDecodes, hasTool, pcmOf, tool } from './tools.js'

const adapter = createAudioAdapter()
let creds: TestCredentials
const dir = mkdtempSync(join(tmpdir(), 'tanba-wild-'))
beforeAll(async () => {
  creds = await createTestCredentials()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const opts = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, ...extra })

const HAS = hasTool('ffmpeg') && hasTool('lame')
if (!HAS) console.warn('wild.test.ts: ffmpeg or lame missing; the files-from-the-wild cases are skipped')

/** A 3 s tone as 16-bit WAV at `rate`, `channels`, made by ffmpeg (LAME's input). */
function toneWav(rate: number, channels: number, name: string): string {
  const path = join(dir, name)
  tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=440:d=3:r=${rate}`, '-af', 'volume=0.5', '-ar', String(rate), '-ac', String(channels), '-c:a', 'pcm_s16le', path])
  return path
}

async function stampAndCheck(path: string): Promise<void> {
  const input = new Uint8Array(readFileSync(path))
  const out = await stampWith(adapter, input, format('mp3'), opts())
  const o = join(dir, `o-${path.split('/').pop()}`)
  writeFileSync(o, out.bytes)
  expect(ffmpegDecodes(o)).toBe('')
  // The stamped file is longer than the input by the notice, and still labelled.
  expect(pcmOf(o).length).toBeGreaterThan(pcmOf(path).length)
  const report = await verifyWith(adapter, out.bytes, format('mp3'), { trust: creds.trust, c2pa: false })
  expect(report.status).toBe('valid')
  expect(report.markers.some((m) => m.standard === 'notice')).toBe(true)
}

const RATES: [number, string][] = [
  [44100, 'MPEG-1'], [48000, 'MPEG-1'], [32000, 'MPEG-1'],
  [22050, 'MPEG-2'], [24000, 'MPEG-2'], [16000, 'MPEG-2'],
  [11025, 'MPEG-2.5'], [12000, 'MPEG-2.5'], [8000, 'MPEG-2.5'],
]

describe.skipIf(!HAS)('MP3 from LAME and ffmpeg: the audible notice follows the stream', () => {
  it('the recipe of issue 14: ffmpeg libmp3lame 96 kbit/s stereo at 44.1 kHz', async () => {
    const path = join(dir, 'recipe.mp3')
    tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=3', '-ar', '44100', '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '96k', path])
    await stampAndCheck(path)
  })
  for (const [br, ch] of [[64, 2], [32, 1], [48, 1]] as const) {
    it(`ffmpeg libmp3lame ${br} kbit/s ${ch === 1 ? 'mono' : 'stereo'} at 44.1 kHz`, async () => {
      const path = join(dir, `ff-${br}-${ch}.mp3`)
      tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=3', '-ar', '44100', '-ac', String(ch), '-c:a', 'libmp3lame', '-b:a', `${br}k`, path])
      await stampAndCheck(path)
    })
  }
  it('LAME VBR that opens with low-bit-rate silent frames', async () => {
    const wav = join(dir, 'silence-then-tone.wav')
    tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo:d=2', '-f', 'lavfi', '-i', 'sine=f=440:d=2', '-filter_complex', '[1]aformat=channel_layouts=stereo[t];[0][t]concat=n=2:v=0:a=1', '-c:a', 'pcm_s16le', wav])
    const path = join(dir, 'vbr-silent-start.mp3')
    tool('lame', ['--quiet', '-V', '2', wav, path])
    await stampAndCheck(path)
  })
  // The grid: every MPEG-1/2/2.5 sample rate, mono, stereo, joint and dual channel, CBR and VBR (LAME), CBR and VBR (ffmpeg).
  for (const [rate, version] of RATES) {
    for (const mode of ['m', 's', 'j', 'd'] as const) {
      it(`LAME ${version} ${rate} Hz mode ${mode}: CBR and VBR`, async () => {
        const wav = toneWav(rate, mode === 'm' ? 1 : 2, `in-${rate}-${mode}.wav`)
        const low = rate < 32000 ? '32' : '64'
        for (const [tag, args] of [['cbr', ['-b', low, '--cbr']], ['vbr', ['-V', '4']]] as const) {
          const path = join(dir, `lame-${rate}-${mode}-${tag}.mp3`)
          tool('lame', ['--quiet', '-m', mode, '--resample', String(rate / 1000), ...args, wav, path])
          await stampAndCheck(path)
        }
      })
    }
    it(`ffmpeg ${version} ${rate} Hz mono and stereo: CBR and VBR`, async () => {
      for (const ch of [1, 2]) {
        for (const [tag, args] of [['cbr', ['-b:a', rate < 32000 ? '24k' : '48k']], ['vbr', ['-q:a', '6']]] as const) {
          const path = join(dir, `ff-${rate}-${ch}-${tag}.mp3`)
          tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=440:d=3`, '-ar', String(rate), '-ac', String(ch), '-c:a', 'libmp3lame', ...args, path])
          await stampAndCheck(path)
        }
      }
    })
  }
})

describe.skipIf(!HAS)('streamed WAVs (RIFF and data sizes 0xFFFFFFFF or 0)', () => {
  const pipeWav = (name: string, patchDataSize?: number): Uint8Array => {
    const bytes = new Uint8Array(tool('sh', ['-c', 'ffmpeg -v error -f lavfi -i sine=d=2 -c:a pcm_s16le -f wav -']))
    const v = new DataView(bytes.buffer, bytes.byteOffset)
    if (patchDataSize !== undefined) {
      // ffmpeg writes a LIST chunk before data; find data and set its size.
      for (let o = 12; o + 8 <= bytes.length; o += 8 + v.getUint32(o + 4, true)) {
        if (String.fromCharCode(...bytes.subarray(o, o + 4)) === 'data') {
          v.setUint32(o + 4, patchDataSize, true)
          v.setUint32(4, patchDataSize, true)
          break
        }
      }
    }
    writeFileSync(join(dir, name), bytes)
    return bytes
  }
  for (const [name, size] of [['pipe.wav', undefined], ['data0.wav', 0]] as const) {
    it(`${name}: read as ffmpeg does, stamped with a correct header`, async () => {
      const input = pipeWav(name, size)
      if (size === undefined) expect(new DataView(input.buffer).getUint32(4, true)).toBe(0xffffffff)
      const before = input.slice()
      const report = await verifyWith(adapter, input, format('wav'), { c2pa: false })
      expect(report.status).toBe('unlabelled')
      for (const visible of [false, true]) {
        const out = await stampWith(adapter, input, format('wav'), opts({ notice: { visible } }))
        expect(input).toEqual(before)
        const o = join(dir, `o-${visible}-${name}`)
        writeFileSync(o, out.bytes)
        // A correct header: RIFF size is the file less 8, the data chunk ends inside it.
        const v = new DataView(out.bytes.buffer, out.bytes.byteOffset)
        expect(v.getUint32(4, true)).toBe(out.bytes.length - 8)
        expect(ffmpegDecodes(o)).toBe('')
        const pcmIn = pcmOf(join(dir, name))
        const pcmOut = pcmOf(o)
        if (!visible) expect(pcmOut.equals(pcmIn)).toBe(true)
        else expect(pcmOut.length).toBeGreaterThan(pcmIn.length)
        const r = await verifyWith(adapter, out.bytes, format('wav'), { trust: creds.trust, c2pa: false })
        expect(r.status).toBe('valid')
      }
    })
  }
})

describe.skipIf(!HAS)('Ogg with junk between pages (ffmpeg resynchronises)', () => {
  for (const [codec, ext] of [['libvorbis', 'ogg'], ['libopus', 'opus']] as const) {
    it(`${codec}: junk between pages is skipped, as ffmpeg skips it; the file stamps and verifies`, async () => {
      const clean = join(dir, `clean.${ext}`)
      tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=3', '-c:a', codec, clean])
      const bytes = new Uint8Array(readFileSync(clean))
      const pages = readPages(bytes, limits)
      const at = pages[Math.floor(pages.length / 2)]!.offset
      const junk = new Uint8Array(333).fill(0x5a)
      const dirty = joinBytes([bytes.subarray(0, at), junk, bytes.subarray(at)])
      const path = join(dir, `junk.${ext}`)
      writeFileSync(path, dirty)
      expect(pcmOf(path).equals(pcmOf(clean))).toBe(true)
      const report = await verifyWith(adapter, dirty, format('ogg'), { c2pa: false })
      expect(report.status).toBe('unlabelled')
      expect(report.messages.map((m) => m.rule)).toContain('ogg.skipped-bytes')
      const out = await stampWith(adapter, dirty, format('ogg'), opts({ notice: { visible: false } }))
      const o = join(dir, `o-junk.${ext}`)
      writeFileSync(o, out.bytes)
      expect(ffmpegDecodes(o)).toBe('')
      expect(pcmOf(o).equals(pcmOf(clean))).toBe(true)
      expect((await verifyWith(adapter, out.bytes, format('ogg'), { trust: creds.trust, c2pa: false })).status).toBe('valid')
    })
  }
})

describe.skipIf(!HAS)('refusals of the audible notice name the way out; the carriers still stamp', () => {
  const cases: [string, string[], string][] = [
    ['mp2.mp3', ['-c:a', 'mp2', '-b:a', '128k'], 'mp3'],
    ['alaw.wav', ['-c:a', 'pcm_alaw'], 'wav'],
    ['adpcm.wav', ['-c:a', 'adpcm_ms'], 'wav'],
    ['aac.m4a', ['-c:a', 'aac'], 'm4a'],
    ['vorbis.ogg', ['-c:a', 'libvorbis'], 'ogg'],
  ]
  for (const [name, args, id] of cases) {
    it(`${name} (${args[1]}): the notice is refused with the no-notice option named; without it the file stamps and verifies`, async () => {
      const path = join(dir, name)
      tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=f=440:d=2', '-ar', '44100', ...args, ...(id === 'mp3' ? ['-f', 'mp2'] : []), path])
      const input = new Uint8Array(readFileSync(path))
      await expect(stampWith(adapter, input, format(id), opts())).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', message: expect.stringContaining('notice: { visible: false }') })
      const out = await stampWith(adapter, input, format(id), opts({ notice: { visible: false } }))
      const o = join(dir, `o-${name}`)
      writeFileSync(o, out.bytes)
      expect(pcmOf(o).equals(pcmOf(path))).toBe(true)
      expect((await verifyWith(adapter, out.bytes, format(id), { trust: creds.trust, c2pa: false })).status).toBe('valid')
    })
  }
  it('AIFF and AIFF-C are recognised and refused as unsupported, with the reason and a way out', async () => {
    for (const [name, codec, form] of [['t.aiff', 'pcm_s16be', 'AIFF'], ['t.aifc', 'pcm_f32be', 'AIFC']] as const) {
      const path = join(dir, name)
      tool('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=d=1', '-c:a', codec, '-f', 'aiff', path])
      const input = new Uint8Array(readFileSync(path))
      expect(String.fromCharCode(...input.subarray(8, 12))).toBe(form)
      const aiff = format('aiff')
      expect(aiff.sniff!(input)).toBe(true)
      expect(aiff.supported).toBe(false)
      expect(aiff.note).toMatch(/WAV or FLAC/)
      await expect(stampWith(adapter, input, aiff, opts({ notice: { visible: false } }))).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', message: expect.stringMatching(/AIFF.*not supported.*WAV or FLAC/) })
    }
  })
})
