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
  /** Why C2PA is limited for this format (e.g. not signed by default), when it is. */
  c2paNote?: string
  /** The adapter's own note: limits, what is refused and why. */
  note?: string
}

const NOTICE_BY_KIND: Record<string, NoticeSupport> = { image: 'visible', pdf: 'visible', audio: 'audible', text: 'text', video: 'visible' }

/** Every format the registry recognises, with what stamping and verifying can do with it. */
export function listFormats(registry: AdapterRegistry = defaultRegistry()): FormatSupport[] {
  return registry.formats.map((format) => {
    const mediaType = format.mediaTypes[0] ?? ''
    // The adapter's own word on the notice and on C2PA wins over the defaults of its kind and media
    // type; packages/cli/test/hygiene.test.ts stamps a real file of each "no notice" format to check it.
    const noticeNote = format.supported ? format.noNotice : undefined
    const c2pa = !format.supported ? { read: false, sign: false } : format.c2pa ? { read: format.c2pa.read, sign: format.c2pa.sign } : c2paSupport(mediaType)
    return {
      id: format.id,
      kind: format.kind,
      mediaTypes: format.mediaTypes,
      extensions: format.extensions,
      supported: format.supported,
      notice: !format.supported || noticeNote ? 'none' : (NOTICE_BY_KIND[format.kind] ?? 'none'),
      ...(noticeNote ? { noticeNote } : {}),
      c2pa,
      ...(format.supported && format.c2pa?.note ? { c2paNote: format.c2pa.note } : {}),
      ...(format.note ? { note: format.note } : {}),
    }
  })
}
