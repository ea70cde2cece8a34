import { concatBytes, CORE_RULES, InvalidOptionError, isAiDigitalSourceType, isTanbaError, MalformedInputError, noticeText, parseLabel, parseTc260, readXmp, sha256Base64Url, TanbaError, tc260IsAi, throwIfAborted, type Adapter, type Asset, type Extraction, type ExtractOptions, type FormatInfo, type FoundLabel, type LabelBinding, type LabelNotice, type Limits, type Marker, type OpenOptions, type ReportMessage, type StampContext, type StampResult, type XmpAiFields } from '@tanba/core'
import { PDFArray, PDFHexString, PDFName, PDFRef, PDFString } from 'pdf-lib'
import { buildMetadataUpdate, hasC2paManifest, readCarriers } from './carriers.js'
import { analyseUpdates, BINDING_METHOD, revisionDigest } from './changes.js'
import { c2paStampMessages, readC2paMarker } from './c2pa.js'
import { PDF_FORMATS } from './formats.js'
import { findNotice } from './notice/read.js'
import { PdfFile } from './syntax/file.js'
import { listPages } from './syntax/pages.js'
import { writeIncrementalUpdate } from './syntax/writer.js'
import type { NoticeLayout } from './notice/stamp.js'
import { PDF_RULES } from './rules.js'

export const PDF_ADAPTER_NAME = 'pdf'

export { PdfFile, type XrefSection, type XrefEntry } from './syntax/file.js'
export { writeIncrementalUpdate, type UpdateObject, type UpdateOptions, type UpdateResult } from './syntax/writer.js'
export { listPages, type PageInfo } from './syntax/pages.js'
export { analyseUpdates, BINDING_METHOD, type UpdateAnalysis } from './changes.js'
export { findNotice, type FoundNotice } from './notice/read.js'
export { LABEL_FILE_NAME } from './carriers.js'
export { PDF_FORMAT, PDF_FORMATS } from './formats.js'

/** Options under `adapterOptions.pdf` (or given to `createPdfAdapter` as defaults). */
export interface PdfAdapterOptions {
  /** Pages that get the visible notice: every page (default) or the first only. */
  pages?: 'all' | 'first'
  /**
   * Where the notice goes: `band` (default) adds a strip to the page (MediaBox and CropBox grow on the
   * placement's edge) so the notice covers nothing; `overlay` draws it over the page's own content.
   */
  noticeLayout?: NoticeLayout
  /** Notice text height as a fraction of the page's shorter side (default 0.02: 12 pt on A4; never below 6 pt). */
  textHeight?: number
  /** Fonts (TrueType, OpenType or WOFF bytes) tried before the bundled Noto Sans faces. */
  fonts?: Uint8Array[]
  /** Password for encrypted documents (user or owner). The empty user password is always tried. */
  password?: string
}

const DEFAULT_TEXT_HEIGHT = 0.02

/** Creates the PDF adapter. */
export function createPdfAdapter(defaults: PdfAdapterOptions = {}): Adapter {
  const optionsOf = (adapterOptions: Record<string, unknown>): PdfAdapterOptions => {
    const given = adapterOptions.pdf
    if (given !== undefined && (typeof given !== 'object' || given === null)) throw new InvalidOptionError('Expected adapterOptions.pdf to be an object', { details: { option: 'adapterOptions.pdf' } })
    const o = { ...defaults, ...(given as PdfAdapterOptions | undefined) }
    if (o.pages !== undefined && o.pages !== 'all' && o.pages !== 'first') throw new InvalidOptionError(`Expected adapterOptions.pdf.pages "all" or "first" but received ${JSON.stringify(o.pages)}`, { details: { option: 'adapterOptions.pdf.pages' } })
    if (o.noticeLayout !== undefined && o.noticeLayout !== 'band' && o.noticeLayout !== 'overlay') throw new InvalidOptionError(`Expected adapterOptions.pdf.noticeLayout "band" or "overlay" but received ${JSON.stringify(o.noticeLayout)}`, { details: { option: 'adapterOptions.pdf.noticeLayout' } })
    if (o.textHeight !== undefined && !(o.textHeight > 0 && o.textHeight <= 0.5)) throw new InvalidOptionError(`Expected adapterOptions.pdf.textHeight between 0 and 0.5 but received ${String(o.textHeight)}`, { details: { option: 'adapterOptions.pdf.textHeight' } })
    if (o.password !== undefined && typeof o.password !== 'string') throw new InvalidOptionError('Expected adapterOptions.pdf.password to be a string', { details: { option: 'adapterOptions.pdf.password' } })
    return o
  }

  return {
    name: PDF_ADAPTER_NAME,
    kind: 'pdf',
    formats: PDF_FORMATS,

    capabilities: { stamp: true },

    open: (input: Uint8Array, format: FormatInfo, options: OpenOptions) =>
      typed(async (): Promise<Asset> => {
        throwIfAborted(options.signal)
        const opts = optionsOf(options.adapterOptions)
        // One parse of the xref chain and the decryption set-up, shared by read, digest and stamp.
        const file = openFile(input, options.limits, opts.password)
        return {
          format,
          size: input.length,
          read: (read) => typed(() => extractPdf(input, file, { ...options, ...read })),
          digest: (binding) => typed(async () => revisionDigest(file, binding)),
          stamp: (ctx) => typed(() => stampPdf(input, file, ctx, optionsOf(ctx.adapterOptions))),
        }
      }),
  }
}

async function stampPdf(input: Uint8Array, file: PdfFile, ctx: StampContext, opts: PdfAdapterOptions): Promise<StampResult> {
  const messages: ReportMessage[] = []
  if (file.unterminated !== undefined) {
    // An update appended here would be read as the rest of that object (a stream runs on to the next
    // "endstream"), so the bound revision would not be the one a reader opens.
    throw new MalformedInputError(
      `The PDF ends inside object ${file.unterminated} (no "endobj" follows it: the file is truncated), so an update appended to it would be read as part of that object; repair the file first (for example with qpdf) and stamp the repaired copy`,
      { details: { object: file.unterminated } },
    )
  }
  if (file.repaired) {
    messages.push(PDF_RULES.message('pdf.xref-repaired', `The cross-reference data was damaged (${file.repairReason}); Tanba rebuilt it and wrote a complete cross-reference section in its update`))
  }
  if (file.security) {
    messages.push(PDF_RULES.message('pdf.encrypted', `The PDF is encrypted (standard security handler, revision ${file.security.revision}); Tanba's additions are encrypted with the document's own key`))
    if ((file.security.permissions & 0b1000) === 0) {
      messages.push(PDF_RULES.message('pdf.permissions', 'The document permissions do not allow changes; Tanba added its label as an incremental update that leaves the existing bytes, and any signature over them, intact'))
    }
  }
  // Same kind of section as the original's last one; a repaired file gets a table unless it has object streams.
  const format = file.repaired || !file.sections.length ? (hasObjectStreams(file.xref) ? 'stream' : 'table') : file.sections[0]!.kind
  const id = documentId(file)
  const encrypt = file.trailer.get(PDFName.of('Encrypt'))
  const carriers: string[] = []
  throwIfAborted(ctx.signal)

  // Revision A: the visible notice. Bytes [0, end of A) are what the label binds.
  let prefix = input
  let prevXref: number | undefined = file.repaired ? undefined : file.startxref
  let size = file.size
  let notice: LabelNotice | undefined
  let existing = file.repaired ? file.xref : undefined
  /** Appends a revision with `objects` to the input; the label will bind the bytes up to its end. */
  const appendRevision = (objects: Parameters<typeof writeIncrementalUpdate>[0], newSize: number) => {
    const update = writeIncrementalUpdate(objects, {
      baseLength: input.length,
      baseEndsWithEol: endsWithEol(input),
      prev: prevXref,
      format,
      root: file.rootRef,
      info: infoRef(file),
      id: id && [id[0], id[1]],
      encrypt,
      size: newSize,
      security: file.security,
      existing,
    })
    prefix = concatBytes(input, update.bytes)
    prevXref = update.xrefOffset
    size = update.size
    existing = undefined
  }
  if (ctx.notice) {
    const pages = guard(() => listPages(file))
    const targets = opts.pages === 'first' ? pages.slice(0, 1) : pages
    if (!targets.length) throw new MalformedInputError('The PDF has no pages to put the notice on')
    const textHeight = opts.textHeight ?? DEFAULT_TEXT_HEIGHT
    // The drawing code (fontkit, the fonts) loads only when a notice is drawn, never to verify.
    const { buildPageNotice } = await import('./notice/stamp.js')
    const built = await buildPageNotice(file, targets, {
      lines: ctx.notice.lines,
      placement: ctx.notice.placement,
      layout: opts.noticeLayout ?? 'band',
      textHeight,
      ...(opts.fonts ? { fonts: opts.fonts } : {}),
    })
    appendRevision(built.objects, built.size)
    if (built.annotatedBands.length) {
      messages.push(PDF_RULES.message('pdf.annotation-in-band', `Page(s) ${built.annotatedBands.slice(0, 12).join(', ')} have an annotation placed outside the page's visible area that now shows in the added band, where it may cover part of the notice`))
    }
    if (built.fragilePages.length) {
      messages.push(PDF_RULES.message('pdf.notice-may-be-hidden', `The content of page(s) ${built.fragilePages.slice(0, 12).join(', ')}${built.fragilePages.length > 12 ? ', ...' : ''} has an error at which viewers such as poppler stop painting, so the overlaid notice may not be shown there; the default band layout (adapterOptions.pdf.noticeLayout "band") is not affected`))
    }
    const custom = ctx.notice.lines.some((l) => noticeText(l.lang, ctx.origin) !== l.text)
    notice = {
      method: 'page-text',
      langs: ctx.notice.lines.map((l) => l.lang),
      placement: `${opts.pages === 'first' ? 'first-page' : 'every-page'}:${ctx.notice.placement}`,
      height: round(built.height),
      ...(custom ? { text: ctx.notice.text } : {}),
    }
    carriers.push('pdf:page-text')
  } else if (file.repaired) {
    // Without a notice revision, the rebuilt cross-reference section gets a revision of its own, so the
    // bound bytes end with a readable section: a verifier opens the document as it was at the extent.
    // (prevXref is undefined here: a repaired file has no usable previous section.)
    appendRevision([], size)
  }
  throwIfAborted(ctx.signal)
  const binding: LabelBinding = { method: BINDING_METHOD, alg: 'sha-256', digest: await sha256Base64Url(prefix), extent: prefix.length }
  const label = await ctx.sign(binding, notice)

  // Revision B: metadata carriers. Changes here never touch the bound bytes.
  const current = guard(() => readCarriers(file, ctx.limits.maxMetadataBytes))
  const meta = buildMetadataUpdate(file, file.context, label, size, current.xmp, ctx.limits.maxMetadataBytes)
  const update = writeIncrementalUpdate(meta.objects, {
    baseLength: prefix.length,
    baseEndsWithEol: endsWithEol(prefix),
    prev: prevXref,
    format,
    root: file.rootRef,
    info: meta.info,
    id: id && [id[0], id[1]],
    encrypt,
    size: meta.size,
    security: file.security,
    existing,
  })
  carriers.push('xmp', 'pdf:info:AIGC', 'pdf:embedded-file')
  messages.push(...c2paStampMessages(ctx, hasC2paManifest(file)))
  return { bytes: concatBytes(prefix, update.bytes), label, carriers, messages }
}

async function extractPdf(input: Uint8Array, file: PdfFile, options: ExtractOptions): Promise<Extraction> {
  const markers: Marker[] = []
  const labels: FoundLabel[] = []
  const messages: ReportMessage[] = []
  const fields: Record<string, unknown> = { pdfVersion: file.version, revisions: file.revisionEnds().length }
  if (file.repaired) messages.push(PDF_RULES.message('pdf.xref-repaired', `The cross-reference data is damaged (${file.repairReason}); it was rebuilt by scanning the file`))
  if (file.security) fields.encryption = `standard security handler revision ${file.security.revision}`
  const carriers = guard(() => readCarriers(file, options.limits.maxMetadataBytes))
  fields.info = carriers.info
  if (carriers.attachments.length) fields.attachments = carriers.attachments

  let xmp: XmpAiFields = {}
  if (carriers.xmp !== undefined) {
    try {
      xmp = readXmp(carriers.xmp, { maxBytes: options.limits.maxMetadataBytes, maxDepth: options.limits.maxDepth })
    } catch (error) {
      messages.push(CORE_RULES.message('xmp.unreadable', `The XMP metadata does not parse: ${(error as Error).message}`, { carrier: 'xmp' }))
    }
  }
  if (xmp.digitalSourceType) {
    fields.digitalSourceType = xmp.digitalSourceType
    markers.push({ standard: 'iptc', carrier: 'xmp', aiMarked: isAiDigitalSourceType(xmp.digitalSourceType), valid: null, value: xmp.digitalSourceType, detail: `IPTC digital source type ${xmp.digitalSourceType}` })
  }
  for (const [k, v] of Object.entries({ aiSystemUsed: xmp.aiSystemUsed, aiSystemVersionUsed: xmp.aiSystemVersionUsed, aiPromptInformation: xmp.aiPromptInformation })) if (v) fields[k] = v
  pushTc260(markers, messages, fields, 'xmp', xmp.tc260)
  pushTc260(markers, messages, fields, 'pdf:info:AIGC', carriers.infoAigc)
  if (xmp.tanbaLabel !== undefined) labels.push(decodeLabel('xmp', xmp.tanbaLabel))
  if (carriers.embeddedLabel !== undefined) labels.push(decodeLabel('pdf:embedded-file', carriers.embeddedLabel))

  const label = labels.find((l) => l.label)?.label
  const pages = guard(() => listPages(file))
  fields.pages = pages.length
  // The notice is read from the pages' text: content, so only when the caller asks for it.
  const found = options.content === false ? null : guard(() => findNotice(file, pages))
  if (found) {
    const text = found.lines.map((l) => l.text).join('\n')
    fields.notice = { text, langs: found.lines.map((l) => l.lang), pages: found.pages }
    const expectAll = !label?.notice?.placement?.startsWith('first-page')
    const complete = expectAll ? found.pages.length === pages.length : found.pages.includes(1)
    markers.push({
      standard: 'notice',
      carrier: 'pdf:page-text',
      aiMarked: true,
      valid: complete,
      value: { text, langs: found.lines.map((l) => l.lang), pages: found.pages },
      detail: `Visible notice on ${found.pages.length} of ${pages.length} page(s): ${found.lines.map((l) => l.text).join(' / ')}`,
    })
    if (!complete) messages.push(CORE_RULES.message('notice.incomplete', `The visible notice is on ${found.pages.length} of ${pages.length} pages`, { carrier: 'pdf:page-text' }))
  } else if (options.content !== false && label?.notice && label.notice.method !== 'none') {
    messages.push(CORE_RULES.message('notice.missing', 'The label records a visible notice, but no page shows it', { carrier: 'pdf:page-text' }))
  }

  if (label?.binding.method === BINDING_METHOD && label.binding.extent !== undefined && label.binding.extent <= input.length) {
    try {
      messages.push(...describeUpdates(file, label.binding.extent))
      // Tanba ends its metadata revision with "%%EOF" and an end-of-line; a copy that stops short was cut off.
      const last = file.sections[0]
      if (last && last.offset >= label.binding.extent && !endsWithEol(input) && file.sections.filter((s) => s.offset >= label.binding.extent!).length === 1) {
        messages.push(PDF_RULES.message('pdf.truncated', "The file ends before the end of Tanba's metadata revision: it looks truncated", { carrier: 'pdf:incremental-update' }))
      }
    } catch (error) {
      if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
      messages.push(PDF_RULES.message('pdf.updates-unreadable', `The updates appended after labelling cannot be read: ${(error as Error).message}`, { carrier: 'pdf:incremental-update' }))
    }
  }

  // C2PA stores its manifest in a PDF as an /AF attachment; without one there is nothing to read.
  if (options.c2pa && hasC2paManifest(file)) {
    const c2pa = await readC2paMarker(input, file, options)
    markers.push(...c2pa.markers)
    labels.push(...c2pa.labels)
    messages.push(...c2pa.messages)
    if (c2pa.fields) fields.c2pa = c2pa.fields
  } else if (hasC2paManifest(file)) {
    markers.push({ standard: 'c2pa', carrier: 'c2pa:pdf-af', aiMarked: false, valid: null, detail: 'A C2PA manifest is attached; it was not read because C2PA reading is switched off' })
  }
  return { markers, labels, messages, fields }
}

/** Runs an adapter operation so that any failure leaves it as a TanbaError (the cause kept). */
async function typed<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof TanbaError) throw error
    if (error instanceof RangeError) throw new MalformedInputError(`The PDF is too deeply nested or too large to process: ${error.message}`, { cause: error })
    throw new MalformedInputError(`The PDF cannot be processed: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  }
}

/** Messages about updates appended after the bound revision (the first one is Tanba's metadata). */
function describeUpdates(file: PdfFile, extent: number): ReportMessage[] {
  const a = analyseUpdates(file, extent)
  const out: ReportMessage[] = []
  const what = [
    ...(a.pagesReplaced ? ['the page tree'] : []),
    ...(a.catalogChanged.length ? [`catalog entries that change what is rendered, run or shown first (${a.catalogChanged.join(', ')})`] : []),
    ...(a.touched.length ? [`objects of the pages or of those catalog entries (objects ${a.touched.slice(0, 12).join(', ')}${a.touched.length > 12 ? ', ...' : ''})`] : []),
  ]
  if (what.length) {
    out.push(PDF_RULES.message('pdf.changed-after-labelling', `An incremental update appended after labelling changes ${what.join('; ')}`, { carrier: 'pdf:incremental-update' }))
  }
  const others = a.later.length - 1
  if (others > 0 && !what.length) {
    out.push(PDF_RULES.message('pdf.updated-after-labelling', `${others} incremental update(s) were appended after labelling; they change only document-level data such as metadata (objects ${a.other.slice(0, 12).join(', ')}${a.other.length > 12 ? ', ...' : ''}), not the pages`, { carrier: 'pdf:incremental-update' }))
  }
  return out
}

function pushTc260(markers: Marker[], messages: ReportMessage[], fields: Record<string, unknown>, carrier: string, text: string | undefined): void {
  if (text === undefined) return
  const tc = parseTc260(text)
  if (!tc) {
    messages.push(CORE_RULES.message('tc260.unreadable', `The AIGC value in ${carrier} is not a TC260 JSON object`, { carrier }))
    markers.push({ standard: 'tc260', carrier, aiMarked: false, valid: false, value: text })
    return
  }
  fields[carrier === 'xmp' ? 'xmpAIGC' : 'infoAIGC'] = tc
  markers.push({ standard: 'tc260', carrier, aiMarked: tc260IsAi(tc), valid: null, value: tc, detail: `TC260 Label ${tc.Label}, producer ${tc.ContentProducer || '(empty)'}` })
}

function decodeLabel(carrier: string, text: string): FoundLabel {
  try {
    return { carrier, label: parseLabel(text) }
  } catch (error) {
    return { carrier, error: isTanbaError(error) ? error : new MalformedInputError(`The label in ${carrier} does not parse`, { cause: error }) }
  }
}

/** Opens a PDF, turning any unexpected parser failure into a typed error. */
function openFile(input: Uint8Array, limits: Limits, password: string | undefined): PdfFile {
  return guard(() => PdfFile.open(input, { limits, ...(password !== undefined ? { password } : {}) }))
}

function guard<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (error instanceof TanbaError) throw error
    if (error instanceof RangeError) throw new MalformedInputError(`The PDF is too deeply nested or too large to read: ${error.message}`, { cause: error })
    throw new MalformedInputError(`The PDF cannot be read: ${(error as Error).message}`, { cause: error })
  }
}

function documentId(file: PdfFile): [Uint8Array, Uint8Array] | undefined {
  const id = file.trailer.get(PDFName.of('ID'))
  if (!(id instanceof PDFArray) || id.size() < 1) return undefined
  const first = id.get(0)
  if (!(first instanceof PDFHexString || first instanceof PDFString)) return undefined
  const id0 = first.asBytes()
  // The second element changes with each revision; derive it from the first and the time.
  const id1 = new Uint8Array(16)
  crypto.getRandomValues(id1)
  return [id0, id1]
}

function infoRef(file: PdfFile): PDFRef | undefined {
  const info = file.trailer.get(PDFName.of('Info'))
  return info instanceof PDFRef ? info : undefined
}

function endsWithEol(bytes: Uint8Array): boolean {
  const last = bytes[bytes.length - 1]
  return last === 0x0a || last === 0x0d
}

function hasObjectStreams(entries: Map<number, { type: number }>): boolean {
  for (const e of entries.values()) if (e.type === 2) return true
  return false
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000
}

