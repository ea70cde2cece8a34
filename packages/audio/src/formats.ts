import type { FormatInfo } from '@tanba/core'

// Static format list: detection never loads a codec or decoder.

const ascii = (b: Uint8Array, o: number, s: string) => {
  if (b.length < o + s.length) return false
  for (let i = 0; i < s.length; i++) if (b[o + i] !== s.charCodeAt(i)) return false
  return true
}

function id3Skip(b: Uint8Array): number {
  if (!ascii(b, 0, 'ID3') || b.length < 10) return 0
  return 10 + (((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f)) + (b[5]! & 0x10 ? 10 : 0)
}

function mpegSync(b: Uint8Array, o: number): boolean {
  if (b.length < o + 4 || b[o] !== 0xff || (b[o + 1]! & 0xe0) !== 0xe0) return false
  return ((b[o + 1]! >> 3) & 3) !== 1 && ((b[o + 1]! >> 1) & 3) !== 0 && b[o + 2]! >> 4 !== 15 && ((b[o + 2]! >> 2) & 3) !== 3
}

export const MP3_FORMAT: FormatInfo = {
  id: 'mp3',
  kind: 'audio',
  mediaTypes: ['audio/mpeg', 'audio/mp3', 'audio/x-mp3'],
  extensions: ['mp3'],
  sniff: (b) => {
    const skip = id3Skip(b)
    if (skip) return !(skip + 4 <= b.length && ascii(b, skip, 'fLaC'))
    return mpegSync(b, 0)
  },
  supported: true,
  note: 'MPEG-1/2/2.5 audio, Layers I to III; the audible notice in Layer III (MP3) only: MP1, MP2 and free-format streams stamp with notice: { visible: false }',
}

export const WAV_FORMAT: FormatInfo = {
  id: 'wav',
  kind: 'audio',
  mediaTypes: ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'],
  extensions: ['wav', 'wave'],
  sniff: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE'),
  supported: true,
  note: 'RIFF WAVE, streamed headers included (RF64 is not supported); the audible notice in linear PCM and float only: other codecs (A-law, µ-law, ADPCM, MP3-in-WAV) stamp with notice: { visible: false }',
}

export const FLAC_FORMAT: FormatInfo = {
  id: 'flac',
  kind: 'audio',
  mediaTypes: ['audio/flac', 'audio/x-flac'],
  extensions: ['flac'],
  sniff: (b) => ascii(b, 0, 'fLaC') || (id3Skip(b) > 0 && ascii(b, id3Skip(b), 'fLaC')),
  supported: true,
}

const M4A_BRANDS = ['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']

export const M4A_FORMAT: FormatInfo = {
  id: 'm4a',
  kind: 'audio',
  mediaTypes: ['audio/mp4', 'audio/x-m4a', 'audio/m4a', 'audio/aac-mp4'],
  extensions: ['m4a', 'm4b'],
  sniff: (b) => {
    if (!ascii(b, 4, 'ftyp') || b.length < 16) return false
    // The brand list is short; never walk further than the sniff window's first 4 KiB.
    const size = Math.min(b.length, 4096, ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0)
    for (let o = 8; o + 4 <= size; o += 4) if (M4A_BRANDS.some((brand) => ascii(b, o, brand))) return true
    return false
  },
  supported: true,
  note: 'MPEG-4 audio (AAC, ALAC), not fragmented.',
  noNotice: 'no AAC encoder ships with Tanba; stamp with --no-visible (tags and C2PA are written)',
}

export const OGG_FORMAT: FormatInfo = {
  id: 'ogg',
  kind: 'audio',
  mediaTypes: ['audio/ogg', 'audio/opus', 'audio/vorbis', 'application/ogg'],
  extensions: ['ogg', 'oga', 'opus'],
  sniff: (b) => ascii(b, 0, 'OggS'),
  supported: true,
  note: 'Ogg Vorbis and Ogg Opus, one logical stream; no C2PA (c2pa-node cannot sign Ogg).',
  noNotice: 'no Vorbis or Opus encoder ships with Tanba; stamp with --no-visible (Vorbis comments are written)',
}

export const AIFF_FORMAT: FormatInfo = {
  id: 'aiff',
  kind: 'audio',
  mediaTypes: ['audio/aiff', 'audio/x-aiff'],
  extensions: ['aiff', 'aif', 'aifc'],
  sniff: (b) => ascii(b, 0, 'FORM') && (ascii(b, 8, 'AIFF') || ascii(b, 8, 'AIFC')),
  supported: false,
  note: 'AIFF and AIFF-C are recognised but not supported (no carrier writer for them yet, with or without the notice); convert to WAV or FLAC first',
}

export const AUDIO_FORMATS: readonly FormatInfo[] = [MP3_FORMAT, WAV_FORMAT, FLAC_FORMAT, M4A_FORMAT, OGG_FORMAT, AIFF_FORMAT]

/** Formats that take the audible notice. */
export const NOTICE_FORMATS = ['wav', 'mp3', 'flac'] as const
/** Formats that take an embedded C2PA manifest (through @tanba/c2pa). */
export const C2PA_FORMATS = ['mp3', 'wav', 'flac', 'm4a'] as const
