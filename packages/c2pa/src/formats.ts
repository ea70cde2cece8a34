// Which media types @contentauth/c2pa-node 0.5.5 can read and sign (checked against the corpus).

export interface C2paSupport {
  /** The C2PA reader can look for and validate a manifest store in this format. */
  read: boolean
  /** A manifest can be embedded and signed in this format. */
  sign: boolean
}

interface C2paFormat {
  /** Short name used in messages: "JPEG", "MP3". */
  name: string
  /** The media type handed to the addon. */
  mediaType: string
  read: boolean
  sign: boolean
}

const FORMATS: readonly C2paFormat[] = [
  { name: 'JPEG', mediaType: 'image/jpeg', read: true, sign: true },
  { name: 'PNG', mediaType: 'image/png', read: true, sign: true },
  { name: 'WebP', mediaType: 'image/webp', read: true, sign: true },
  { name: 'AVIF', mediaType: 'image/avif', read: true, sign: true },
  { name: 'HEIC', mediaType: 'image/heic', read: true, sign: true },
  { name: 'HEIF', mediaType: 'image/heif', read: true, sign: true },
  { name: 'TIFF', mediaType: 'image/tiff', read: true, sign: true },
  { name: 'GIF', mediaType: 'image/gif', read: true, sign: true },
  { name: 'SVG', mediaType: 'image/svg+xml', read: true, sign: true },
  { name: 'MP3', mediaType: 'audio/mpeg', read: true, sign: true },
  { name: 'WAV', mediaType: 'audio/wav', read: true, sign: true },
  { name: 'FLAC', mediaType: 'audio/flac', read: true, sign: true },
  { name: 'M4A', mediaType: 'audio/mp4', read: true, sign: true },
  { name: 'MP4', mediaType: 'video/mp4', read: true, sign: true },
  // 0.5.5 validates manifests in PDFs but has no PDF writer.
  { name: 'PDF', mediaType: 'application/pdf', read: true, sign: false },
]

const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/heic-sequence': 'image/heic',
  'image/heif-sequence': 'image/heif',
  'image/tif': 'image/tiff',
  'audio/mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-flac': 'audio/flac',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
}

/** Formats Tanba handles elsewhere that C2PA 0.5.5 cannot carry; named in messages. */
const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  'audio/ogg': 'OGG',
  'audio/opus': 'Opus',
  'application/ogg': 'OGG',
  'text/plain': 'plain text',
  'text/markdown': 'Markdown',
  'text/html': 'HTML',
}

/** Lower-case media type without parameters, aliases mapped to the canonical type. */
export function normaliseMediaType(mimeType: string): string {
  const bare = mimeType.split(';')[0]!.trim().toLowerCase()
  return ALIASES[bare] ?? bare
}

/** What the C2PA addon can do with a media type (aliases such as `image/jpg`, `audio/x-wav` accepted). */
export function c2paSupport(mimeType: string): C2paSupport {
  const format = c2paFormat(mimeType)
  return { read: format?.read ?? false, sign: format?.sign ?? false }
}

/** Every media type with C2PA support, canonical first-class types only. */
export function c2paMediaTypes(): Array<{ mediaType: string; name: string } & C2paSupport> {
  return FORMATS.map(({ mediaType, name, read, sign }) => ({ mediaType, name, read, sign }))
}

/** @internal */
export function c2paFormat(mimeType: string): C2paFormat | undefined {
  const type = normaliseMediaType(mimeType)
  return FORMATS.find((f) => f.mediaType === type)
}

/** @internal A short name for messages: "JPEG", "OGG", or the media type itself. */
export function formatName(mimeType: string): string {
  const type = normaliseMediaType(mimeType)
  return c2paFormat(type)?.name ?? KNOWN_UNSUPPORTED[type] ?? (type || 'unknown')
}
