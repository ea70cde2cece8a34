import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveLimits, stampWith, type StampOptions } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { PDFArray, PDFContext, PDFDict, PDFName, PDFRawStream, PDFRef, PDFString } from 'pdf-lib'
import { createPdfAdapter, listPages, PdfFile, writeIncrementalUpdate, type UpdateObject } from '../src/adapter.js'
import { PDF_FORMAT } from '../src/formats.js'

export const ROOT = new URL('../../../', import.meta.url).pathname
export const CORPUS = join(ROOT, '..', 'shared', 'corpus')
export const FIXTURES = join(ROOT, 'fixtures', 'pdf')
export const RENDERS = join(ROOT, 'packages', 'pdf', 'out', 'renders')

export const CORPUS_PDFS = ['basic.pdf', 'basic-annotation.pdf', 'basic-attachments.pdf', 'basic-no-xmp.pdf', 'basic-signed.pdf', 'express.pdf'].map((f) => join(CORPUS, 'media', f))
export const EXPRESS_SIGNED = join(CORPUS, 'third-party-labelled', 'express-signed.pdf')
export const FIXTURE_PDFS = ['rotated.pdf', 'cropbox.pdf', 'sizes.pdf', 'inherited.pdf', 'classic-xref.pdf', 'damaged-xref.pdf'].map((f) => join(FIXTURES, f))

export function load(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path))
}

export const adapter = createPdfAdapter()
export const limits = resolveLimits()

let creds: Promise<TestCredentials> | undefined
export function credentials(): Promise<TestCredentials> {
  creds ??= createTestCredentials()
  return creds
}

export async function stamp(input: Uint8Array, options: Partial<StampOptions> = {}) {
  const c = await credentials()
  return stampWith(adapter, input, PDF_FORMAT, {
    signer: c.signer,
    system: { name: 'Test Generator', version: '2', model: 'test-model' },
    owner: { name: 'Tanba Tests LLP', id: '123456789012', country: 'KZ' },
    profiles: ['kz'],
    c2pa: false,
    ...options,
  })
}

/**
 * Appends an incremental update the way another PDF tool would: `edit` returns new or
 * changed objects; the update uses the same xref kind as the file's last section.
 */
export function appendUpdate(bytes: Uint8Array, edit: (file: PdfFile, ctx: PDFContext, alloc: () => PDFRef) => { objects: UpdateObject[]; info?: PDFRef }, password?: string): Uint8Array {
  const file = PdfFile.open(bytes, { limits, ...(password ? { password } : {}) })
  let next = file.size
  const ctx = file.context
  const { objects, info } = edit(file, ctx, () => PDFRef.of(next++, 0))
  const id = file.trailer.get(PDFName.of('ID'))
  const idPair = id instanceof PDFArray ? ([(id.get(0) as PDFString).asBytes(), (id.get(1) as PDFString).asBytes()] as [Uint8Array, Uint8Array]) : undefined
  const infoNow = file.trailer.get(PDFName.of('Info'))
  const update = writeIncrementalUpdate(objects, {
    baseLength: bytes.length,
    baseEndsWithEol: bytes[bytes.length - 1] === 0x0a,
    prev: file.startxref,
    format: file.sections[0]!.kind,
    root: file.rootRef,
    info: info ?? (infoNow instanceof PDFRef ? infoNow : undefined),
    id: idPair,
    encrypt: file.trailer.get(PDFName.of('Encrypt')),
    size: next,
    security: file.security,
  })
  const out = new Uint8Array(bytes.length + update.bytes.length)
  out.set(bytes)
  out.set(update.bytes, bytes.length)
  return out
}

/** Another tool changes the document title (metadata only). */
export function editTitle(bytes: Uint8Array, password?: string): Uint8Array {
  return appendUpdate(
    bytes,
    (file, ctx, alloc) => {
      const info = PDFDict.withContext(ctx)
      const old = file.lookupDict(file.trailer, 'Info')
      if (old) for (const [k, v] of old.entries()) info.set(k, v)
      info.set(PDFName.of('Title'), PDFString.of('Edited by another tool'))
      const ref = alloc()
      return { objects: [{ ref, object: info }], info: ref }
    },
    password,
  )
}

/** Another tool draws a blue square on the first page (a page content change). */
export function drawOnFirstPage(bytes: Uint8Array, password?: string): Uint8Array {
  return appendUpdate(
    bytes,
    (file, ctx, alloc) => {
      const page = listPages(file)[0]!
      const stream = PDFRawStream.of(PDFDict.withContext(ctx), new TextEncoder().encode('q 0 0 1 rg 20 20 80 80 re f Q\n'))
      const sref = alloc()
      const dict = PDFDict.withContext(ctx)
      for (const [k, v] of page.dict.entries()) dict.set(k, v)
      const contents = page.dict.get(PDFName.of('Contents'))
      const list = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : []
      dict.set(PDFName.of('Contents'), ctx.obj([...list, sref]))
      return { objects: [{ ref: sref, object: stream }, { ref: page.ref, object: dict }] }
    },
    password,
  )
}

/** Another tool removes Tanba's notice from every page (restores the original content list). */
export function removeNotice(bytes: Uint8Array): Uint8Array {
  return appendUpdate(bytes, (file, ctx) => {
    const objects: UpdateObject[] = []
    for (const page of listPages(file)) {
      const contents = page.dict.get(PDFName.of('Contents'))
      if (!(contents instanceof PDFArray)) continue
      const dict = PDFDict.withContext(ctx)
      for (const [k, v] of page.dict.entries()) dict.set(k, v)
      dict.set(PDFName.of('Contents'), ctx.obj(contents.asArray().slice(1, -1)))
      objects.push({ ref: page.ref, object: dict })
    }
    return { objects }
  })
}

/** True when a command is on the PATH (Debian tools used only for optional cross-checks). */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** `qpdf --check` output, or null when qpdf is not installed. */
export function qpdfCheck(bytes: Uint8Array, password?: string): { ok: boolean; output: string } | null {
  if (!hasTool('qpdf')) return null
  const path = join(tmpdir(), `tanba-qpdf-${process.pid}-${Math.random().toString(36).slice(2)}.pdf`)
  writeFileSync(path, bytes)
  const r = spawnSync('qpdf', [...(password ? [`--password=${password}`] : []), '--check', path], { encoding: 'utf8' })
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` }
}

/** `pdfsig` output, or null when poppler-utils is not installed. */
export function pdfsig(bytes: Uint8Array): string | null {
  if (!hasTool('pdfsig')) return null
  const path = join(tmpdir(), `tanba-pdfsig-${process.pid}.pdf`)
  writeFileSync(path, bytes)
  try {
    return execFileSync('pdfsig', [path], { encoding: 'utf8' })
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error)
  }
}

/** Page texts through pdf.js, an independent pure-JavaScript reader. */
export async function pdfjsText(bytes: Uint8Array, password?: string): Promise<string[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
  const doc = await pdfjs.getDocument({ data: bytes.slice(), isEvalSupported: false, verbosity: 0, ...(password ? { password } : {}) }).promise
  const out: string[] = []
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i)
    const content = await page.getTextContent()
    out.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''))
  }
  await doc.destroy()
  return out
}

/**
 * Renders page `n` with pdf.js into out/renders/<name>.png for a person to look at.
 * Returns null when pdf.js has no canvas here (its optional @napi-rs/canvas is missing).
 */
export async function renderPage(bytes: Uint8Array, name: string, n = 1, password?: string): Promise<string | null> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
  const doc = await pdfjs.getDocument({ data: bytes.slice(), isEvalSupported: false, verbosity: 0, ...(password ? { password } : {}) }).promise
  const page = await doc.getPage(n)
  const base = page.getViewport({ scale: 1 })
  const viewport = page.getViewport({ scale: Math.min(2, 900 / Math.max(base.width, base.height)) })
  const factory = (doc as unknown as { canvasFactory: { create(w: number, h: number): { canvas: { toBuffer(t: string): Buffer }; context: unknown } } }).canvasFactory
  let made: ReturnType<typeof factory.create>
  try {
    made = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height))
  } catch {
    await doc.destroy()
    return null
  }
  const { canvas, context } = made
  await page.render({ canvasContext: context as CanvasRenderingContext2D, viewport }).promise
  mkdirSync(RENDERS, { recursive: true })
  const path = join(RENDERS, `${name}.png`)
  writeFileSync(path, canvas.toBuffer('image/png'))
  await doc.destroy()
  return path
}
