// Shared test helpers: fixtures, renders for a person to look at, and realistic edits of stamped files.
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveLimits, type Adapter, type FormatInfo } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { afterAll } from 'vitest'
import { closeImageAdapter, createImageAdapter } from '../src/index.js'
import sharp from 'sharp'
import { exiftool } from 'exiftool-vendored'
import { parseImage } from '../src/parse.js'
import { parseJpeg, replaceJpegXmp, transplantJpeg, isXmpSegment, type JpegFile } from '../src/jpeg/jpeg.js'
import { parsePng, replacePngXmp, transplantPng, type PngFile } from '../src/png/png.js'
import { parseWebp, replaceWebpXmp, transplantWebp, type WebpFile } from '../src/webp/webp.js'
import type { GifFile } from '../src/gif/gif.js'
import type { TiffFile } from '../src/tiff/tiff.js'
import type { HeifFile } from '../src/heif/heif.js'
import { TiffReader, TAG } from '../src/tiff/ifd.js'

const here = fileURLToPath(new URL('.', import.meta.url))
export const ROOT = join(here, '../../..')
export const FIXTURES = join(ROOT, 'fixtures/image')
export const CORPUS = join(ROOT, '../shared/corpus')
export const RENDERS = join(here, '../out/renders')
export const limits = resolveLimits()

export const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)))
export const corpus = (path: string) => new Uint8Array(readFileSync(join(CORPUS, path)))

/** Writes a PNG of the image as displayed (orientation applied, page `page`) under out/renders for a person to check. */
export async function render(name: string, bytes: Uint8Array, options: { page?: number; width?: number } = {}): Promise<string> {
  mkdirSync(RENDERS, { recursive: true })
  const file = join(RENDERS, `${name}.png`)
  const img = sharp(bytes, { ...(options.page !== undefined ? { page: options.page } : {}), limitInputPixels: false }).rotate()
  await img.resize({ width: options.width ?? 640, withoutEnlargement: true }).png().toFile(file)
  return file
}

/** Mean luminance (0-255) of a rectangle of the displayed image (orientation applied). */
export async function meanLuma(bytes: Uint8Array, rect: { left: number; top: number; width: number; height: number }, page?: number): Promise<number> {
  const oriented = await sharp(bytes, page !== undefined ? { page } : {}).rotate().toBuffer()
  const { data } = await sharp(oriented).extract(rect).greyscale().raw().toBuffer({ resolveWithObject: true })
  let sum = 0
  for (const v of data) sum += v
  return sum / data.length
}

/**
 * Changes one pixel the way an editor that keeps metadata would: decode, change the pixel,
 * encode, and put every metadata block of the stamped file (XMP included) back. The label stays;
 * only the image data differs.
 */
export async function changeOnePixel(stamped: Uint8Array, format: FormatInfo): Promise<Uint8Array> {
  const { data, info } = await sharp(stamped).raw().toBuffer({ resolveWithObject: true })
  // The centre pixel: corners may be transparent, and encoders may drop the colour of invisible pixels.
  const i = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels
  data[i] = 255 - data[i]!
  data[i + 1] = 255 - data[i + 1]!
  const raw = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
  const original = parseImage(stamped, format.id, limits)
  if (format.id === 'jpeg') {
    const j = original as JpegFile
    const encoded = parseJpeg(new Uint8Array(await raw.jpeg({ quality: 95 }).toBuffer()), limits)
    const moved = parseJpeg(transplantJpeg(j, encoded, { keepIcc: true, limits }), limits)
    const xmp = j.segments.filter((s) => isXmpSegment(j.bytes, s)).map((s) => j.bytes.subarray(s.offset, s.end))
    return replaceJpegXmp(moved, xmp)
  }
  if (format.id === 'png') {
    const p = original as PngFile
    const encoded = parsePng(new Uint8Array(await raw.png().toBuffer()), limits)
    return replacePngXmp(parsePng(transplantPng(p, encoded, { keepColour: true, limits }), limits), p.xmp[0]!.text)
  }
  if (format.id === 'webp') {
    const w = original as WebpFile
    const encoded = parseWebp(new Uint8Array(await raw.webp({ lossless: true }).toBuffer()), limits)
    return replaceWebpXmp(parseWebp(transplantWebp(w, encoded, { keepIcc: true, limits }), limits), w.xmp[0]!.text)
  }
  throw new Error(`changeOnePixel: no re-encoder for ${format.id}`)
}

/** Flips one bit in the middle of the image data, leaving every structure intact. */
export function flipImageDataBit(stamped: Uint8Array, format: FormatInfo): Uint8Array {
  const out = stamped.slice()
  const image = parseImage(stamped, format.id, limits)
  let at: number
  if (format.id === 'gif') {
    const first = (image as GifFile).blocks.find((b) => b.kind === 'image')!
    const flags = out[first.offset + 9]!
    const lct = flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0
    at = first.offset + 10 + lct + 1 + 1 + 2 // min code size, first sub-block length, then data
  } else if (format.id === 'tiff') {
    const t = image as TiffFile
    const r = new TiffReader(stamped)
    const offsets = r.numbers(t.pages[0]!.entries.get(TAG.stripOffsets)!)
    const counts = r.numbers(t.pages[0]!.entries.get(TAG.stripByteCounts)!)
    at = offsets[0]! + Math.floor(counts[0]! / 2)
  } else if (format.id === 'avif' || format.id === 'heic') {
    const h = image as HeifFile
    const item = h.items.get(h.primary)!
    const firstTile = item.extents.length ? item.extents[0]! : [...h.items.values()].find((i) => i.type === 'hvc1' || i.type === 'av01')!.extents[0]!
    at = firstTile.offset + Math.floor(firstTile.length / 2)
  } else throw new Error(`flipImageDataBit: ${format.id}`)
  out[at] = out[at]! ^ 0x01
  return out
}

/** Edits unrelated metadata with ExifTool (title, artist, comment), as another tool would. */
export async function exiftoolEdit(bytes: Uint8Array, extension: string): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'tanba-image-test-'))
  try {
    const file = join(dir, `edit.${extension}`)
    writeFileSync(file, bytes)
    await exiftool.write(file, { 'XMP-dc:Title': 'Edited by another tool', Artist: 'Someone Else', Comment: 'edited' } as never, { ignoreMinorErrors: true })
    return new Uint8Array(readFileSync(file))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Reads tags with ExifTool (the standard tool a person would use to check). */
export async function exiftoolTags(bytes: Uint8Array, extension: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'tanba-image-test-'))
  try {
    const file = join(dir, `read.${extension}`)
    writeFileSync(file, bytes)
    return (await exiftool.readRaw(file, ['-G1', '-a', '-u'])) as Record<string, unknown>
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function endExiftool(): Promise<void> {
  await exiftool.end()
}

/**
 * What an image test file needs: the adapter and signing credentials, and, after the file's
 * tests, the adapter's helper processes (C2PA, ExifTool) and the helpers' ExifTool ended.
 * Call it at the top level of the file: `const { adapter, creds } = await imageTestKit()`.
 */
export async function imageTestKit(): Promise<{ adapter: Adapter; creds: TestCredentials }> {
  afterAll(async () => {
    await closeImageAdapter()
    await endExiftool()
  })
  return { adapter: createImageAdapter(), creds: await createTestCredentials() }
}
