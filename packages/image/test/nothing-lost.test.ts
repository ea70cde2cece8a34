// Nothing lost (issue 13 §4): every property of the input's XMP, EXIF, IPTC-IIM, ICC profile and
// comments survives every stamp mode, as ExifTool (`exiftool -j -G1 -a`) reads input and output.
// The inputs are tagged by ExifTool itself, the way a photographer's tools would tag them.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { concatBytes, stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { parsePng } from '../src/png/png.js'
import { sniffImageFormat } from '../src/index.js'
import { fixture, imageTestKit, limits } from './helpers.js'

const { adapter, creds } = await imageTestKit()

function withDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tanba-lost-'))
  try {
    return run(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const ICC = withDir((dir) => {
  writeFileSync(join(dir, 'p.jpg'), fixture('display-p3.jpg'))
  return new Uint8Array(execFileSync('exiftool', ['-b', '-ICC_Profile', join(dir, 'p.jpg')]))
})

/** ExifTool's view of a file: every tag, with its family-1 group, duplicates included. */
function tags(bytes: Uint8Array, ext: string): Record<string, unknown> {
  return withDir((dir) => {
    const file = join(dir, `f.${ext}`)
    writeFileSync(file, bytes)
    const [json] = JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', '-b', file], { maxBuffer: 64 << 20 }).toString()) as Record<string, unknown>[]
    return json!
  })
}

/** A file tagged the way a photo library does it: XMP (dc, photoshop, Iptc4xmpCore), EXIF, IPTC-IIM, an ICC profile, a comment. */
function tagged(name: string, ext: string, args: string[]): Uint8Array {
  return withDir((dir) => {
    const file = join(dir, `in.${ext}`)
    const icc = join(dir, 'p3.icc')
    writeFileSync(file, fixture(name))
    writeFileSync(icc, ICC)
    execFileSync('exiftool', ['-q', '-q', '-overwrite_original', ...args.map((a) => a.replace('{icc}', icc)), file])
    return new Uint8Array(readFileSync(file))
  })
}

const XMP_ARGS = ['-XMP-dc:Title=Harbour at dawn', '-XMP-dc:Rights=(c) 2026 Example Photo', '-XMP-dc:Creator=Ana Example', '-XMP-photoshop:Credit=Example Agency', '-XMP-photoshop:City=Almaty', '-XMP-iptcCore:CreatorWorkEmail=ana@example.org', '-XMP-dc:Subject=harbour', '-XMP-dc:Subject=dawn']
const EXIF_ARGS = ['-EXIF:Artist=Ana Example', '-EXIF:Copyright=(c) 2026 Example Photo', '-EXIF:ImageDescription=Harbour', '-ExifIFD:UserComment=shot on a tripod', '-ExifIFD:DateTimeOriginal=2026:01:02 03:04:05', '-GPS:GPSLatitude=43.25', '-GPS:GPSLatitudeRef=N']
const IPTC_ARGS = ['-IPTC:ObjectName=Harbour', '-IPTC:By-line=Ana Example', '-IPTC:CopyrightNotice=(c) 2026 Example Photo', '-IPTC:Keywords=harbour', '-IPTC:Keywords=dawn']
const ICC_ARGS = ['-ICC_Profile<={icc}']

const INPUTS: { name: string; ext: string; make: () => Uint8Array }[] = [
  { name: 'JPEG tagged by ExifTool', ext: 'jpg', make: () => tagged('photo.jpg', 'jpg', [...XMP_ARGS, ...EXIF_ARGS, ...IPTC_ARGS, ...ICC_ARGS, '-Comment=A JPEG comment']) },
  { name: 'third-party-xmp.jpg', ext: 'jpg', make: () => fixture('third-party-xmp.jpg') },
  { name: 'PNG tagged by ExifTool', ext: 'png', make: () => tagged('photo.png', 'png', [...XMP_ARGS, ...EXIF_ARGS, ...ICC_ARGS, '-PNG:Comment=A PNG comment', '-PNG:Author=Ana Example']) },
  { name: 'third-party-xmp.png', ext: 'png', make: () => fixture('third-party-xmp.png') },
  { name: 'WebP tagged by ExifTool', ext: 'webp', make: () => tagged('photo.webp', 'webp', [...XMP_ARGS, ...EXIF_ARGS, ...ICC_ARGS]) },
  { name: 'GIF tagged by ExifTool', ext: 'gif', make: () => tagged('animated.gif', 'gif', [...XMP_ARGS, '-GIF:Comment=A GIF comment']) },
  { name: 'TIFF tagged by ExifTool', ext: 'tif', make: () => tagged('multipage.tif', 'tif', [...XMP_ARGS, ...EXIF_ARGS, ...IPTC_ARGS, ...ICC_ARGS]) },
  { name: 'AVIF tagged by ExifTool', ext: 'avif', make: () => tagged('photo.avif', 'avif', [...XMP_ARGS, ...EXIF_ARGS]) },
]

/** What the stamp is meant to change: its own XMP fields, the file's structure, and (with the warning) the encoding. */
function meantToChange(key: string, visible: boolean): boolean {
  const [group, tag] = key.split(':') as [string, string]
  if (['SourceFile', 'ExifTool', 'System', 'File', 'Composite', 'XMP-tanba', 'XMP-TC260', 'JUMBF', 'CBOR', 'C2PA'].includes(group) || key === 'SourceFile') return true
  if (group === 'XMP-iptcExt' && /^(DigitalSourceType|AISystemUsed|AISystemVersionUsed|AIPromptInformation|AIPromptWriterName)$/.test(tag)) return true
  if (group === 'XMP-x' && tag === 'XMPToolkit') return true
  if (group === 'XMP-xmpNote') return true // HasExtendedXMP: the GUID of a re-split packet
  // Positions and sizes of the data, not properties: they move whenever a block grows.
  if (/^(StripOffsets|TileOffsets|MediaDataSize|MediaDataOffset)$/.test(tag)) return true
  if (!visible) return false
  // A new encoding of the pixels: its own encoding parameters, thumbnail and multi-picture data.
  if (['PNG', 'RIFF', 'GIF', 'QuickTime', 'IFD1', 'MPF0', 'JFIF', 'Meta', 'ItemList'].includes(group) && !/^(Comment|Author|FrameCount|AnimationIterations|Duration)$/.test(tag)) return true
  if (/^MPImage/.test(tag)) return true
  if (/^(IFD\d|SubIFD)$/.test(group) && /^(StripOffsets|StripByteCounts|RowsPerStrip|Compression|Predictor|PlanarConfiguration|TileOffsets|TileByteCounts|TileWidth|TileLength|ThumbnailOffset|ThumbnailLength|ThumbnailImage|SubfileType|PageNumber|PhotometricInterpretation|SamplesPerPixel|BitsPerSample|XResolution|YResolution|ResolutionUnit|ExtraSamples|SampleFormat|FillOrder|T4Options|T6Options)$/.test(tag)) return true
  if (group === 'ExifIFD' && /^(ExifImageWidth|ExifImageHeight)$/.test(tag)) return true
  return false
}

const MODES: { name: string; visible: boolean; c2pa: boolean }[] = [
  { name: 'visible warning (default)', visible: true, c2pa: false },
  { name: 'metadata only', visible: false, c2pa: false },
  { name: 'visible warning and C2PA', visible: true, c2pa: true },
]

describe('every property of the input survives every stamp mode (ExifTool reads input and output)', () => {
  for (const input of INPUTS) {
    for (const mode of MODES) {
      if (mode.c2pa && !['jpg', 'png'].includes(input.ext)) continue
      it(`${input.name}, ${mode.name}`, async () => {
        const bytes = input.make()
        const format = sniffImageFormat(bytes)!
        const options: StampOptions = { signer: creds.signer, system: { name: 'Lost Test' }, owner: { name: 'Tanba Tests' }, c2pa: mode.c2pa, ...(mode.visible ? {} : { notice: { visible: false } }) }
        const out = (await stampWith(adapter, bytes, format, options)).bytes
        expect((await verifyWith(adapter, out, format, { trust: creds.trust })).status).toBe('valid')
        const before = tags(bytes, input.ext)
        let after = tags(out, input.ext)
        if (String(after['ExifTool:Warning']).includes('IFD0 pointer references previous JUMBFBox directory')) {
          // ExifTool 12.57 stops at an eXIf chunk that follows c2pa-rs's caBX chunk (both TIFF-style
          // offsets from 0); the eXIf bytes are untouched, as ExifTool shows once caBX is left out.
          const png = parsePng(out, limits)
          const cabx = png.chunks.find((c) => c.type === 'caBX')!
          expect(png.chunks.find((c) => c.type === 'eXIf'), 'the eXIf chunk is still there').toBeTruthy()
          after = { ...tags(concatBytes(out.subarray(0, cabx.offset), out.subarray(cabx.end)), input.ext), ...Object.fromEntries(Object.entries(after).filter(([k]) => !k.startsWith('ExifTool:'))) }
        }
        const lost: string[] = []
        for (const [key, value] of Object.entries(before)) {
          if (meantToChange(key, mode.visible)) continue
          if (JSON.stringify(after[key]) !== JSON.stringify(value)) lost.push(`${key}: ${JSON.stringify(value)?.slice(0, 80)} → ${JSON.stringify(after[key])?.slice(0, 80)}`)
        }
        expect(lost).toEqual([])
        // The stamp's own fields are there too.
        expect(after['XMP-iptcExt:DigitalSourceType']).toMatch(/trainedAlgorithmicMedia/)
      }, 240_000)
    }
  }
})
