// One entry point over the format readers, with the size and pixel limits checked before any decoding.
import { createSha256, InvalidLabelError, MalformedInputError, throwIfAborted, TooLargeError, UnsupportedFormatError, type LabelBinding, type Limits } from '@tanba/core'
import type { ParsedImage } from './container.js'
import { imageFormat, sniffImageFormat, type ImageFormatId } from './formats.js'
import { parseGif } from './gif/gif.js'
import { parseHeif } from './heif/heif.js'
import { parseJpeg } from './jpeg/jpeg.js'
import { parsePng } from './png/png.js'
import { parseSvg } from './svg/svg.js'
import { parseTiff } from './tiff/tiff.js'
import { parseWebp } from './webp/webp.js'

/**
 * The binding method: SHA-256 over the encoded image data and the metadata a renderer uses to show
 * it (colour profiles and transforms, orientation, animation control; docs/security.md "Images").
 */
export const IMAGE_BINDING = 'tanba.image.data/2'
/** The first method: the encoded image data only. Still verified, with a message that it leaves rendering metadata out. */
export const IMAGE_BINDING_V1 = 'tanba.image.data/1'
const IMAGE_BINDINGS = [IMAGE_BINDING, IMAGE_BINDING_V1]

export function parseImage(bytes: Uint8Array, formatId: string, limits: Limits): ParsedImage {
  if (bytes.length > limits.maxInputBytes) throw new TooLargeError(`The image is ${bytes.length} bytes; limits.maxInputBytes is ${limits.maxInputBytes}`)
  const format = imageFormat(formatId)
  if (!format) throw new UnsupportedFormatError(`The image adapter does not know the format "${formatId}"`)
  if (!format.supported) throw new UnsupportedFormatError(`${formatId.toUpperCase()} is recognised but not supported: ${format.note}`, { details: { format: formatId } })
  if (format.sniff && !format.sniff(bytes.subarray(0, 4096))) {
    const actual = sniffImageFormat(bytes)
    throw new MalformedInputError(
      `Expected ${formatId.toUpperCase()} data but ${actual ? `the bytes are ${actual.id.toUpperCase()}` : bytes.length ? 'the magic bytes do not match' : 'the input is empty'}`,
      { details: { expected: formatId, found: actual?.id } },
    )
  }
  const image = parseByFormat(bytes, format.id as ImageFormatId, limits)
  checkPixels(image, limits)
  return image
}

function parseByFormat(bytes: Uint8Array, id: ImageFormatId, limits: Limits): ParsedImage {
  switch (id) {
    case 'jpeg':
      return parseJpeg(bytes, limits)
    case 'png':
      return parsePng(bytes, limits)
    case 'webp':
      return parseWebp(bytes, limits)
    case 'gif':
      return parseGif(bytes, limits)
    case 'tiff':
      return parseTiff(bytes, limits)
    case 'avif':
    case 'heic':
      return parseHeif(bytes, id, limits)
    case 'svg':
      return parseSvg(bytes, limits)
    default:
      throw new UnsupportedFormatError(`${id.toUpperCase()} is not supported`)
  }
}

/** Decompression bombs: the declared size (all frames) must fit limits.maxPixels before anything decodes it. */
export function checkPixels(image: Pick<ParsedImage, 'width' | 'height' | 'frames' | 'format'>, limits: Pick<Limits, 'maxPixels'>): void {
  const pixels = image.width * image.height * image.frames
  if (pixels > limits.maxPixels) {
    throw new TooLargeError(
      `The ${image.format.toUpperCase()} declares ${image.width}×${image.height}${image.frames > 1 ? ` × ${image.frames} frames` : ''} = ${pixels} pixels; limits.maxPixels is ${limits.maxPixels}`,
      { details: { limit: 'maxPixels', value: limits.maxPixels, pixels } },
    )
  }
}

/** The essence digest (base64url SHA-256) of a parsed image, for one of the binding methods. */
export function essenceDigest(image: ParsedImage, method: string = IMAGE_BINDING): string {
  // Node's native hash in Node, @noble/hashes elsewhere (the browser entry uses this path too).
  const hash = createSha256()
  hash.update(`${method}\0${image.format}\0`)
  image.essence(hash)
  if (method !== IMAGE_BINDING_V1) {
    hash.update('\0rendering\0')
    image.rendering(hash)
  }
  return hash.digestBase64Url()
}

export function bindingFor(image: ParsedImage): LabelBinding {
  return { method: IMAGE_BINDING, alg: 'sha-256', digest: essenceDigest(image) }
}

/** The assets' `digest`: the label's binding method checked, then the essence digest of the parsed image. */
export function imageDigest(image: ParsedImage, binding: LabelBinding, signal?: AbortSignal): string {
  assertBindingMethod(binding)
  throwIfAborted(signal)
  return essenceDigest(image, binding.method)
}

export function assertBindingMethod(binding: LabelBinding): void {
  if (!IMAGE_BINDINGS.includes(binding.method)) {
    throw new InvalidLabelError(`The label is bound with method "${binding.method}"; the image adapter computes ${IMAGE_BINDINGS.map((m) => `"${m}"`).join(' or ')}`)
  }
  if (binding.alg !== 'sha-256') throw new InvalidLabelError(`The label's binding uses "${binding.alg}"; expected "sha-256"`)
}
