// The verification engine of the page: Tanba's adapters that run in a browser, core's verifier,
// and C2PA through a WebAssembly reader. It imports nothing that needs Node.js, so the same code
// runs in the page and in the Node test that compares it with the SDK (test/engine.test.ts).
import {
  AdapterRegistry,
  errorReport,
  isTanbaError,
  startsWith,
  TrustStore,
  UnsupportedFormatError,
  verifyWith,
  type Adapter,
  type AdapterEntry,
  type Asset,
  type Extraction,
  type FormatInfo,
  type Marker,
  type OpenOptions,
  type ProfileId,
  type ReadOptions,
  type VerificationReport,
} from '@tanba/core'
import { audioEntry } from '@tanba/audio'
import { c2paFindingsFromSummary, summariseManifestStore } from '@tanba/c2pa/browser'
import { imageBrowserEntryWith, type PixelDecoder } from '@tanba/image/browser'
import { textEntry } from '@tanba/text'

/** Reads a C2PA manifest store (the c2pa-rs JSON), or null when the file has none. */
export interface C2paReader {
  read(bytes: Uint8Array, mediaType: string, trustAnchorsPem: string | undefined): Promise<unknown | null>
}

/** Something the page could not check for a file, as a key the UI translates (plus detail). */
export interface Unchecked {
  what: 'pdf-label' | 'c2pa-unread' | 'c2pa-unsupported' | 'trust-none' | 'notice-audio'
  detail?: string
}

export interface FileCheck {
  name: string
  size: number
  report: VerificationReport
  unchecked: Unchecked[]
  /** False when the file's Tanba label could not be looked for at all (PDF in the browser). */
  labelChecked: boolean
}

export interface CheckOptions {
  profile: ProfileId
  trust?: TrustStore
  /** PEM certificates from the trust files, given to the C2PA reader as trust anchors. */
  trustPem?: string
  c2pa?: C2paReader | null
  signal?: AbortSignal
}

/**
 * PDF in the browser: only detection and C2PA. The PDF adapter reads page content through
 * Node's zlib and crypto, so its carriers (XMP, /AIGC, the embedded label) are not read here.
 */
const PDF_FORMAT: FormatInfo = {
  id: 'pdf',
  kind: 'pdf',
  mediaTypes: ['application/pdf'],
  extensions: ['pdf'],
  sniff: (head) => startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d]),
  supported: true,
}

const pdfBrowserAdapter: Adapter = {
  name: 'pdf',
  kind: 'pdf',
  formats: [PDF_FORMAT],
  capabilities: { stamp: false },
  async open(input: Uint8Array, format: FormatInfo): Promise<Asset> {
    return {
      format,
      size: input.length,
      async read(): Promise<Extraction> {
        // The C2PA carrier of a PDF is an associated file; a byte search for the JUMBF box type finds it.
        const c2pa = indexOfAscii(input, 'c2pa') >= 0 && indexOfAscii(input, 'jumb') >= 0
        return {
          markers: c2pa ? [{ standard: 'c2pa', carrier: 'c2pa', aiMarked: false, valid: null, detail: 'A C2PA manifest store may be present' }] : [],
          labels: [],
          messages: [],
          fields: {},
        }
      },
      async digest(): Promise<string> {
        // No label is read from a PDF here (see above), so there is never a binding to check.
        throw new UnsupportedFormatError('The page does not read PDF labels, so it computes no PDF binding')
      },
    }
  },
}

const pdfBrowserEntry: AdapterEntry = { name: 'pdf', kind: 'pdf', formats: [PDF_FORMAT], load: async () => pdfBrowserAdapter }

/** Media types the C2PA reader takes, by Tanba format id. */
const C2PA_MEDIA_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heic: 'image/heic',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  pdf: 'application/pdf',
}

/**
 * The browser registry: binary formats sniffed before text, as the SDK does. With a pixel decoder
 * (the page's canvas), images are also searched for the invisible watermark, as the SDK does.
 */
export function createBrowserRegistry(options: { decodePixels?: PixelDecoder } = {}): AdapterRegistry {
  const registry = new AdapterRegistry()
  for (const entry of [imageBrowserEntryWith(options.decodePixels ? { decodePixels: options.decodePixels } : {}), pdfBrowserEntry, audioEntry, textEntry]) registry.register(entry)
  return registry
}

/**
 * Wraps an adapter so that C2PA markers it found but could not read are read with the browser
 * reader; the findings (marker, validation codes, the Tanba label in the manifest) are merged in
 * the same way the Node adapters merge @tanba/c2pa's.
 */
function withBrowserC2pa(adapter: Adapter, reader: C2paReader | null | undefined, trustPem: string | undefined, unchecked: Unchecked[]): Adapter {
  return {
    ...adapter,
    async open(input: Uint8Array, format: FormatInfo, options: OpenOptions): Promise<Asset> {
      const asset = await adapter.open(input, format, options)
      return { ...asset, read: (read) => readWithBrowserC2pa(asset, input, format, read, reader, trustPem, unchecked) }
    },
  }
}

async function readWithBrowserC2pa(asset: Asset, input: Uint8Array, format: FormatInfo, read: ReadOptions, reader: C2paReader | null | undefined, trustPem: string | undefined, unchecked: Unchecked[]): Promise<Extraction> {
  const found = await asset.read({ ...read, c2pa: false })
  const unread = found.markers.filter((m) => m.standard === 'c2pa' && m.valid === null)
  if (!unread.length) return found
  const mediaType = C2PA_MEDIA_TYPES[format.id]
  if (!mediaType) {
    unchecked.push({ what: 'c2pa-unsupported', detail: format.id.toUpperCase() })
    return found
  }
  if (!reader) {
    unchecked.push({ what: 'c2pa-unread', detail: 'no C2PA reader' })
    return found
  }
  let store: unknown
  try {
    store = await reader.read(input, mediaType, trustPem)
  } catch (error) {
    const reason = (error as Error).message ?? String(error)
    found.messages.push({ rule: 'c2pa.unreadable', carrier: unread[0]!.carrier, fatal: false, reason: `The C2PA manifest could not be read: ${reason}` })
    unchecked.push({ what: 'c2pa-unread', detail: reason })
    return found
  }
  // Named as the Node adapters name it: the image adapter by its carrier, the audio adapter "c2pa".
  const carrier = format.kind === 'audio' ? 'c2pa' : unread[0]!.carrier
  const markers = found.markers.filter((m) => !unread.includes(m))
  if (store === null || store === undefined) {
    // The PDF byte search can be wrong; for the other formats the carrier was really there.
    if (format.id !== 'pdf') {
      const reason = `A C2PA carrier (${carrier}) is present but the C2PA reader found no manifest store in it`
      markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: false, detail: reason })
      found.messages.push({ rule: 'c2pa.unreadable', carrier, fatal: false, reason })
    }
    return { ...found, markers }
  }
  const c2pa = c2paFindingsFromSummary(summariseManifestStore(store), carrier)
  return {
    markers: [...markers, ...c2pa.markers],
    labels: [...found.labels, ...c2pa.labels],
    messages: [...found.messages, ...c2pa.messages],
    fields: { ...found.fields, 'c2pa.claimGenerator': c2pa.summary?.claimGenerator },
  }
}

/** Verifies one file's bytes in the browser. Never throws for bad input: the report says `error`. */
export async function checkFile(name: string, bytes: Uint8Array, options: CheckOptions, registry = createBrowserRegistry()): Promise<FileCheck> {
  const unchecked: Unchecked[] = []
  let report: VerificationReport
  let labelChecked = true
  try {
    const detection = registry.detect(bytes, { filename: name })
    const adapter = withBrowserC2pa(await registry.load(detection), options.c2pa, options.trustPem, unchecked)
    report = await verifyWith(adapter, bytes, detection.format, {
      profiles: [options.profile],
      ...(options.trust ? { trust: options.trust } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      file: name,
      // Ordinary tags are for `inspect`; the page does not show them.
      adapterOptions: { audio: { musicMetadata: false } },
    })
    if (detection.format.kind === 'pdf') {
      labelChecked = false
      unchecked.push({ what: 'pdf-label' })
    }
    if (detection.format.kind === 'audio' && report.messages.some((m) => m.rule === 'notice.unchecked' || m.rule === 'notice.undecodable')) {
      unchecked.push({ what: 'notice-audio', detail: report.messages.find((m) => m.rule.startsWith('notice.'))?.reason })
    }
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    report = errorReport(error, {}, name)
  }
  if (report.label && !options.trust) unchecked.push({ what: 'trust-none' })
  return { name, size: bytes.length, report, unchecked, labelChecked }
}

/** Builds a trust store from the contents of trust files: PEM (certificates, public keys) or a JWKS. */
export async function trustFromFiles(files: { name: string; text: string }[]): Promise<{ trust: TrustStore; pem: string } | undefined> {
  if (!files.length) return undefined
  const pem: string[] = []
  const jwks: unknown[] = []
  for (const f of files) {
    const text = f.text.trim()
    if (text.startsWith('{')) jwks.push(JSON.parse(text))
    else pem.push(text)
  }
  const trust = await TrustStore.from({ pem, ...(jwks.length ? { jwks: jwks.length === 1 ? jwks[0] : { keys: jwks.flatMap((j) => (j as { keys?: unknown[] }).keys ?? [j]) } } : {}) })
  // TrustStore trusts each certificate's own key too, so a pinned signer.pem also trusts compact
  // text labels, which carry the key but not the chain (as `tanba verify --trust` does).
  const certs = pem.join('\n').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  return { trust, pem: certs.join('\n') }
}

/** Standards that mark the content as AI-made (intact or not verifiable), for the summary line. */
export function aiStandards(markers: readonly Marker[]): string[] {
  return [...new Set(markers.filter((m) => m.aiMarked && m.valid !== false).map((m) => m.standard))]
}

function indexOfAscii(bytes: Uint8Array, text: string): number {
  const first = text.charCodeAt(0)
  outer: for (let i = bytes.indexOf(first); i >= 0 && i <= bytes.length - text.length; i = bytes.indexOf(first, i + 1)) {
    for (let j = 1; j < text.length; j++) if (bytes[i + j] !== text.charCodeAt(j)) continue outer
    return i
  }
  return -1
}
