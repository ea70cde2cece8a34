import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { equalBytes, stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { createVideoAdapter } from '../src/adapter.js'
import { bmffDigest } from '../src/mp4/binding.js'
import { parseMp4 } from '../src/mp4/parse.js'
import { bytesSource } from '../src/source.js'
import { decodeErrors, ffprobeJson, fixture, format, HAS_EXIFTOOL, HAS_FFMPEG, limits, sampleOffset, throughFfmpeg, workDir } from './helpers.js'

const adapter = createVideoAdapter()
let creds: TestCredentials
const options = (): StampOptions => ({
  signer: creds.signer,
  system: { name: 'Video Generator', version: '2.1', model: 'vid-model' },
  owner: { name: 'Tanba Tests LLP', id: '123456789012', country: 'KZ' },
  profiles: ['kz'],
  c2pa: false,
  notice: { visible: false },
})
const verify = (bytes: Uint8Array, id = 'mp4') => verifyWith(adapter, bytes, format(id), { trust: creds.trust })
const digestOf = (bytes: Uint8Array) => bmffDigest(parseMp4(bytesSource(bytes), limits))

beforeAll(async () => {
  creds = await createTestCredentials()
})

describe.skipIf(!HAS_FFMPEG)('the binding follows the coded samples, not the layout (ffmpeg remuxes)', () => {
  let stamped: Uint8Array
  beforeAll(async () => {
    stamped = (await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())).bytes
  })

  const KEEP = ['-c', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags']
  const keeping: [string, string[], string?][] = [
    ['moov moved to the front (-movflags faststart)', ['-c', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags+faststart']],
    ['a -c copy remux keeping the metadata', KEEP],
    ['re-interleaved in 0.1 s chunks', [...KEEP, '-max_interleave_delta', '0', '-frag_duration', '0', '-chunk_duration', '100000']],
    ['remuxed into a QuickTime movie', KEEP, 'mov'],
  ]
  for (const [name, args, ext] of keeping) {
    it(`stays valid after ${name}`, async () => {
      const remuxed = throughFfmpeg(stamped, 'mp4', args, ext ?? 'mp4')
      // ffmpeg really rewrote the file: a different layout, the same samples.
      expect(equalBytes(remuxed, stamped)).toBe(false)
      const report = await verify(remuxed, ext ?? 'mp4')
      expect(report.messages.filter((m) => m.fatal)).toEqual([])
      expect(report.status).toBe('valid')
      expect(report.binding?.valid).toBe(true)
      // The label survived in the mdta key ffmpeg kept, not only in the XMP box (which ffmpeg drops).
      expect(report.markers.some((m) => m.standard === 'tanba' && m.carrier.includes('mdta') && m.valid === true)).toBe(true)
      expect(report.markers.some((m) => m.standard === 'tc260' && m.carrier.includes('mdta'))).toBe(true)
    })
  }

  it('faststart really moves moov before mdat, and the chunk offsets differ', () => {
    const remuxed = throughFfmpeg(stamped, 'mp4', ['-c', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags+faststart'])
    const a = parseMp4(bytesSource(stamped), limits)
    const b = parseMp4(bytesSource(remuxed), limits)
    expect(a.top.map((x) => x.type).indexOf('moov')).toBeGreaterThan(a.top.map((x) => x.type).indexOf('mdat'))
    expect(b.top.map((x) => x.type).indexOf('moov')).toBeLessThan(b.top.map((x) => x.type).indexOf('mdat'))
    expect(b.tracks[0]!.tables.chunkOffset(1)).not.toBe(a.tracks[0]!.tables.chunkOffset(1))
    expect(digestOf(remuxed).digest).toBe(digestOf(stamped).digest)
  })

  const breaking: [string, string[]][] = [
    ['the last video frame dropped', ['-c', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags', '-frames:v', '29']],
    ['the last audio packets dropped', ['-c', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags', '-frames:a', '40']],
    ['the video retimed to half speed', ['-c', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags', '-bsf:v', 'setts=pts=PTS*2:dts=DTS*2:duration=DURATION*2']],
    ['the video re-encoded', ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags']],
    ['the audio re-encoded', ['-c:v', 'copy', '-c:a', 'aac', '-b:a', '32k', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags']],
  ]
  for (const [name, args] of breaking) {
    it(`is invalid with ${name}`, async () => {
      const changed = throughFfmpeg(stamped, 'mp4', args)
      const report = await verify(changed)
      expect(report.markers.some((m) => m.standard === 'tanba' && m.carrier.includes('mdta')), 'the label is still carried').toBe(true)
      expect(report.status).toBe('invalid')
      expect(report.binding?.valid).toBe(false)
    })
  }

  it('is invalid with frames and packets added (the clip concatenated with itself, copied)', async () => {
    writeFileSync(join(workDir(), 'stamped.mp4'), stamped)
    writeFileSync(join(workDir(), 'list.txt'), "file 'stamped.mp4'\nfile 'stamped.mp4'\n")
    // The second input only lends its metadata, so the label travels with the doubled samples.
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', 'list.txt', '-i', 'stamped.mp4', '-map', '0', '-c', 'copy', '-map_metadata', '1', '-movflags', 'use_metadata_tags', 'doubled.mp4'], { cwd: workDir() })
    const report = await verify(new Uint8Array(readFileSync(join(workDir(), 'doubled.mp4'))))
    expect(report.markers.some((m) => m.standard === 'tanba' && m.carrier.includes('mdta'))).toBe(true)
    expect(report.status).toBe('invalid')
    expect(report.binding?.valid).toBe(false)
  })

  it('is invalid with one byte of an audio packet changed', async () => {
    const out = stamped.slice()
    const { offset, size } = sampleOffset(out, 'soun', 10)
    out[offset + Math.floor(size / 2)]! ^= 0x40
    expect((await verify(out)).status).toBe('invalid')
  })

  it('is invalid when a second sample entry with another decoder configuration is added and the chunks point at it', async () => {
    // moov is last in this file, so growing stsd only changes the sizes of its ancestors.
    const a = parseMp4(bytesSource(stamped), limits)
    expect(a.top.at(-1)?.type === 'moov' || a.top.at(-2)?.type === 'moov').toBe(true)
    const trak = a.tree.children!.filter((c) => c.type === 'trak')[0]!
    const stblBox = trak.children!.find((c) => c.type === 'mdia')!.children!.find((c) => c.type === 'minf')!.children!.find((c) => c.type === 'stbl')!
    const stsd = stblBox.children!.find((c) => c.type === 'stsd')!
    const stsc = stblBox.children!.find((c) => c.type === 'stsc')!
    const m = a.moov.slice()
    const mv = new DataView(m.buffer)
    const entry = m.slice(stsd.dataOffset + 8, stsd.dataOffset + 8 + mv.getUint32(stsd.dataOffset + 8))
    const avcC = entry.findIndex((_, i) => entry[i] === 0x61 && entry[i + 1] === 0x76 && entry[i + 2] === 0x63 && entry[i + 3] === 0x43)
    const second = entry.slice()
    second[avcC + 5]! ^= 0x01 // the profile compatibility byte of the AVC configuration
    for (let e = 0; e < mv.getUint32(stsc.dataOffset + 4); e++) mv.setUint32(stsc.dataOffset + 16 + e * 12, 2)
    mv.setUint32(stsd.dataOffset + 4, 2)
    const grown = new Uint8Array(m.length + second.length)
    grown.set(m.subarray(0, stsd.end))
    grown.set(second, stsd.end)
    grown.set(m.subarray(stsd.end), stsd.end + second.length)
    const gv = new DataView(grown.buffer)
    for (const box of [a.tree, trak, trak.children!.find((c) => c.type === 'mdia')!, trak.children!.find((c) => c.type === 'mdia')!.children!.find((c) => c.type === 'minf')!, stblBox, stsd]) gv.setUint32(box.offset, gv.getUint32(box.offset) + second.length)
    const out = new Uint8Array(stamped.length + second.length)
    out.set(stamped.subarray(0, a.moovBox.offset))
    out.set(grown, a.moovBox.offset)
    out.set(stamped.subarray(a.moovBox.end), a.moovBox.offset + grown.length)
    const t = parseMp4(bytesSource(out), limits).tracks[0]!
    expect(t.entries).toBe(2)
    const report = await verify(out)
    expect(report.status).toBe('invalid')
    expect(report.binding?.valid).toBe(false)
  })

  it('is invalid when the sample sizes are shifted (a boundary moved, same bytes)', async () => {
    const a = parseMp4(bytesSource(stamped), limits)
    const t = a.tracks[0]!
    const out = stamped.slice()
    const sizes = a.moovBox.offset + (t.tables.sizes!.byteOffset - a.moov.byteOffset)
    const v = new DataView(out.buffer)
    v.setUint32(sizes + 12, v.getUint32(sizes + 12) + 1)
    v.setUint32(sizes + 16, v.getUint32(sizes + 16) - 1)
    expect((await verify(out)).status).toBe('invalid')
  })
})

describe.skipIf(!HAS_FFMPEG)('what is shown or heard is bound, not only the samples (same samples, another presentation)', () => {
  let stamped: Uint8Array
  beforeAll(async () => {
    stamped = (await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())).bytes
  })

  /** The absolute file offset of a box's payload, found by its path from moov. */
  const boxAt = (bytes: Uint8Array, track: number | null, ...types: string[]): number => {
    const a = parseMp4(bytesSource(bytes), limits)
    let node = track === null ? a.tree : a.tree.children!.filter((c) => c.type === 'trak')[track]!
    for (const t of types) node = node.children!.find((c) => c.type === t)!
    expect(node, types.join('/')).toBeDefined()
    return a.moovBox.offset + node.dataOffset
  }
  const edited = (edit: (out: Uint8Array, v: DataView) => void): Uint8Array => {
    const out = stamped.slice()
    edit(out, new DataView(out.buffer))
    return out
  }
  const expectInvalid = async (out: Uint8Array) => {
    expect(equalBytes(out, stamped)).toBe(false)
    const report = await verify(out)
    expect(report.status).toBe('invalid')
    expect(report.binding?.valid).toBe(false)
  }

  it('an edit list that starts playback half a second later (the opening skipped): ffprobe counts fewer frames, the label is invalid', async () => {
    const frames = (bytes: Uint8Array) => {
      writeFileSync(join(workDir(), 'frames.mp4'), bytes)
      const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', 'frames.mp4'], { cwd: workDir(), encoding: 'utf8' })
      return Number(out.trim())
    }
    const out = edited((_, v) => {
      const elst = boxAt(stamped, 0, 'edts', 'elst')
      const mdhd = boxAt(stamped, 0, 'mdia', 'mdhd')
      const timescale = v.getUint32(mdhd + 12)
      expect(v.getUint8(elst)).toBe(0)
      v.setInt32(elst + 12, v.getInt32(elst + 12) + timescale / 2)
    })
    // A real decoder honours the edit: the first half second is no longer shown.
    expect(frames(stamped)).toBe(30)
    expect(frames(out)).toBeLessThan(20)
    await expectInvalid(out)
  })

  it('the audio track muted in its header (tkhd volume 0)', async () => {
    await expectInvalid(edited((_, v) => v.setInt16(boxAt(stamped, 1, 'tkhd') + 36, 0)))
  })

  it('the movie muted (mvhd volume 0)', async () => {
    await expectInvalid(edited((_, v) => v.setInt16(boxAt(stamped, null, 'mvhd') + 24, 0)))
  })

  it('the video track disabled (tkhd enabled flag cleared)', async () => {
    await expectInvalid(edited((out) => void (out[boxAt(stamped, 0, 'tkhd') + 3]! &= ~1)))
  })

  it('the picture scaled by the track matrix (a corner pushed out of view)', async () => {
    await expectInvalid(edited((_, v) => v.setInt32(boxAt(stamped, 0, 'tkhd') + 40, 4 * 65536)))
  })

  it('the pixel aspect ratio changed in the sample entry (pasp): ffprobe shows another display aspect', async () => {
    const out = edited((out, v) => {
      const stsd = boxAt(stamped, 0, 'mdia', 'minf', 'stbl', 'stsd')
      const entry = out.subarray(stsd + 8, stsd + 8 + v.getUint32(stsd + 8))
      const at = entry.findIndex((_, i) => entry[i] === 0x70 && entry[i + 1] === 0x61 && entry[i + 2] === 0x73 && entry[i + 3] === 0x70)
      expect(at).toBeGreaterThan(0)
      v.setUint32(stsd + 8 + at + 4, 4) // hSpacing: pixels four times as wide
    })
    const dar = (bytes: Uint8Array) => (ffprobeJson(bytes).streams[0] as { display_aspect_ratio?: string }).display_aspect_ratio
    expect(dar(out)).not.toBe(dar(stamped))
    await expectInvalid(out)
  })

  it('a subtitle track added with ffmpeg (mov_text drawn over the picture), the label kept', async () => {
    writeFileSync(join(workDir(), 'subs.srt'), '1\n00:00:00,000 --> 00:00:02,000\nFilmed on location, not AI\n')
    const out = throughFfmpeg(stamped, 'mp4', ['-i', 'subs.srt', '-map', '0', '-map', '1', '-c', 'copy', '-c:s', 'mov_text', '-disposition:s:0', 'default', '-map_metadata', '0', '-movflags', 'use_metadata_tags'])
    expect(ffprobeJson(out).streams.map((st) => (st as { codec_type: string }).codec_type)).toContain('subtitle')
    const report = await verify(out)
    expect(report.markers.some((m) => m.standard === 'tanba' && m.carrier.includes('mdta')), 'the label is still carried').toBe(true)
    expect(report.status).toBe('invalid')
  })

  it('a subtitle track is bound when it was there at stamping: a -c copy remux keeps it valid, a changed cue does not', async () => {
    writeFileSync(join(workDir(), 'cue.srt'), '1\n00:00:00,000 --> 00:00:01,000\nGenerated with AI\n')
    const withSubs = throughFfmpeg(fixture('h264-aac.mp4'), 'mp4', ['-i', 'cue.srt', '-map', '0', '-map', '1', '-c', 'copy', '-c:s', 'mov_text'])
    const labelled = (await stampWith(adapter, withSubs, format('mp4'), options())).bytes
    const remuxed = throughFfmpeg(labelled, 'mp4', ['-map', '0', '-c', 'copy', '-map_metadata', '0', '-movflags', 'use_metadata_tags+faststart'])
    expect((await verify(remuxed)).status).toBe('valid')
    const text = new TextDecoder('latin1').decode(labelled)
    const cue = text.indexOf('Generated with AI')
    expect(cue).toBeGreaterThan(0)
    const changed = labelled.slice()
    changed.set(new TextEncoder().encode('Filmed by a human'), cue)
    expect((await verify(changed)).status).toBe('invalid')
  })
})

describe.skipIf(!HAS_FFMPEG)('fragmented MP4 verifies: the binding reads the moof fragments', () => {
  const KEEP = ['-c', 'copy', '-map', '0', '-map_metadata', '0']
  let stamped: Uint8Array
  beforeAll(async () => {
    // Video only: ffmpeg's fragmenter retimes AAC with priming (see the last test).
    stamped = (await stampWith(adapter, throughFfmpeg(fixture('h264-aac.mp4'), 'mp4', ['-c', 'copy', '-an']), format('mp4'), options())).bytes
  })

  for (const [name, flags, extra] of [
    ['a moof per keyframe, absolute base offsets', 'use_metadata_tags+frag_keyframe+empty_moov', []],
    ['CMAF-style, default-base-is-moof, one fragment per 0.2 s', 'use_metadata_tags+frag_keyframe+empty_moov+default_base_moof', ['-frag_duration', '200000']],
  ] as const) {
    it(`a labelled clip fragmented by ffmpeg (${name}) stays valid; a changed frame in it is invalid`, async () => {
      const frag = throughFfmpeg(stamped, 'mp4', [...KEEP, '-movflags', flags, ...extra])
      const asset = parseMp4(bytesSource(frag), limits)
      expect(asset.fragmented).toBe(true)
      expect(asset.tracks[0]!.tables.count).toBe(0)
      const report = await verify(frag)
      expect(report.messages.filter((m) => m.fatal)).toEqual([])
      expect(report.status).toBe('valid')
      const mdat = asset.top.filter((b) => b.type === 'mdat')[1]!
      const out = frag.slice()
      out[mdat.dataOffset + 300]! ^= 0x01
      const changed = await verify(out)
      expect(changed.status).toBe('invalid')
      expect(changed.binding?.valid).toBe(false)
    })
  }

  it('ffmpeg fragmenting AAC with priming moves the audio by 2176 ticks (45 ms): the label says invalid, as the timing changed', async () => {
    const withAudio = (await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())).bytes
    const frag = throughFfmpeg(withAudio, 'mp4', [...KEEP, '-movflags', 'use_metadata_tags+frag_keyframe+empty_moov+default_base_moof'])
    const a = bmffDigest(parseMp4(bytesSource(withAudio), limits))
    const b = bmffDigest(parseMp4(bytesSource(frag), limits))
    expect(b.tracks[0]).toEqual(a.tracks[0])
    expect(b.tracks[1]!.data).toBe(a.tracks[1]!.data)
    expect(b.tracks[1]!.timing).not.toBe(a.tracks[1]!.timing)
    expect((await verify(frag)).status).toBe('invalid')
  })
})

describe.skipIf(!HAS_FFMPEG)('third-party readers read what Tanba wrote', () => {
  for (const [name, id] of [
    ['h264-aac.mp4', 'mp4'],
    ['h264-aac.mov', 'mov'],
    ['hevc-aac.mp4', 'mp4'],
    ['h264-opus.mp4', 'mp4'],
    ['av1.mp4', 'mp4'],
  ] as const) {
    it(`${name}: ffprobe shows AIGC and the label, ffmpeg decodes it without errors`, async () => {
      const input = fixture(name)
      const result = await stampWith(adapter, input, format(id), options())
      const probe = ffprobeJson(result.bytes, id)
      const tags = probe.format.tags ?? {}
      expect(JSON.parse(tags.AIGC!)).toMatchObject({ Label: '1', ContentProducer: '123456789012' })
      expect(JSON.parse(tags.TANBA!).id).toBe(result.label.id)
      // The other tags are kept.
      expect(tags.encoder ?? tags.compatible_brands).toBeTruthy()
      expect(decodeErrors(result.bytes, id)).toBe('')
      expect(probe.streams.length).toBe(ffprobeJson(input, id).streams.length)
    })
  }

  it('reads AIGC written by ffmpeg (-movflags use_metadata_tags -metadata AIGC=…) as a TC260 marker', async () => {
    const report = await verify(fixture('aigc-ffmpeg.mp4'))
    const tc = report.markers.find((m) => m.standard === 'tc260')
    expect(tc).toMatchObject({ carrier: 'mp4:udta:meta:mdta:AIGC', aiMarked: true })
    expect(report.aiMarked).toBe(true)
    expect(report.status).not.toBe('valid')
  })

  it('restamping a file that ffmpeg labelled keeps its other keys and replaces AIGC', async () => {
    const result = await stampWith(adapter, fixture('aigc-ffmpeg.mp4'), format('mp4'), options())
    const tags = ffprobeJson(result.bytes).format.tags ?? {}
    expect(JSON.parse(tags.AIGC!).ContentProducer).toBe('123456789012')
    expect(tags.encoder).toBeTruthy()
    const report = await verify(result.bytes)
    expect(report.status).toBe('valid')
    expect(report.markers.filter((m) => m.standard === 'tc260' && m.carrier.includes('mdta'))).toHaveLength(1)
  })
})

describe.skipIf(!HAS_EXIFTOOL)('ExifTool reads the XMP box', () => {
  it('shows the IPTC digital source type, the AI system and the Tanba label', async () => {
    const result = await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())
    const file = join(workDir(), 'exif.mp4')
    writeFileSync(file, result.bytes)
    const [tags] = JSON.parse(execFileSync('exiftool', ['-j', '-XMP:all', file], { encoding: 'utf8' })) as Record<string, unknown>[]
    expect(tags!.DigitalSourceType).toBe('http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia')
    expect(tags!.AISystemUsed).toBe('Video Generator (vid-model)')
    expect(String(tags!.Label)).toContain(result.label.id)
  })

  it('an XMP packet ExifTool wrote with a digital source type is read as an IPTC marker', async () => {
    const file = join(workDir(), 'exif-dst.mp4')
    writeFileSync(file, fixture('h264-aac.mp4'))
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia', file])
    const report = await verify(new Uint8Array(readFileSync(file)))
    expect(report.markers.find((m) => m.standard === 'iptc')).toMatchObject({ aiMarked: true, carrier: 'xmp:mp4:uuid' })
    // ExifTool's rewrite keeps the samples: stamping after it, then ExifTool again, stays valid.
    const stamped = await stampWith(adapter, new Uint8Array(readFileSync(file)), format('mp4'), options())
    writeFileSync(file, stamped.bytes)
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Title=Edited by ExifTool', file])
    const again = await verify(new Uint8Array(readFileSync(file)))
    expect(again.status).toBe('valid')
  })
})
