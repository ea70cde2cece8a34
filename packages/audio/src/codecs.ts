import { UnsupportedFormatError, type FormatInfo } from '@tanba/core'
import { flacCodec } from './flac/flac.js'
import { mp3Codec } from './mp3/mp3.js'
import type { AudioCodec } from './types.js'
import { wavCodec } from './wav/wav.js'
import { m4aCodec } from './mp4/mp4.js'
import { oggCodec } from './ogg/ogg.js'

const CODECS: Record<string, AudioCodec> = { mp3: mp3Codec, wav: wavCodec, flac: flacCodec, m4a: m4aCodec, ogg: oggCodec }

export function codecFor(format: FormatInfo): AudioCodec {
  const codec = CODECS[format.id]
  if (!codec || !format.supported) {
    throw new UnsupportedFormatError(`${format.id.toUpperCase()} is not supported by @tanba/audio; supported: ${Object.keys(CODECS).map((k) => k.toUpperCase()).join(', ')}${format.note ? ` (${format.note})` : ''}`, { details: { format: format.id } })
  }
  return codec
}
