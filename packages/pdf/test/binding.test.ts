// The binding covers everything a viewer uses (issue 13 §2): each row is an incremental update
// appended after labelling, checked with a real renderer (poppler's pdftoppm/pdftotext) or, for
// what a renderer does not paint (actions, portfolios), with qpdf reading the structure.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { verifyWith, type VerificationReport } from '@tanba/core'
import { PDFDict, PDFDocument, PDFName, PDFNumber, PDFRef, PDFString, StandardFonts, type PDFContext, type PDFObject } from 'pdf-lib'
import { beforeAll, describe, expect, it } from 'vitest'
import { listPages, PdfFile, type UpdateObject } from '../src/adapter.js'
import { PDF_FORMAT } from '../src/formats.js'
import { adapter, appendUpdate, credentials, hasTool, limits, stamp } from './helpers.js'

const tools = hasTool('pdftoppm') && hasTool('pdftotext') && hasTool('qpdf')
if (!tools) console.warn('binding.test.ts: poppler-utils or qpdf missing; the rendering checks are skipped')

const DANGLING_ANNOT = 500
const DANGLING_ACTION = 501
let labelled: Uint8Array
/** The same document without the dangling references. */
let clean: Uint8Array
let dir: string

async function verify(bytes: Uint8Array): Promise<VerificationReport> {
  const c = await credentials()
  return verifyWith(adapter, bytes, PDF_FORMAT, { trust: c.trust, c2pa: false })
}

/**
 * Two pages as a careless but ordinary writer makes them: page 1 has a heading, a block in an
 * optional-content layer that is on by default, and an /Annots entry naming an object that was
 * never written; the catalog's /OpenAction also names an object that does not exist.
 */
async function original(dangling = true): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false })
  const font = await doc.embedFont(StandardFonts.Helvetica)
  const ctx = doc.context
  const ocg = ctx.register(ctx.obj({ Type: 'OCG', Name: PDFString.of('Layer') }))
  for (const [i, text] of ['Original heading', 'Second page'].entries()) {
    const page = doc.addPage([595, 842])
    page.node.setFontDictionary(PDFName.of('F1'), font.ref)
    let ops = `BT /F1 28 Tf 60 640 Td (${text}) Tj ET\n`
    if (i === 0) {
      ops += '/OC /L1 BDC 0 0 0 rg 60 300 300 120 re f BT /F1 24 Tf 60 260 Td (Layer text) Tj ET EMC\n'
      ;(page.node.Resources() as PDFDict).set(PDFName.of('Properties'), ctx.obj({ L1: ocg }))
      if (dangling) page.node.set(PDFName.of('Annots'), ctx.obj([PDFRef.of(DANGLING_ANNOT, 0)]))
    }
    page.node.set(PDFName.of('Contents'), ctx.register(ctx.stream(ops)))
  }
  doc.catalog.set(PDFName.of('OCProperties'), ctx.obj({ OCGs: [ocg], D: { ON: [ocg], Order: [ocg] } }))
  if (dangling) doc.catalog.set(PDFName.of('OpenAction'), PDFRef.of(DANGLING_ACTION, 0))
  return doc.save({ useObjectStreams: false })
}

/** An update that gives the catalog new entries (values made in the update's context). */
function catalogUpdate(bytes: Uint8Array, entries: (file: PdfFile, ctx: PDFContext, alloc: () => PDFRef, objects: UpdateObject[]) => Record<string, PDFObject>): Uint8Array {
  return appendUpdate(bytes, (file, ctx, alloc) => {
    const objects: UpdateObject[] = []
    const catalog = PDFDict.withContext(ctx)
    for (const [k, v] of file.catalog.entries()) catalog.set(k, v)
    for (const [k, v] of Object.entries(entries(file, ctx, alloc, objects))) catalog.set(PDFName.of(k), v)
    return { objects: [...objects, { ref: file.rootRef, object: catalog }] }
  })
}

/** An update that replaces entries of the first page's dictionary. */
function pageUpdate(bytes: Uint8Array, entries: (ctx: PDFContext) => Record<string, PDFObject>): Uint8Array {
  return appendUpdate(bytes, (file, ctx) => {
    const page = listPages(file)[0]!
    const dict = PDFDict.withContext(ctx)
    for (const [k, v] of page.dict.entries()) dict.set(k, v)
    for (const [k, v] of Object.entries(entries(ctx))) dict.set(PDFName.of(k), v)
    return { objects: [{ ref: page.ref, object: dict }] }
  })
}

/** Defines object `num` (allocating up to it, so the update's /Size covers it). */
function defineObject(bytes: Uint8Array, num: number, make: (ctx: PDFContext, alloc: () => PDFRef, objects: UpdateObject[]) => PDFObject): Uint8Array {
  return appendUpdate(bytes, (_file, ctx, alloc) => {
    const objects: UpdateObject[] = []
    // New objects get numbers above both dangling ones, so only `num` fills a dangling reference.
    for (let ref = alloc(); ref.objectNumber < Math.max(DANGLING_ANNOT, DANGLING_ACTION); ) ref = alloc()
    const object = make(ctx, alloc, objects)
    return { objects: [...objects, { ref: PDFRef.of(num, 0), object }] }
  })
}

/** An update attaching a file with these bytes (listed in /Names /EmbeddedFiles). */
function attach(bytes: Uint8Array, name: string, content: string): Uint8Array {
  return catalogUpdate(bytes, (f, ctx, alloc, objects) => {
    const file = alloc()
    objects.push({ ref: file, object: ctx.stream(content, { Type: 'EmbeddedFile', Subtype: 'application/pdf' }) })
    const spec = ctx.obj({ Type: 'Filespec', F: PDFString.of(name), UF: PDFString.of(name), EF: { F: file } })
    const names = PDFDict.withContext(ctx)
    for (const [k, v] of f.lookupDict(f.catalog, 'Names')?.entries() ?? []) names.set(k, v)
    const old = f.lookupArray(f.lookupDict(f.lookupDict(f.catalog, 'Names'), 'EmbeddedFiles'), 'Names')?.asArray() ?? []
    names.set(PDFName.of('EmbeddedFiles'), ctx.obj({ Names: [...old, PDFString.of(name), spec] }))
    return { Names: names }
  })
}

function js(ctx: PDFContext): PDFObject {
  return ctx.obj({ S: 'JavaScript', JS: PDFString.of('app.alert("made by a human")') })
}

function write(bytes: Uint8Array, name: string): string {
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return path
}

/** Page `n` rendered by poppler as a grey PGM (exact bytes, so any changed pixel shows). */
function render(bytes: Uint8Array, name: string, n = 1): Buffer {
  const path = write(bytes, `${name}.pdf`)
  execFileSync('pdftoppm', ['-r', '30', '-gray', '-cropbox', '-f', String(n), '-l', String(n), '-singlefile', path, join(dir, name)], { stdio: 'pipe' })
  return readFileSync(join(dir, `${name}.pgm`))
}

function qpdfJson(bytes: Uint8Array, name: string): string {
  return execFileSync('qpdf', ['--json', write(bytes, `${name}.pdf`)], { encoding: 'utf8', maxBuffer: 64 << 20 })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tanba-binding-'))
  labelled = (await stamp(await original(), { profiles: ['eu'] })).bytes
  clean = (await stamp(await original(false), { profiles: ['eu'] })).bytes
  expect((await verify(labelled)).status).toBe('valid')
}, 60_000)

interface Row {
  name: string
  attack: (bytes: Uint8Array) => Uint8Array
  /** How a real reader shows that the attack changes the document. */
  shows: 'pixels' | { qpdf: RegExp } | { text: RegExp }
  page?: number
}

const ROWS: Row[] = [
  {
    name: 'a previously dangling /Annots entry defined as a covering annotation',
    attack: (b) =>
      defineObject(b, DANGLING_ANNOT, (ctx, alloc, objects) => {
        const ap = alloc()
        objects.push({ ref: ap, object: ctx.stream('1 1 1 rg 0 0 595 842 re f', { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 595, 842] }) })
        return ctx.obj({ Type: 'Annot', Subtype: 'Square', Rect: [0, 0, 595, 842], F: 4, AP: { N: ap } })
      }),
    shows: 'pixels',
  },
  {
    // No cross-reference entry: poppler meets the undefined object, rebuilds the table by scanning and takes this header.
    name: 'a previously dangling /Annots entry defined inside an attached file',
    attack: (b) => attach(b, 'zz.pdf', `%PDF-1.4\n${DANGLING_ANNOT} 0 obj\n<< /Type /Annot /Subtype /Square /Rect [0 0 595 842] /F 4 /IC [1 0 0] /C [1 0 0] /BS << /W 50 >> >>\nendobj\n`),
    shows: 'pixels',
  },
  { name: 'a previously dangling /OpenAction defined as JavaScript', attack: (b) => defineObject(b, DANGLING_ACTION, js), shows: { qpdf: /app\.alert/ } },
  { name: '/OpenAction JavaScript added to the catalog', attack: (b) => catalogUpdate(b, (_f, ctx) => ({ OpenAction: js(ctx) })), shows: { qpdf: /app\.alert/ } },
  {
    name: '/OpenAction showing page 2 first',
    attack: (b) => catalogUpdate(b, (f, ctx) => ({ OpenAction: ctx.obj([listPages(f)[1]!.ref, PDFName.of('Fit')]) })),
    shows: { qpdf: /"\/OpenAction": \[\s*"\d+ 0 R",\s*"\/Fit"/ },
  },
  { name: 'document actions (/AA) running JavaScript', attack: (b) => catalogUpdate(b, (_f, ctx) => ({ AA: ctx.obj({ WP: js(ctx) }) })), shows: { qpdf: /app\.alert/ } },
  {
    name: '/Names /JavaScript',
    attack: (b) =>
      catalogUpdate(b, (f, ctx) => {
        const names = PDFDict.withContext(ctx)
        for (const [k, v] of f.lookupDict(f.catalog, 'Names')?.entries() ?? []) names.set(k, v)
        names.set(PDFName.of('JavaScript'), ctx.obj({ Names: [PDFString.of('x'), js(ctx)] }))
        return { Names: names }
      }),
    shows: { qpdf: /app\.alert/ },
  },
  {
    name: 'a /Collection portfolio opening an unlabelled copy',
    attack: (b) =>
      catalogUpdate(b, (f, ctx, alloc, objects) => {
        const file = alloc()
        objects.push({ ref: file, object: ctx.stream('%PDF-1.4 an unlabelled copy', { Type: 'EmbeddedFile' }) })
        const spec = ctx.obj({ Type: 'Filespec', F: PDFString.of('copy.pdf'), UF: PDFString.of('copy.pdf'), EF: { F: file } })
        const names = PDFDict.withContext(ctx)
        for (const [k, v] of f.lookupDict(f.catalog, 'Names')?.entries() ?? []) names.set(k, v)
        const old = f.lookupArray(f.lookupDict(f.lookupDict(f.catalog, 'Names'), 'EmbeddedFiles'), 'Names')?.asArray() ?? []
        names.set(PDFName.of('EmbeddedFiles'), ctx.obj({ Names: [PDFString.of('copy.pdf'), spec, ...old] }))
        return { Names: names, Collection: ctx.obj({ Type: 'Collection', D: PDFString.of('copy.pdf'), View: 'D' }) }
      }),
    shows: { qpdf: /"\/Collection"/ },
  },
  {
    name: 'the optional-content default configuration turning a layer off',
    attack: (b) =>
      catalogUpdate(b, (f, ctx) => {
        const ocgs = f.lookupArray(f.lookupDict(f.catalog, 'OCProperties'), 'OCGs')!
        return { OCProperties: ctx.obj({ OCGs: ocgs, D: { OFF: ocgs } }) }
      }),
    shows: 'pixels',
  },
  {
    name: 'a bookmark that runs JavaScript',
    attack: (b) =>
      catalogUpdate(b, (_f, ctx, alloc, objects) => {
        const outlines = alloc()
        const item = alloc()
        objects.push({ ref: item, object: ctx.obj({ Title: PDFString.of('Open me'), Parent: outlines, A: js(ctx) }) })
        objects.push({ ref: outlines, object: ctx.obj({ Type: 'Outlines', First: item, Last: item, Count: 1 }) })
        return { Outlines: outlines }
      }),
    shows: { qpdf: /app\.alert/ },
  },
  { name: 'AcroForm /NeedAppearances', attack: (b) => catalogUpdate(b, (_f, ctx) => ({ AcroForm: ctx.obj({ Fields: [], NeedAppearances: true }) })), shows: { qpdf: /NeedAppearances/ } },
  {
    name: 'an XFA form added with the AcroForm',
    attack: (b) => catalogUpdate(b, (_f, ctx, alloc, objects) => {
      const xfa = alloc()
      objects.push({ ref: xfa, object: ctx.stream('<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"/>') })
      return { AcroForm: ctx.obj({ Fields: [], XFA: xfa }) }
    }),
    shows: { qpdf: /"\/XFA"/ },
  },
  {
    name: 'viewer preferences choosing another view area',
    attack: (b) => catalogUpdate(b, (_f, ctx) => ({ ViewerPreferences: ctx.obj({ ViewArea: 'ArtBox', PrintArea: 'ArtBox' }) })),
    shows: { qpdf: /ViewArea/ },
  },
  { name: 'page /Rotate', attack: (b) => pageUpdate(b, () => ({ Rotate: PDFNumber.of(180) })), shows: 'pixels' },
  { name: 'page /CropBox', attack: (b) => pageUpdate(b, (ctx) => ({ CropBox: ctx.obj([0, 0, 595, 700]) })), shows: 'pixels' },
  { name: 'page /MediaBox', attack: (b) => pageUpdate(b, (ctx) => ({ MediaBox: ctx.obj([0, 0, 595, 700]) })), shows: 'pixels' },
  {
    name: 'a page annotation added',
    attack: (b) =>
      appendUpdate(b, (file, ctx, alloc) => {
        const page = listPages(file)[0]!
        const ap = alloc()
        const annot = alloc()
        const dict = PDFDict.withContext(ctx)
        for (const [k, v] of page.dict.entries()) dict.set(k, v)
        dict.set(PDFName.of('Annots'), ctx.obj([...(file.lookupArray(page.dict, 'Annots')?.asArray() ?? []), annot]))
        return {
          objects: [
            { ref: ap, object: ctx.stream('1 1 1 rg 0 0 595 842 re f', { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 595, 842] }) },
            { ref: annot, object: ctx.obj({ Type: 'Annot', Subtype: 'Square', Rect: [0, 0, 595, 842], F: 4, AP: { N: ap } }) },
            { ref: page.ref, object: dict },
          ],
        }
      }),
    shows: 'pixels',
  },
  {
    name: 'a font the page uses replaced',
    attack: (b) =>
      appendUpdate(b, (file, ctx) => {
        const page = listPages(file)[0]!
        const ref = file.lookupDict(page.resources, 'Font')!.get(PDFName.of('F1')) as PDFRef
        return { objects: [{ ref, object: ctx.obj({ Type: 'Font', Subtype: 'Type1', BaseFont: 'Courier' }) }] }
      }),
    shows: 'pixels',
  },
]

describe.skipIf(!tools)('an update after labelling that changes what a viewer renders, runs or shows first is fatal', () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      const attacked = row.attack(labelled)
      const slug = `row-${row.name.replace(/\W+/g, '-').slice(0, 40)}`
      if (row.shows === 'pixels') {
        expect(render(attacked, `${slug}-after`, row.page).equals(render(labelled, `${slug}-before`, row.page))).toBe(false)
      } else if ('qpdf' in row.shows) {
        expect(qpdfJson(attacked, slug)).toMatch(row.shows.qpdf)
        expect(qpdfJson(labelled, `${slug}-before`)).not.toMatch(row.shows.qpdf)
      }
      const report = await verify(attacked)
      expect(report.status).toBe('invalid')
      expect(report.binding?.valid).toBe(false)
      expect(report.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.changed-after-labelling', fatal: true }))
    })
  }
})

describe.skipIf(!tools)('benign updates after labelling stay valid', () => {
  it('attaching a file whose own bytes hold "n 0 obj" for a page object (the update is parsed, not pattern-scanned)', async () => {
    const pageNum = listPages(PdfFile.open(clean, { limits }))[0]!.ref.objectNumber
    const attached = attach(clean, 'zz-other.pdf', `%PDF-1.4\n${pageNum} 0 obj\n<< /Type /Page /Rotate 90 >>\nendobj\n`)
    expect(render(attached, 'attached')).toEqual(render(clean, 'attached-before'))
    expect(execFileSync('qpdf', ['--list-attachments', write(attached, 'attached.pdf')], { encoding: 'utf8' })).toContain('zz-other.pdf')
    const report = await verify(attached)
    expect(report.status).toBe('valid')
    expect(report.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.updated-after-labelling', fatal: false }))
  })

  it('a form added only for a signature, with the defaults signing tools write (/DA, /DR)', async () => {
    const signed = catalogUpdate(labelled, (_f, ctx, alloc, objects) => {
      const field = alloc()
      objects.push({ ref: field, object: ctx.obj({ FT: 'Sig', T: PDFString.of('Signature1'), Rect: [0, 0, 0, 0], Subtype: 'Widget', F: 132 }) })
      return { AcroForm: ctx.obj({ Fields: [field], SigFlags: 3, DA: PDFString.of('/Helv 0 Tf 0 g'), DR: { Font: { Helv: ctx.obj({ Type: 'Font', Subtype: 'Type1', BaseFont: 'Helvetica' }) } } }) }
    })
    expect(render(signed, 'sigform')).toEqual(render(labelled, 'sigform-before'))
    expect((await verify(signed)).status).toBe('valid')
  })

  it('adding an ordinary bookmark (go to a page)', async () => {
    const marked = catalogUpdate(labelled, (f, ctx, alloc, objects) => {
      const outlines = alloc()
      const item = alloc()
      objects.push({ ref: item, object: ctx.obj({ Title: PDFString.of('Page 2'), Parent: outlines, Dest: [listPages(f)[1]!.ref, PDFName.of('Fit')] }) })
      objects.push({ ref: outlines, object: ctx.obj({ Type: 'Outlines', First: item, Last: item, Count: 1 }) })
      return { Outlines: outlines, PageMode: PDFName.of('UseOutlines') }
    })
    expect((await verify(marked)).status).toBe('valid')
  })

  it('the labelled file itself renders its original page content', () => {
    expect(execFileSync('pdftotext', [write(labelled, 'labelled.pdf'), '-'], { encoding: 'utf8' })).toContain('Original heading')
  })
})
