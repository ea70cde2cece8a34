// PDF adapter benchmarks: stamping a generated 300-page PDF against pdf-lib's own load+save
// of the same file, interleaved with it round by round in the same run (median and spread per row). Run with `node scripts/bench.mjs pdf` after `pnpm build`.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createPemSigner, generateSigningCredentials, stampWith } from '@tanba/core'
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib'
import { interleaved, row } from '../../../scripts/bench-lib.mjs'
import { loadPdfAdapter, PDF_FORMAT } from '../dist/index.js'

const PAGES = 300

/** A 300-page document with a few paragraphs and shapes on every page. */
export async function makeDocument(pages = PAGES) {
  const doc = await PDFDocument.create()
  const font = await doc.embedFont(StandardFonts.Helvetica)
  const bold = await doc.embedFont(StandardFonts.HelveticaBold)
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ')
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595.28, 841.89])
    page.drawText(`Chapter ${Math.floor(p / 10) + 1}, page ${p + 1}`, { x: 56, y: 780, size: 16, font: bold })
    for (let line = 0; line < 40; line++) {
      const text = Array.from({ length: 12 }, (_, i) => words[(p * 7 + line * 3 + i) % words.length]).join(' ')
      page.drawText(text, { x: 56, y: 750 - line * 17, size: 10, font, color: rgb(0.1, 0.1, 0.1) })
    }
    page.drawRectangle({ x: 56, y: 40, width: 483, height: 12, color: rgb(0.85, 0.9, 1) })
  }
  return doc.save()
}

export default async function run(ctx) {
  const input = await makeDocument()
  mkdirSync(ctx.tmp, { recursive: true })
  const inputPath = join(ctx.tmp, 'pdf-300-pages.pdf')
  writeFileSync(inputPath, input)
  const creds = await generateSigningCredentials({ commonName: 'Tanba bench' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const adapter = await loadPdfAdapter()
  const options = (visible) => ({
    signer,
    system: { name: 'Bench', model: 'bench-model' },
    owner: { name: 'Bench LLP', id: '123456789012', country: 'KZ' },
    profiles: ['kz'],
    c2pa: false,
    notice: { visible },
  })

  // The three run interleaved, round by round, so every round's ratio compares like with like.
  const t = await interleaved(
    {
      baseline: async () => {
        const doc = await PDFDocument.load(input, { updateMetadata: false })
        await doc.save()
      },
      notice: () => stampWith(adapter, input, PDF_FORMAT, options(true)),
      meta: () => stampWith(adapter, input, PDF_FORMAT, options(false)),
    },
    { rounds: 7, warmup: 1 },
  )
  const pairs = (op) => op.map((ms, i) => ({ ms, baselineMs: t.baseline[i] }))
  const peak = peakMemory(inputPath)

  const size = `${(input.length / 1024).toFixed(0)} KiB, ${PAGES} pages`
  return [
    row({
      operation: `pdf: stamp ${PAGES} pages, notice on every page`,
      baseline: 'pdf-lib load+save',
      roundTimes: pairs(t.notice),
      target: { max: 1.5 },
      note: `${size}; peak RSS ${peak.stamp} MB (pdf-lib load+save alone: ${peak.baseline} MB)`,
    }),
    row({
      operation: `pdf: metadata-only stamp, ${PAGES} pages`,
      baseline: 'pdf-lib load+save',
      roundTimes: pairs(t.meta),
      target: { max: 0.25 },
      note: 'incremental update: no page is re-serialised',
    }),
  ]
}

/** Peak resident memory (MB) of a fresh process that stamps the file once, and of one that loads and saves it with pdf-lib. */
function peakMemory(inputPath) {
  const here = new URL('.', import.meta.url).pathname
  const script = (body) => `
    import { readFileSync } from 'node:fs'
    import { resourceUsage } from 'node:process'
    const input = new Uint8Array(readFileSync(${JSON.stringify(inputPath)}))
    ${body}
    console.log(JSON.stringify({ maxRss: resourceUsage().maxRSS }))`
  const stampBody = `
    const core = await import('@tanba/core')
    const { loadPdfAdapter, PDF_FORMAT } = await import('../dist/index.js')
    const creds = await core.generateSigningCredentials({ commonName: 'Tanba bench' })
    const signer = await core.createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
    await core.stampWith(await loadPdfAdapter(), input, PDF_FORMAT, { signer, system: { name: 'Bench' }, owner: { name: 'Bench LLP' }, c2pa: false })`
  const baselineBody = `
    const { PDFDocument } = await import('pdf-lib')
    await (await PDFDocument.load(input, { updateMetadata: false })).save()`
  const measureOne = (body) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(body)], { cwd: here, encoding: 'utf8' })
    const line = r.stdout.trim().split('\n').pop() ?? ''
    try {
      return (JSON.parse(line).maxRss / 1024).toFixed(0)
    } catch {
      return `? (${(r.stderr || r.stdout).trim().split('\n').pop()})`
    }
  }
  return { stamp: measureOne(stampBody), baseline: measureOne(baselineBody) }
}
