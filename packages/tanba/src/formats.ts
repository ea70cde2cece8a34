// What Tanba can do with each format it recognises: the data behind `tanba formats` and the
// format table of docs/cli.md (scripts/gen-formats-doc.mjs writes it from this list).
import type { AdapterRegistry, MediaKind } from '@tanba/core'
import { c2paSupport } from '@tanba/c2pa'
import { defaultRegistry } from './registry.js'

/** The perceivable notice a stamp can put into a format. */
export type NoticeSupport = 'visible' | 'audible' | 'text' | 'none'

export interface FormatSupport {
  id: string
  kind: MediaKind
  mediaTypes: readonly string[]
  extensions: readonly string[]
  /** Stamping and verifying work (false: recognised, then refused with UnsupportedFormatError). */
  supported: boolean
  /** The notice a default stamp puts in; 'none' means only `--no-visible` (notice.visible = false) stamps it. */
  notice: NoticeSupport
  /** Why the notice is missing, and what to do. */
  noticeNote?: string
  /** C2PA manifests: read and validated, and embedded when stamping. */
  c2pa: { read: boolean; sign: boolean }
  /** The adapter's own note: limits, what is refused and why. */
  note?: string
}

const NOTICE_BY_KIND: Record<string, NoticeSupport> = { image: 'visible', pdf: 'visible', audio: 'audible', text: 'text', video: 'visible' }

/**
 * Formats whose default stamp cannot put the notice in. Each is checked against the adapter by
 * packages/tanba/test/formats.test.ts (stamping a real file with the notice must be refused with
 * a message naming `--no-visible`, and stamping without it must work), so the table cannot drift.
 */
const NO_NOTICE: Readonly<Record<string, string>> = {
  heic: 'sharp\'s prebuilt libvips has no HEVC encoder; stamp with --no-visible (the label, XMP and C2PA are written)',
  m4a: 'no AAC encoder ships with Tanba; stamp with --no-visible (tags and C2PA are written)',
  ogg: 'no Vorbis or Opus encoder ships with Tanba; stamp with --no-visible (Vorbis comments are written)',
}

/** Every format the registry recognises, with what stamping and verifying can do with it. */
export function listFormats(registry: AdapterRegistry = defaultRegistry()): FormatSupport[] {
  return registry.formats.map((format) => {
    const mediaType = format.mediaTypes[0] ?? ''
    const noticeNote = NO_NOTICE[format.id]
    const c2pa = format.supported ? c2paSupport(mediaType) : { read: false, sign: false }
    return {
      id: format.id,
      kind: format.kind,
      mediaTypes: format.mediaTypes,
      extensions: format.extensions,
      supported: format.supported,
      notice: !format.supported || noticeNote ? 'none' : (NOTICE_BY_KIND[format.kind] ?? 'none'),
      ...(noticeNote ? { noticeNote } : {}),
      c2pa,
      ...(format.note ? { note: format.note } : {}),
    }
  })
}
