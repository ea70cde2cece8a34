import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { equalBytes, isTanbaError, noticeText, verifyWith, type StampResult, type VerificationReport } from '@tanba/core'
import { PDFDocument, PDFName, PDFArray, PDFRawStream, PDFDict, PDFString } from 'pdf-lib'
import { beforeAll, describe, expect, it } from 'vitest'
import { cpuTime } from '@tanba/core/testing'
import { analyseUpdates, BINDING_METHOD, LABEL_FILE_NAME, listPages, PdfFile } from '../src/adapter.js'
import { embeddedFiles } from '../src/carriers.js'
import { PDF_FORMAT } from '../src/formats.js'
import {
  adapter,
  appendUpdate,
  CORPUS,
  CORPUS_PDFS,
  credentials,
  drawOnFirstPage,
  editTitle,
  EXPRESS_SIGNED,
  FIXTURE_PDFS,
  FIXTURES,
  hasTool,
  limits,
  load,
  pdfjsText,
  pdfsig,
  qpdfCheck,
  removeNotice,
  renderPage,
  stamp,
} from './helpers.js'

const ALL = [...CORPUS_PDFS, EXPRESS_SIGNED, ...FIXTURE_PDFS]
const stamped = new Map<string, { input: Uint8Array; result: StampResult }>()

async function verify(bytes: Uint8Array, options: { password?: string; c2pa?: boolean } = {}): Promise<VerificationReport> {
  const c = await credentials()
  return verifyWith(adapter, bytes, PDF_FORMAT, {
    trust: c.trust,
    c2pa: options.c2pa ?? false,
    ...(options.password ? { adapterOptions: { pdf: { password: options.password } } } : {}),
  })
}

beforeAll(async () => {
  for (const path of ALL) {
    const input = load(path)
    stamped.set(basename(path), { input, result: await stamp(input, { profiles: ['kz', 'uz', 'cn', 'eu'] }) })
  }
}, 120_000)

describe('incremental update', () => {
  it.each(ALL.map((p) => basename(p)))('%s: the original bytes are an unchanged prefix, the binding covers them plus the notice revision', (name) => {
    const { input, result } = stamped.get(name)!
    const out = result.bytes
    if (name === 'damaged-xref.pdf') {
      // A repaired file keeps its bytes too; only the new cross-reference section is complete.
      expect(equalBytes(out.subarray(0, input.length), input)).toBe(true)
    }
    expect(equalBytes(out.subarray(0, input.length), input)).toBe(true)
    expect(result.label.binding.method).toBe(BINDING_METHOD)
    expect(result.label.binding.extent).toBeGreaterThan(input.length)
    expect(result.label.binding.extent).toBeLessThan(out.length)
    // Both revisions end with "%%EOF": the binding stops exactly at the end of the notice revision.
    expect(new TextDecoder('latin1').decode(out.subarray(result.label.binding.extent! - 6, result.label.binding.extent!))).toBe('%%EOF\n')
    expect(result.carriers).toEqual(['pdf:page-text', 'xmp', 'pdf:info:AIGC', 'pdf:embedded-file'])
  })

  it('keeps the digital signature of basic-signed.pdf: its byte range is untouched and it still covers the original revision', async () => {
    const { input, result } = stamped.get('basic-signed.pdf')!
    const file = PdfFile.open(result.bytes, { limits })
    // Find the signature dictionary through the AcroForm field.
    const fields = file.lookupArray(file.lookupDict(file.catalog, 'AcroForm'), 'Fields')!
    const sig = file.lookupDict(file.resolve(fields.get(0)) as PDFDict, 'V')!
    const range = file.lookupArray(sig, 'ByteRange')!.asArray().map((n) => Number(n.toString()))
    expect(range).toHaveLength(4)
    expect(range[2]! + range[3]!).toBe(input.length)
    for (const [start, len] of [[range[0]!, range[1]!], [range[2]!, range[3]!]] as [number, number][]) {
      expect(equalBytes(result.bytes.subarray(start, start + len), input.subarray(start, start + len))).toBe(true)
    }
    const sigOut = pdfsig(result.bytes)
    if (sigOut !== null) {
      expect(sigOut).toContain('Signature is Valid')
    }
    expect(result.messages.map((m) => m.rule)).toEqual(expect.arrayContaining(['pdf.encrypted', 'pdf.permissions']))
  })

  it('writes the same kind of cross-reference section as the original last one', () => {
    for (const name of ['classic-xref.pdf', 'basic.pdf', 'express.pdf']) {
      const { input, result } = stamped.get(name)!
      const before = PdfFile.open(input, { limits })
      const after = PdfFile.open(result.bytes, { limits })
      const added = after.sections.filter((s) => s.offset >= input.length)
      expect(added).toHaveLength(2)
      for (const s of added) expect(s.kind).toBe(before.sections[0]!.kind)
      // Every later section links back to the previous one.
      expect(after.sections.length).toBe(before.sections.length + 2)
    }
  })

  it('repairs a damaged cross-reference table with a complete new section, and the result is clean', async () => {
    const { result } = stamped.get('damaged-xref.pdf')!
    expect(result.messages.map((m) => m.rule)).toContain('pdf.xref-repaired')
    const reopened = PdfFile.open(result.bytes, { limits })
    expect(reopened.repaired).toBe(false)
    const check = qpdfCheck(result.bytes)
    if (check) expect(check.output).not.toMatch(/damaged|reconstruct|WARNING/i)
    expect((await verify(result.bytes)).status).toBe('valid')
  })
})

describe('standard tools accept the output', () => {
  it.each(ALL.map((p) => basename(p)))('%s: pdf-lib re-opens it with the same pages; qpdf --check is clean when installed', async (name) => {
    const { input, result } = stamped.get(name)!
    if (name === 'basic-signed.pdf') {
      // pdf-lib cannot decrypt; pdf.js (which can) re-opens it in the text test below.
      expect(listPages(PdfFile.open(result.bytes, { limits }))).toHaveLength(1)
    } else {
      const before = await PDFDocument.load(input, { updateMetadata: false })
      const after = await PDFDocument.load(result.bytes, { updateMetadata: false })
      expect(after.getPageCount()).toBe(before.getPageCount())
    }
    const check = qpdfCheck(result.bytes)
    if (check) {
      expect(check.ok, check.output).toBe(true)
      expect(check.output).not.toMatch(/WARNING/)
      expect(check.output).toContain('No syntax or stream encoding errors found')
    }
  })

  it.each(ALL.map((p) => basename(p)))('%s: pdf.js extracts the notice text from every page', async (name) => {
    const { result } = stamped.get(name)!
    const pages = await pdfjsText(result.bytes)
    const flat = (s: string) => s.replace(/\s+/g, '')
    for (const text of pages) {
      for (const lang of ['kk', 'ru', 'uz', 'zh', 'en']) expect(flat(text)).toContain(flat(noticeText(lang, 'generated')!))
    }
  })

  it('renders page 1 of every stamped corpus PDF to out/renders for a person to look at', async (ctx) => {
    for (const path of [...CORPUS_PDFS, EXPRESS_SIGNED, ...FIXTURE_PDFS]) {
      const name = basename(path, '.pdf')
      const png = await renderPage(stamped.get(basename(path))!.result.bytes, `${name}-stamped`)
      if (png === null) return ctx.skip()
      // A real PNG of a real page: signature, and more than a blank page's worth of bytes.
      const bytes = load(png)
      expect([...bytes.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47])
      expect(bytes.length).toBeGreaterThan(5_000)
    }
    // Every page of the geometry fixtures, to check rotation and crop boxes.
    for (const [file, count] of [['rotated.pdf', 4], ['cropbox.pdf', 2], ['sizes.pdf', 5]] as const) {
      for (let n = 1; n <= count; n++) await renderPage(stamped.get(file)!.result.bytes, `${basename(file, '.pdf')}-stamped-p${n}`, n)
    }
  }, 120_000)
})

describe('visible notice', () => {
  it('reads the notice back from every page as a notice marker with its languages', async () => {
    const report = await verify(stamped.get('rotated.pdf')!.result.bytes)
    const notice = report.markers.find((m) => m.standard === 'notice')!
    expect(notice.valid).toBe(true)
    const value = notice.value as { text: string; langs: string[]; pages: number[] }
    expect(value.langs).toEqual(['kk', 'ru', 'uz', 'zh', 'en'])
    expect(value.pages).toEqual([1, 2, 3, 4])
    expect(value.text.split('\n')).toEqual(['kk', 'ru', 'uz', 'zh', 'en'].map((l) => noticeText(l, 'generated')))
    expect(report.profiles.kz?.pass).toBe(true)
    expect(report.profiles.cn?.pass).toBe(true)
  })

  it('covers every Kazakh letter, Russian, Uzbek Latin (oʻ gʻ), Chinese and English without system fonts', async () => {
    const text = {
      kk: 'ӘәҒғҚқҢңӨөҰұҮүҺһІі',
      ru: 'Съешь же ещё этих мягких французских булок',
      uz: 'Oʻzbekiston, gʻalaba, sunʼiy',
      zh: '人工智能生成合成内容标识',
      en: 'The quick brown fox',
    }
    const result = await stamp(load(join(FIXTURES, 'classic-xref.pdf')), { notice: { languages: Object.keys(text), text } })
    const pages = await pdfjsText(result.bytes)
    const flat = (s: string) => s.replace(/\s+/g, '')
    for (const t of Object.values(text)) expect(flat(pages[0]!)).toContain(flat(t))
    const report = await verify(result.bytes)
    expect((report.markers.find((m) => m.standard === 'notice')!.value as { text: string }).text.split('\n')).toEqual(Object.values(text))
    expect(result.label.notice?.text).toBeDefined()
    // Fonts are embedded (FontFile2/FontFile3) and subset, never referenced by name only.
    const file = PdfFile.open(result.bytes, { limits })
    const page = listPages(file)[0]!
    const form = file.lookup(file.lookupDict(page.resources, 'XObject'), 'TanbaNotice') as PDFRawStream
    const fonts = file.lookupDict(file.lookupDict(form.dict, 'Resources'), 'Font')!
    expect(fonts.entries().length).toBeGreaterThanOrEqual(4)
    for (const [, ref] of fonts.entries()) {
      const font = file.resolve(ref) as PDFDict
      const descendant = file.resolve(file.lookupArray(font, 'DescendantFonts')!.get(0)) as PDFDict
      const descriptor = file.lookupDict(descendant, 'FontDescriptor')!
      const program = (file.lookup(descriptor, 'FontFile2') ?? file.lookup(descriptor, 'FontFile3')) as PDFRawStream
      expect(program).toBeInstanceOf(PDFRawStream)
      expect(file.streamData(program).length).toBeLessThan(60_000)
      expect(file.lookup(font, 'ToUnicode')).toBeInstanceOf(PDFRawStream)
    }
  })

  it('puts the notice on the first page only when asked', async () => {
    const result = await stamp(load(join(FIXTURES, 'rotated.pdf')), { adapterOptions: { pdf: { pages: 'first' } } })
    expect(result.label.notice?.placement).toBe('first-page:start')
    const texts = await pdfjsText(result.bytes)
    expect(texts[0]).toContain('жасанды')
    for (const t of texts.slice(1)) expect(t).not.toContain('жасанды')
    const report = await verify(result.bytes)
    expect(report.status).toBe('valid')
    expect(report.markers.find((m) => m.standard === 'notice')).toMatchObject({ valid: true, value: { pages: [1] } })
  })

  it('places the notice at the displayed top, upright, on rotated pages and crop boxes away from the origin', async () => {
    const result = stamped.get('cropbox.pdf')!.result
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
    for (const name of ['rotated.pdf', 'cropbox.pdf', 'inherited.pdf']) {
      const doc = await pdfjs.getDocument({ data: stamped.get(name)!.result.bytes.slice(), isEvalSupported: false, verbosity: 0 }).promise
      for (let n = 1; n <= doc.numPages; n++) {
        const page = await doc.getPage(n)
        const viewport = page.getViewport({ scale: 1 })
        const content = await page.getTextContent()
        const item = content.items.find((i) => 'str' in i && i.str.includes('Бұл')) as { transform: number[]; str: string } | undefined
        expect(item, `${name} page ${n}`).toBeDefined()
        // Transform the text origin and direction into viewport (display) coordinates.
        const [a, b, , , e, f] = pdfjs.Util.transform(viewport.transform, item!.transform)
        expect(f, `${name} page ${n}: near the top`).toBeLessThan(viewport.height * 0.15)
        expect(e, `${name} page ${n}: inside the page`).toBeGreaterThan(0)
        expect(e).toBeLessThan(viewport.width)
        // Upright: the baseline runs left to right on screen.
        expect(a!).toBeGreaterThan(0)
        expect(Math.abs(b!)).toBeLessThan(1e-6)
      }
      await doc.destroy()
    }
    expect(result.label.notice?.langs).toEqual(['kk', 'ru', 'uz', 'zh', 'en'])
  })

  it('honours the placement: bottom-right puts the plate in that corner of the displayed page', async () => {
    const result = await stamp(load(join(FIXTURES, 'rotated.pdf')), { notice: { placement: 'bottom-right' } })
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
    const doc = await pdfjs.getDocument({ data: result.bytes.slice(), isEvalSupported: false, verbosity: 0 }).promise
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n)
      const vp = page.getViewport({ scale: 1 })
      const item = (await page.getTextContent()).items.find((i) => 'str' in i && i.str.includes('Этот')) as { transform: number[]; width: number }
      const [, , , , e, f] = pdfjs.Util.transform(vp.transform, item.transform)
      expect(f!, `page ${n}`).toBeGreaterThan(vp.height * 0.9)
      expect(e! + item.width, `page ${n}`).toBeGreaterThan(vp.width * 0.6)
    }
    await doc.destroy()
    expect(result.label.notice?.placement).toBe('every-page:bottom-right')
  })

  it('scales with the page (2 % of its reference side) but never below 6 pt: business card, A4, A0, a long banner, a 1-inch page', async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
    const doc = await pdfjs.getDocument({ data: stamped.get('sizes.pdf')!.result.bytes.slice(), isEvalSupported: false, verbosity: 0 }).promise
    const sizes: number[] = []
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n)
      const item = (await page.getTextContent()).items.find((i) => 'str' in i && i.str.includes('Бұл')) as { transform: number[] }
      sizes.push(Math.hypot(item.transform[0]!, item.transform[1]!))
    }
    await doc.destroy()
    // Reference side: the shorter side, at least a quarter of the longer one (card 252×144, A4, A0, 2000×120, 72×72).
    const expected = [144, 595.28, 2383.94, 500, 72].map((side) => Math.max(0.02 * side, 6))
    sizes.forEach((size, i) => expect(size, `page ${i + 1}`).toBeCloseTo(expected[i]!, 1))
  })

  it('re-stamping replaces the notice and the label instead of adding a second one', async () => {
    const first = stamped.get('basic.pdf')!.result
    const again = await stamp(first.bytes)
    const text = (await pdfjsText(again.bytes))[0]!
    expect(text.split(noticeText('kk', 'generated')!).length - 1).toBe(1)
    const file = PdfFile.open(again.bytes, { limits })
    expect(embeddedFiles(file).filter(([n]) => n === LABEL_FILE_NAME)).toHaveLength(1)
    expect(file.lookupArray(file.catalog, 'AF')!.size()).toBe(1)
    const report = await verify(again.bytes)
    expect(report.status).toBe('valid')
    expect(report.label?.id).toBe(again.label.id)
    expect(report.label?.id).not.toBe(first.label.id)
  })
})

describe('machine-readable carriers', () => {
  it('writes XMP (IPTC digital source type, TC260:AIGC, Tanba label), /AIGC and the embedded label, keeping existing attachments', async () => {
    const { input, result } = stamped.get('basic-attachments.pdf')!
    const report = await verify(result.bytes)
    const carriers = report.markers.map((m) => `${m.standard}:${m.carrier}`)
    expect(carriers).toEqual(expect.arrayContaining(['iptc:xmp', 'tc260:xmp', 'tc260:pdf:info:AIGC', 'tanba:xmp', 'tanba:pdf:embedded-file', 'notice:pdf:page-text']))
    expect(report.markers.find((m) => m.standard === 'iptc')?.value).toBe('http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia')
    expect(report.markers.find((m) => m.carrier === 'pdf:info:AIGC')?.value).toMatchObject({ Label: '1', ContentProducer: '123456789012', ProduceID: result.label.id })
    const before = embeddedFiles(PdfFile.open(input, { limits })).map(([n]) => n)
    const after = embeddedFiles(PdfFile.open(result.bytes, { limits })).map(([n]) => n)
    expect(before.length).toBeGreaterThan(0)
    expect(after).toEqual(expect.arrayContaining([...before, LABEL_FILE_NAME]))
    // The label file is associated with the document and says how.
    const file = PdfFile.open(result.bytes, { limits })
    const spec = file.resolve(file.lookupArray(file.catalog, 'AF')!.get(0)) as PDFDict
    expect(file.lookup(spec, 'AFRelationship')).toBe(PDFName.of('Supplement'))
    // The old XMP properties survive the merge.
    const xmp = new TextDecoder().decode(file.streamData(file.lookup(file.catalog, 'Metadata') as PDFRawStream))
    expect(xmp).toContain('xmp:CreatorTool')
    expect(xmp).toContain('Iptc4xmpExt:DigitalSourceType')
    expect(xmp).toContain('TC260:AIGC')
  })

  it('keeps an existing C2PA manifest attached and reports it through the C2PA reader', async () => {
    const { result } = stamped.get('express-signed.pdf')!
    const report = await verify(result.bytes, { c2pa: true })
    expect(report.status).toBe('valid')
    const c2pa = report.markers.find((m) => m.standard === 'c2pa')!
    expect(c2pa).toBeDefined()
    const value = c2pa.value as { codes: string[]; digitalSourceTypes: string[]; claimGenerator: string }
    // Adobe's manifest: AI-made, expired and untrusted signer; our appended revisions fall outside its hash.
    expect(c2pa.aiMarked).toBe(true)
    expect(c2pa.valid).toBe(false)
    expect(value.claimGenerator).toMatch(/Adobe_Express/)
    expect(value.digitalSourceTypes[0]).toMatch(/compositeWithTrainedAlgorithmicMedia$/)
    expect(value.codes).toEqual(expect.arrayContaining(['signingCredential.untrusted', 'signingCredential.expired', 'assertion.dataHash.mismatch']))
    expect(report.messages.map((m) => m.rule)).toContain('c2pa.assertion.dataHash.mismatch')
    expect(result.messages.map((m) => m.rule)).toContain('c2pa.stale')
    const original = await verify(load(EXPRESS_SIGNED), { c2pa: true })
    expect(original.status).toBe('unlabelled')
    expect(original.aiMarked).toBe(true)
    // Before Tanba's update the manifest's hash matches: it is intact (valid), only its signer is
    // expired and untrusted, which the marker states apart from validity.
    const before = original.markers.find((m) => m.standard === 'c2pa')!
    expect(before.valid).toBe(true)
    expect(before.detail).toMatch(/intact, signer not trusted/)
    expect((before.value as { trusted: boolean }).trusted).toBe(false)
    expect((before.value as { codes: string[] }).codes).not.toContain('assertion.dataHash.mismatch')
  })

  it('raises a PDF 1.3 document to 1.4 through the catalog /Version, for the XMP stream', async () => {
    const input = load(join(FIXTURES, 'classic-xref.pdf'))
    input.set(new TextEncoder().encode('%PDF-1.3'), 0)
    const result = await stamp(input)
    const file = PdfFile.open(result.bytes, { limits })
    expect(file.version).toBe('1.3')
    expect(file.lookup(file.catalog, 'Version')).toBe(PDFName.of('1.4'))
    expect(PdfFile.open((await stamp(load(join(FIXTURES, 'classic-xref.pdf')))).bytes, { limits }).catalog.get(PDFName.of('Version'))).toBeUndefined()
  })

  it('metadata-only stamp (no visible notice) binds the original bytes and adds one revision', async () => {
    const input = load(join(CORPUS, 'media', 'basic.pdf'))
    const result = await stamp(input, { notice: { visible: false } })
    expect(result.label.binding.extent).toBe(input.length)
    expect(result.carriers).not.toContain('pdf:page-text')
    expect(PdfFile.open(result.bytes, { limits }).sections.filter((s) => s.offset >= input.length)).toHaveLength(1)
    const report = await verify(result.bytes)
    expect(report.status).toBe('valid')
    expect(report.markers.some((m) => m.standard === 'notice')).toBe(false)
  })
})

describe('changes after labelling', () => {
  it('a metadata-only update by another tool keeps the label valid, with a note', async () => {
    const edited = editTitle(stamped.get('express.pdf')!.result.bytes)
    const report = await verify(edited)
    expect(report.status).toBe('valid')
    expect(report.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.updated-after-labelling', fatal: false }))
  })

  it('a metadata-only update of an encrypted, signed file keeps both the label and the PDF signature valid', async () => {
    const edited = editTitle(stamped.get('basic-signed.pdf')!.result.bytes)
    expect((await verify(edited)).status).toBe('valid')
    const sig = pdfsig(edited)
    if (sig !== null) expect(sig).toContain('Signature is Valid')
  })

  const addSignatureField = (bytes: Uint8Array, rect: number[]) =>
    appendUpdate(bytes, (file, ctx, alloc) => {
      const page = listPages(file)[0]!
      const sigRef = alloc()
      const widgetRef = alloc()
      const sigValue = ctx.obj({ Type: 'Sig', Filter: 'Adobe.PPKLite', SubFilter: 'adbe.pkcs7.detached', ByteRange: [0, 0, 0, 0] })
      const widget = ctx.obj({ Type: 'Annot', Subtype: 'Widget', FT: 'Sig', F: 132, Rect: rect, P: page.ref, V: sigRef }) as PDFDict
      widget.set(PDFName.of('T'), PDFString.of('Signature1'))
      const dict = PDFDict.withContext(ctx)
      for (const [k, v] of page.dict.entries()) dict.set(k, v)
      const annots = file.lookupArray(page.dict, 'Annots')?.asArray() ?? []
      dict.set(PDFName.of('Annots'), ctx.obj([...annots, widgetRef]))
      const catalog = PDFDict.withContext(ctx)
      for (const [k, v] of file.catalog.entries()) catalog.set(k, v)
      catalog.set(PDFName.of('AcroForm'), ctx.obj({ Fields: [widgetRef], SigFlags: 3 }))
      return { objects: [{ ref: sigRef, object: sigValue }, { ref: widgetRef, object: widget }, { ref: page.ref, object: dict }, { ref: file.rootRef, object: catalog }] }
    })

  it('signing after labelling (an invisible signature widget added to the page) keeps the label valid', async () => {
    const report = await verify(addSignatureField(stamped.get('basic-annotation.pdf')!.result.bytes, [0, 0, 0, 0]))
    expect(report.status).toBe('valid')
    expect(report.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.updated-after-labelling', fatal: false }))
  })

  it('a visible signature widget added after labelling counts as a page change', async () => {
    const report = await verify(addSignatureField(stamped.get('basic-annotation.pdf')!.result.bytes, [300, 700, 500, 760]))
    expect(report.status).toBe('invalid')
  })

  it('a page content change in a later update makes the label invalid', async () => {
    const report = await verify(drawOnFirstPage(stamped.get('basic.pdf')!.result.bytes))
    expect(report.status).toBe('invalid')
    expect(report.binding?.valid).toBe(false)
    expect(report.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.changed-after-labelling', fatal: true }))
  })

  it('removing the notice in a later update makes the label invalid', async () => {
    const report = await verify(removeNotice(stamped.get('basic.pdf')!.result.bytes))
    expect(report.status).toBe('invalid')
    expect(report.markers.some((m) => m.standard === 'notice')).toBe(false)
    expect(report.messages.map((m) => m.rule)).toEqual(expect.arrayContaining(['pdf.changed-after-labelling', 'notice.missing']))
  })

  it('changing an annotation or a shared resource in a later update makes the label invalid', async () => {
    const bytes = stamped.get('basic-annotation.pdf')!.result.bytes
    const annotated = appendUpdate(bytes, (file, ctx) => {
      const page = listPages(file)[0]!
      const annots = file.lookupArray(page.dict, 'Annots')!
      const ref = annots.get(0) as import('pdf-lib').PDFRef
      const annot = file.resolve(ref) as PDFDict
      const copy = PDFDict.withContext(ctx)
      for (const [k, v] of annot.entries()) copy.set(k, v)
      copy.set(PDFName.of('Contents'), PDFString.of('changed by someone else'))
      return { objects: [{ ref, object: copy }] }
    })
    const report = await verify(annotated)
    expect(report.status).toBe('invalid')
    expect(analyseUpdates(PdfFile.open(annotated, { limits }), report.label!.binding.extent!).touched.length).toBe(1)
  })

  it('replacing the page tree from the catalog makes the label invalid', async () => {
    const bytes = stamped.get('classic-xref.pdf')!.result.bytes
    const swapped = appendUpdate(bytes, (file, ctx, alloc) => {
      const pagesRef = alloc()
      const tree = PDFDict.withContext(ctx)
      const oldPages = file.lookupDict(file.catalog, 'Pages')!
      for (const [k, v] of oldPages.entries()) tree.set(k, v)
      const catalog = PDFDict.withContext(ctx)
      for (const [k, v] of file.catalog.entries()) catalog.set(k, v)
      catalog.set(PDFName.of('Pages'), pagesRef)
      return { objects: [{ ref: pagesRef, object: tree }, { ref: file.rootRef, object: catalog }] }
    })
    const report = await verify(swapped)
    expect(report.status).toBe('invalid')
  })

  it('rewriting the whole file (not incrementally) makes the label invalid', async () => {
    const doc = await PDFDocument.load(stamped.get('basic.pdf')!.result.bytes, { updateMetadata: false })
    const rewritten = await doc.save()
    const report = await verify(rewritten)
    expect(['invalid', 'unlabelled']).toContain(report.status)
    expect(report.status).not.toBe('valid')
  })

  it('a tampered byte inside the bound revision makes the label invalid', async () => {
    const { result } = stamped.get('basic.pdf')!
    const copy = result.bytes.slice()
    // A letter of the original XMP packet (superseded by Tanba's, so the file still reads).
    const i = new TextDecoder('latin1').decode(copy).indexOf('Acrobat Pro')
    expect(i).toBeGreaterThan(0)
    expect(i).toBeLessThan(stamped.get('basic.pdf')!.input.length)
    copy[i] = 0x61 // "Acrobat" → "acrobat"
    const report = await verify(copy)
    expect(report.status).toBe('invalid')
    expect(report.binding?.valid).toBe(false)
  })
})

describe('encryption', () => {
  it('refuses a password-protected PDF without its password with a typed error', async () => {
    const input = load(join(CORPUS, 'media', 'basic-password.pdf'))
    await expect(stamp(input)).rejects.toMatchObject({ code: 'TANBA_ENCRYPTED_INPUT' })
    const report = await verify(input)
    expect(report.status).toBe('error')
    expect(report.error?.code).toBe('TANBA_ENCRYPTED_INPUT')
  })

  it('labels an AES-256 document with its user or owner password and keeps it encrypted', async () => {
    const input = load(join(FIXTURES, 'encrypted-aes256.pdf'))
    for (const password of ['tanba-user', 'tanba-owner']) {
      const result = await stamp(input, { adapterOptions: { pdf: { password } } })
      expect(equalBytes(result.bytes.subarray(0, input.length), input)).toBe(true)
      const report = await verify(result.bytes, { password })
      expect(report.status).toBe('valid')
      const text = await pdfjsText(result.bytes, 'tanba-user')
      expect(text[0]).toContain('жасанды')
      // Without the password nothing can be read.
      expect((await verify(result.bytes)).error?.code).toBe('TANBA_ENCRYPTED_INPUT')
      const check = qpdfCheck(result.bytes, 'tanba-user')
      if (check) expect(check.ok, check.output).toBe(true)
      // The new strings are encrypted too: the TC260 JSON never appears in clear.
      expect(new TextDecoder('latin1').decode(result.bytes)).not.toContain('ContentProducer')
    }
    await expect(stamp(input, { adapterOptions: { pdf: { password: 'wrong' } } })).rejects.toMatchObject({ code: 'TANBA_ENCRYPTED_INPUT' })
  })
})

const canSign = hasTool('pdfsig') && hasTool('certutil') && hasTool('openssl')
describe.skipIf(!canSign)('signing after labelling with a real tool (poppler pdfsig, when installed)', () => {
  for (const [name, signatures] of [['basic-signed.pdf', 2], ['basic.pdf', 1]] as const) {
    it(`the PDF signature(s) and the Tanba label stay valid when pdfsig signs the labelled ${name} (${signatures === 2 ? 'already signed' : 'no form before'})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tanba-nss-'))
      const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: 'pipe' })
      run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2', '-subj', '/CN=Tanba Test Signer'])
      run('openssl', ['pkcs12', '-export', '-inkey', 'k.pem', '-in', 'c.pem', '-out', 's.p12', '-passout', 'pass:x', '-name', 'tanba'])
      run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password'])
      run('pk12util', ['-i', 's.p12', '-d', `sql:${dir}`, '-W', 'x'])
      const stampedPath = join(dir, 'in.pdf')
      writeFileSync(stampedPath, stamped.get(name)!.result.bytes)
      try {
        run('pdfsig', ['-add-signature', '-nssdir', `sql:${dir}`, '-nick', 'tanba', stampedPath, join(dir, 'out.pdf')])
      } catch (error) {
        // pdfsig may complain on NSS shutdown after writing the file; the file is what counts.
        void error
      }
      const signed = load(join(dir, 'out.pdf'))
      const sig = pdfsig(signed)!
      expect(sig.match(/Signature is Valid/g)?.length).toBe(signatures)
      const report = await verify(signed)
      expect(report.status).toBe('valid')
      expect(report.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.updated-after-labelling', fatal: false }))
    })
  }
})

describe.skipIf(!hasTool('qpdf'))('encryption made by qpdf (RC4 40 and 128 bit, AES-128)', () => {
  it.each([
    ['RC4 40-bit (R2)', ['40']],
    ['RC4 128-bit (R3)', ['128', '--use-aes=n']],
    ['AES-128 (R4)', ['128', '--use-aes=y']],
    ['AES-256 (R6)', ['256']],
  ])('%s: labels with the user or the owner password, and qpdf still checks it clean', async (_name, args) => {
    const dir = mkdtempSync(join(tmpdir(), 'tanba-enc-'))
    const source = join(dir, 'in.pdf')
    const target = join(dir, 'out.pdf')
    writeFileSync(source, load(join(FIXTURES, 'rotated.pdf')))
    execFileSync('qpdf', ['--allow-weak-crypto', '--encrypt', 'user-pw', 'owner-pw', ...args, '--', source, target])
    const input = load(target)
    await expect(stamp(input)).rejects.toMatchObject({ code: 'TANBA_ENCRYPTED_INPUT' })
    for (const password of ['user-pw', 'owner-pw']) {
      const result = await stamp(input, { adapterOptions: { pdf: { password } } })
      expect((await verify(result.bytes, { password })).status).toBe('valid')
      const check = qpdfCheck(result.bytes, 'user-pw')!
      expect(check.ok, check.output).toBe(true)
      expect(check.output).not.toMatch(/WARNING/)
      const text = await pdfjsText(result.bytes, 'user-pw')
      expect(text).toHaveLength(4)
      for (const t of text) expect(t).toContain('жасанды')
    }
  })
})

describe('hostile input', () => {
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['not a PDF', new TextEncoder().encode('hello world, this is not a PDF at all')],
    ['header only', new TextEncoder().encode('%PDF-1.7\n')],
    ['nested arrays', new TextEncoder().encode(`%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages ${'['.repeat(50_000)} >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n`)],
    ['xref loop', new TextEncoder().encode('%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [2 0 R] /Count 1 >>\nendobj\nxref\n0 3\n0000000000 65535 f\r\n0000000009 00000 n\r\n0000000057 00000 n\r\ntrailer\n<< /Size 3 /Root 1 0 R /Prev 116 >>\nstartxref\n116\n%%EOF\n')],
    ['huge length', new TextEncoder().encode('%PDF-1.7\n1 0 obj\n<< /Length 99999999999 >>\nstream\nabc\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n')],
  ]
  it.each(cases)('%s: a typed error or a clean report, quickly', async (_name, bytes) => {
    const { cpuMs } = await cpuTime(async () => {
      const report = await verify(bytes)
      expect(['error', 'unlabelled']).toContain(report.status)
      const outcome = await stamp(bytes).then(
        () => 'ok',
        (e: unknown) => (isTanbaError(e) ? e.code : e),
      )
      expect(outcome).toMatch(/^TANBA_/)
    })
    expect(cpuMs).toBeLessThan(5000)
  })
})
