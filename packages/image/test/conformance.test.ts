// The shared adapter conformance suite, for every supported format, on small fixtures.
import { afterAll } from 'vitest'
import { describeAdapterConformance } from '@tanba/core/testing'
import { utf8, type FormatInfo } from '@tanba/core'
import { closeImageAdapter, createImageAdapter, imageFormat } from '../src/index.js'
import { changeOnePixel, corpus, endExiftool, exiftoolEdit, fixture, flipImageDataBit } from './helpers.js'

const f = (id: string) => imageFormat(id)!

async function tamper(stamped: Uint8Array, format: FormatInfo): Promise<Uint8Array> {
  if (format.id === 'jpeg' || format.id === 'png' || (format.id === 'webp' && !isAnimatedWebp(stamped))) return changeOnePixel(stamped, format)
  if (format.id === 'svg') return utf8(new TextDecoder().decode(stamped).replace('cx="300"', 'cx="301"'))
  if (format.id === 'webp') return flipWebpData(stamped)
  return flipImageDataBit(stamped, format)
}

function isAnimatedWebp(bytes: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(bytes.subarray(0, 200)).includes('ANIM')
}

/** Flips a bit inside the first ANMF frame's bitstream. */
function flipWebpData(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  const at = new TextDecoder('latin1').decode(bytes).indexOf('ANMF')
  const i = at + 8 + 16 + 8 + 40
  out[i] = out[i]! ^ 0x01
  return out
}

async function benign(stamped: Uint8Array, format: FormatInfo): Promise<Uint8Array> {
  if (format.id === 'svg') {
    // SVG: ExifTool cannot write it; edit the XMP packet by hand as a metadata editor would.
    return utf8(new TextDecoder().decode(stamped).replace('<rdf:Description rdf:about=""', '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/svg+xml"'))
  }
  return exiftoolEdit(stamped, format.extensions[0]!)
}

afterAll(async () => {
  await closeImageAdapter()
  await endExiftool()
})

// C2PA on: every format but TIFF carries a manifest (TIFF only with adapterOptions.image.tiffC2pa).
const carriesC2pa = (format: FormatInfo) => format.id !== 'tiff'

describeAdapterConformance('@tanba/image', {
  adapter: async () => createImageAdapter(),
  samples: [
    { name: 'JPEG', format: f('jpeg'), bytes: fixture('photo.jpg') },
    { name: 'JPEG with EXIF orientation 6', format: f('jpeg'), bytes: fixture('rotated-exif6.jpg') },
    { name: 'PNG with alpha', format: f('png'), bytes: fixture('alpha.png') },
    { name: 'PNG with palette', format: f('png'), bytes: fixture('palette.png') },
    { name: 'WebP lossy', format: f('webp'), bytes: fixture('photo.webp') },
    { name: 'WebP lossless with alpha', format: f('webp'), bytes: fixture('lossless-alpha.webp') },
    { name: 'WebP animated', format: f('webp'), bytes: fixture('animated.webp') },
    { name: 'GIF animated', format: f('gif'), bytes: fixture('animated.gif') },
    { name: 'TIFF multi-page', format: f('tiff'), bytes: fixture('multipage.tif') },
    { name: 'AVIF', format: f('avif'), bytes: fixture('photo.avif') },
    { name: 'SVG', format: f('svg'), bytes: fixture('drawing.svg') },
  ],
  tamperEssence: tamper,
  benignEdit: benign,
  stampOptions: { profiles: ['kz', 'cn'] },
  c2pa: carriesC2pa,
})

// HEIC: sharp's prebuilt libvips cannot decode HEVC, so HEIC is stamped without the visible warning.
describeAdapterConformance('@tanba/image (HEIC, metadata only)', {
  adapter: async () => createImageAdapter(),
  samples: [{ name: 'HEIC', format: f('heic'), bytes: () => Promise.resolve(corpus('media/sample1.heic')) }],
  tamperEssence: tamper,
  benignEdit: benign,
  stampOptions: { notice: { visible: false } },
  c2pa: carriesC2pa,
})
