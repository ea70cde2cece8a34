// Static format data and magic-byte sniffers. Imports nothing heavy: detection never loads a media library.
import { startsWith, type FormatInfo } from '@tanba/core'

/** The ISO BMFF major and compatible brands of the `ftyp` box at the start, or null. */
export function ftypBrands(head: Uint8Array): string[] | null {
  if (head.length < 16 || !startsWith(head, 'ftyp', 4)) return null
  const size = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0
  if (size < 16) return null
  const end = Math.min(size, head.length, 4096)
  const brands = [String.fromCharCode(...head.subarray(8, 12))]
  for (let o = 16; o + 4 <= end; o += 4) brands.push(String.fromCharCode(...head.subarray(o, o + 4)))
  return brands
}

// Major brands that belong to other adapters: still images (HEIF, AVIF) and MPEG-4 audio.
const NOT_VIDEO = ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1', 'heif', 'avif', 'avis', 'M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']
const QUICKTIME = ['qt  ']
const M4V = ['M4V ', 'M4VH', 'M4VP']

function majorBrand(head: Uint8Array): string | null {
  return ftypBrands(head)?.[0] ?? null
}

/** QuickTime files written before `ftyp` existed start with a `moov`, `mdat`, `wide` or `free` box. */
function isLegacyQuickTime(head: Uint8Array): boolean {
  if (head.length < 8) return false
  const type = String.fromCharCode(...head.subarray(4, 8))
  return ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'].includes(type) && !startsWith(head, 'ftyp', 4)
}

const VIDEO_NO_NOTICE = 'the opening notice for video is not available yet; stamp with --no-visible (AIGC, XMP, the Tanba label and C2PA are written)'
/** c2pa-node reads and signs every ISO BMFF movie as video/mp4 (see c2pa.ts). */
const BMFF_C2PA = { read: true, sign: true, note: 'signed and read as ISO BMFF (video/mp4), which c2pa-node uses for every movie' }

export const MP4_FORMAT: FormatInfo = {
  id: 'mp4',
  kind: 'video',
  mediaTypes: ['video/mp4', 'application/mp4', 'video/iso.segment'],
  extensions: ['mp4', 'mp4v', 'mpg4', 'f4v', '3gp', '3g2'],
  sniff: (h) => {
    const major = majorBrand(h)
    return major !== null && !NOT_VIDEO.includes(major) && !QUICKTIME.includes(major) && !M4V.includes(major)
  },
  supported: true,
  note: 'ISO BMFF with sample tables (H.264, H.265, AV1, VP9 video; AAC, Opus, MP3 audio); fragmented MP4 (moof, CMAF) is verified but not stamped yet',
  noNotice: VIDEO_NO_NOTICE,
}

export const MOV_FORMAT: FormatInfo = {
  id: 'mov',
  kind: 'video',
  mediaTypes: ['video/quicktime'],
  extensions: ['mov', 'qt'],
  sniff: (h) => (majorBrand(h) !== null ? QUICKTIME.includes(majorBrand(h)!) : isLegacyQuickTime(h)),
  supported: true,
  note: 'QuickTime movies with sample tables; the same reader as MP4',
  noNotice: VIDEO_NO_NOTICE,
  c2pa: BMFF_C2PA,
}

export const M4V_FORMAT: FormatInfo = {
  id: 'm4v',
  kind: 'video',
  mediaTypes: ['video/x-m4v'],
  extensions: ['m4v'],
  sniff: (h) => M4V.includes(majorBrand(h) ?? ''),
  supported: true,
  note: "Apple's MPEG-4 video; the same reader as MP4",
  noNotice: VIDEO_NO_NOTICE,
  c2pa: BMFF_C2PA,
}

/** EBML header ID 0x1A45DFA3, then a DocType of "webm" or "matroska" somewhere in the header. */
function ebmlDocType(head: Uint8Array): string | null {
  if (!startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return null
  const text = String.fromCharCode(...head.subarray(0, Math.min(head.length, 64)))
  if (text.includes('webm')) return 'webm'
  if (text.includes('matroska')) return 'matroska'
  return 'ebml'
}

export const WEBM_FORMAT: FormatInfo = {
  id: 'webm',
  kind: 'video',
  mediaTypes: ['video/webm', 'audio/webm'],
  extensions: ['webm'],
  sniff: (h) => ebmlDocType(h) === 'webm',
  supported: false,
  note: 'WebM is recognised but not supported yet (no EBML reader); convert to MP4 with `ffmpeg -i in.webm -c copy out.mp4` where the codecs allow it',
}

export const MKV_FORMAT: FormatInfo = {
  id: 'mkv',
  kind: 'video',
  mediaTypes: ['video/x-matroska', 'video/matroska', 'audio/x-matroska'],
  extensions: ['mkv', 'mka', 'mk3d'],
  sniff: (h) => ebmlDocType(h) === 'matroska',
  supported: false,
  note: 'Matroska is recognised but not supported yet (no EBML reader); remux to MP4 with `ffmpeg -i in.mkv -c copy out.mp4` where the codecs allow it',
}

export const AVI_FORMAT: FormatInfo = {
  id: 'avi',
  kind: 'video',
  mediaTypes: ['video/x-msvideo', 'video/avi', 'video/msvideo'],
  extensions: ['avi'],
  sniff: (h) => startsWith(h, 'RIFF') && startsWith(h, 'AVI ', 8),
  supported: false,
  note: 'AVI is recognised but not supported; remux to MP4',
}

export const VIDEO_FORMATS: readonly FormatInfo[] = [MP4_FORMAT, MOV_FORMAT, M4V_FORMAT, WEBM_FORMAT, MKV_FORMAT, AVI_FORMAT]

/** Formats read by the ISO BMFF reader. */
export const BMFF_FORMATS = ['mp4', 'mov', 'm4v'] as const
/** Formats that take an embedded C2PA manifest (through @tanba/c2pa, as video/mp4). */
export const C2PA_FORMATS = ['mp4', 'mov', 'm4v'] as const
