// Structures nested thousands deep, loops and counts built to exhaust a parser, one set per format,
// run through the umbrella's verify, inspect and stamp in a watched child process. Each must end
// within a second with a typed error or a clean answer, without a crash or runaway memory.
import { afterAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { mkdirSync, writeFileSync } from 'node:fs'
import { CasePool, CORPUS, count, OUT, problemOf, ROOT, TEST_TIMEOUT, writeCounts, type CaseOp, type CaseSpec } from './helpers.js'
import { withoutKnown, writeKnown } from './known-issues.js'
import {
  deepHtml,
  deepSvg,
  deepXmp,
  flacBlocks,
  hugeSvg,
  jpegManySegments,
  jpegWithXmp,
  manyId3Tags,
  markdownDeepQuotes,
  nestedBoxes,
  nestedHeif,
  nestedId3Chapters,
  nestedRiff,
  oggCommentBomb,
  pdfCycles,
  pdfDeepArray,
  pdfDeepDict,
  pdfDeepPageTree,
  selectorRuns,
  tiffLoop,
  yamlAliasBomb,
  yamlDeep,
  type HostileBuild,
} from './mutate.js'

const fixture = (p: string) => new Uint8Array(readFileSync(join(ROOT, 'fixtures', p)))
const corpus = (p: string) => new Uint8Array(readFileSync(join(CORPUS, p)))
const enc = new TextEncoder()

/** Every hostile structure, with the file name detection sees. */
function builds(): HostileBuild[] {
  const jpeg = fixture('image/photo.jpg')
  const png = fixture('image/photo.png')
  const mp3 = fixture('audio/programme.mp3')
  const xmp100k = deepXmp(100_000)
  return [
    { name: 'WAV: RIFF LIST chunks nested 5,000 deep', filename: 'nested.wav', bytes: nestedRiff(5000) },
    { name: 'WAV: the corpus RIFF bomb (1,000 deep)', filename: 'riff_bomb_1000.wav', bytes: corpus('adversarial/riff_bomb_1000.wav') },
    { name: 'WebP: RIFF LIST chunks nested 5,000 deep', filename: 'nested.webp', bytes: nestedRiff(5000, 'WEBP') },
    { name: 'M4A: moov boxes nested 5,000 deep', filename: 'nested.m4a', bytes: nestedBoxes(5000, 'M4A ') },
    { name: 'M4A: udta boxes nested 5,000 deep', filename: 'nested-udta.m4a', bytes: nestedBoxes(5000, 'M4A ', 'udta') },
    { name: 'M4A: the corpus nested_moov_1000 boxes under an M4A brand', filename: 'nested_moov.m4a', bytes: asM4a(corpus('adversarial/nested_moov_1000.mp4')) },
    { name: 'MP4 (video): the corpus nested_moov_1000.mp4 as it is', filename: 'nested_moov_1000.mp4', bytes: corpus('adversarial/nested_moov_1000.mp4') },
    { name: 'AVIF: iprp/ipco boxes nested 5,000 deep', filename: 'nested.avif', bytes: nestedHeif(5000, 'avif') },
    { name: 'HEIC: iprp/ipco boxes nested 5,000 deep', filename: 'nested.heic', bytes: nestedHeif(5000, 'heic') },
    { name: 'JPEG: XMP elements nested 5,000 deep (as deep as one APP1 segment holds)', filename: 'deep-xmp.jpg', bytes: jpegWithXmp(jpeg, deepXmp(5000)) },
    { name: 'JPEG: 200,000 empty APP segments', filename: 'many.jpg', bytes: jpegManySegments(jpeg, 200_000) },
    { name: 'PNG: XMP elements nested 100,000 deep', filename: 'deep-xmp.png', bytes: pngWithXmp(png, xmp100k) },
    { name: 'PNG: 200,000 text chunks', filename: 'many.png', bytes: pngWithChunks(png, 200_000) },
    { name: 'TIFF: 5,000 IFDs chained in a loop, each with a SubIFD pointer to the next', filename: 'loop.tif', bytes: tiffLoop(5000) },
    { name: 'SVG: groups nested 100,000 deep', filename: 'deep.svg', bytes: deepSvg(100_000) },
    { name: 'SVG: a 1,000,000 x 1,000,000 canvas', filename: 'huge.svg', bytes: hugeSvg(1_000_000) },
    { name: 'PDF: arrays nested 100,000 deep in the Info dictionary', filename: 'deep-array.pdf', bytes: pdfDeepArray(100_000) },
    { name: 'PDF: dictionaries nested 50,000 deep', filename: 'deep-dict.pdf', bytes: pdfDeepDict(50_000) },
    { name: 'PDF: a page tree 5,000 levels deep', filename: 'deep-pages.pdf', bytes: pdfDeepPageTree(5000) },
    { name: 'PDF: a page tree with cycles and a looping /Prev chain', filename: 'cycles.pdf', bytes: pdfCycles() },
    { name: 'MP3: ID3v2.4 chapter frames nested 5,000 deep', filename: 'chapters.mp3', bytes: nestedId3Chapters(5000, mp3) },
    { name: 'MP3: 200,000 back-to-back ID3v2 tags', filename: 'tags.mp3', bytes: manyId3Tags(200_000, mp3) },
    { name: 'FLAC: 200,000 metadata blocks and a comment block declaring 2^32-1 comments', filename: 'blocks.flac', bytes: flacBlocks(fixture('audio/programme.flac'), 200_000) },
    { name: 'Ogg: a comment header declaring 2^32-1 comments', filename: 'comments.ogg', bytes: oggCommentBomb(fixture('audio/programme.ogg')) },
    { name: 'Opus: a comment header declaring 2^32-1 comments', filename: 'comments.opus', bytes: oggCommentBomb(fixture('audio/programme.opus')) },
    { name: 'WAV: XMP nested 100,000 deep in _PMX', filename: 'deep-xmp.wav', bytes: wavWithXmp(fixture('audio/programme.wav'), xmp100k) },
    { name: 'Text: 1,000,000 runs of variation selectors', filename: 'runs.txt', bytes: selectorRuns(1_000_000) },
    { name: 'HTML: elements nested 100,000 deep', filename: 'deep.html', bytes: deepHtml(100_000) },
    { name: 'Markdown: YAML front matter nested 10,000 deep', filename: 'deep.md', bytes: yamlDeep(10_000) },
    { name: 'Markdown: a YAML alias expansion bomb ("billion laughs")', filename: 'laughs.md', bytes: yamlAliasBomb() },
    { name: 'Markdown: blockquotes 10,000 deep and 2,000 nested list items', filename: 'quotes.md', bytes: markdownDeepQuotes(10_000) },
    { name: 'XMP: 100,000-deep packet as a bare .xmp-like text file', filename: 'deep.txt', bytes: enc.encode(xmp100k) },
  ]
}

function asM4a(mp4: Uint8Array): Uint8Array {
  // Rewrite the ftyp major brand (and any compatible brand) to "M4A " so the audio adapter takes it.
  const out = mp4.slice()
  const size = new DataView(out.buffer).getUint32(0)
  for (let o = 8; o + 4 <= size; o += 4) if (o !== 12) out.set(enc.encode('M4A '), o)
  return out
}

function pngWithXmp(png: Uint8Array, xmp: string): Uint8Array {
  return pngChunkAfterHeader(png, 'iTXt', enc.encode(`XML:com.adobe.xmp\0\0\0\0\0${xmp}`))
}

function pngWithChunks(png: Uint8Array, n: number): Uint8Array {
  return pngChunkAfterHeader(png, 'tEXt', enc.encode('k\0v'), n)
}

function pngChunkAfterHeader(png: Uint8Array, type: string, data: Uint8Array, repeat = 1): Uint8Array {
  const crcTable = new Uint32Array(256).map((_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const body = new Uint8Array(4 + data.length)
  body.set(enc.encode(type))
  body.set(data, 4)
  let crc = 0xffffffff
  for (const b of body) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8)
  const chunk = new Uint8Array(12 + data.length)
  const v = new DataView(chunk.buffer)
  v.setUint32(0, data.length)
  chunk.set(body, 4)
  v.setUint32(8 + data.length, (crc ^ 0xffffffff) >>> 0)
  const out = new Uint8Array(png.length + chunk.length * repeat)
  out.set(png.subarray(0, 33))
  for (let i = 0; i < repeat; i++) out.set(chunk, 33 + i * chunk.length)
  out.set(png.subarray(33), 33 + chunk.length * repeat)
  return out
}

function wavWithXmp(wav: Uint8Array, xmp: string): Uint8Array {
  const payload = enc.encode(xmp)
  const chunk = new Uint8Array(8 + payload.length + (payload.length & 1))
  chunk.set(enc.encode('_PMX'))
  new DataView(chunk.buffer).setUint32(4, payload.length, true)
  chunk.set(payload, 8)
  const out = new Uint8Array(wav.length + chunk.length)
  out.set(wav)
  out.set(chunk, wav.length)
  new DataView(out.buffer).setUint32(4, out.length - 8, true)
  return out
}

const OPS: CaseOp[] = ['verify', 'inspect', 'stamp-metadata', 'stamp-visible']
const pool = new CasePool(2)
const table: Record<string, Record<string, string>> = {}

afterAll(async () => {
  await pool.close()
  writeCounts('counts-nesting.json')
  writeKnown('known-issues-nesting.json')
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'nesting.json'), JSON.stringify(table, null, 2))
})

describe('structures nested thousands deep, loops and huge counts', () => {
  const all = builds()
  it('builds a hostile structure for every container format', () => {
    const formats = new Set(all.map((b) => b.filename.split('.').pop()))
    for (const ext of ['wav', 'webp', 'm4a', 'avif', 'heic', 'jpg', 'png', 'tif', 'svg', 'pdf', 'mp3', 'flac', 'ogg', 'opus', 'txt', 'html', 'md']) expect(formats).toContain(ext)
  })
  for (const build of all) {
    it(build.name, async () => {
      const specs: CaseSpec[] = OPS.map((op) => ({ bytes: build.bytes, filename: build.filename, mutation: { kind: 'none' }, op }))
      const results = await pool.run(specs)
      count('nesting cases', specs.length)
      table[build.name] = Object.fromEntries(results.map((r, i) => [OPS[i]!, `${r.outcome} (${r.ms.toFixed(0)} ms)`]))
      const problems = specs.flatMap((spec, i) => {
        const p = problemOf(results[i]!)
        return p ? [`${spec.op} on ${build.name}: ${p}`] : []
      })
      const broken = specs.flatMap((spec, i) => (/^stamped:(?!valid)/.test(results[i]!.outcome) ? [`${spec.op} on ${build.name} wrote a file that verifies as ${results[i]!.outcome}`] : []))
      expect(withoutKnown([...problems, ...broken]), results.map((r, i) => `${OPS[i]} -> ${r.outcome} in ${r.ms.toFixed(0)} ms`).join('; ')).toEqual([])
    }, TEST_TIMEOUT)
  }
})
