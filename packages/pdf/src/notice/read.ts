import type { NoticeLine } from '@tanba/core'
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFRawStream, PDFString, type PDFObject } from 'pdf-lib'
import type { PdfFile } from '../syntax/file.js'
import { Keyword, latin1, Lexer } from '../syntax/lexer.js'
import { contentRefs, type PageInfo } from '../syntax/pages.js'
import { isTanbaObject, NOTICE_KEY } from './marker.js'

export interface FoundNotice {
  /** 1-based numbers of the pages that show the notice. */
  pages: number[]
  /** The notice text read back from the page content, one entry per language span. */
  lines: NoticeLine[]
}

/**
 * Reads the visible notice back from the pages: the form each page calls from Tanba's closing
 * content stream, decoded through its fonts' ToUnicode maps, as a text extractor would.
 */
export function findNotice(file: PdfFile, pages: PageInfo[]): FoundNotice | undefined {
  const cache = new Map<PDFRawStream, NoticeLine[] | null>()
  const found: number[] = []
  let lines: NoticeLine[] | undefined
  for (const page of pages) {
    const contents = contentRefs(file, page.dict)
    const first = contents[0]
    const last = contents[contents.length - 1]
    if (contents.length < 2 || !isTanbaObject(file, last) || !isTanbaObject(file, first)) continue
    // A band notice is drawn from the opening stream, an overlay from the closing one.
    let ops = ''
    for (const ref of [first, last]) {
      try {
        ops += latin1(file.streamData(file.resolve(ref) as PDFRawStream, { maxBytes: 1 << 16 })) + '\n'
      } catch {
        // an unreadable stream draws nothing
      }
    }
    const xobjects = file.lookupDict(page.resources, 'XObject')
    for (const m of ops.matchAll(/\/([^\s/()<>[\]{}%]+)\s+Do\b/g)) {
      const form = file.lookup(xobjects, m[1]!)
      if (!(form instanceof PDFRawStream) || form.dict.get(PDFName.of(NOTICE_KEY)) === undefined) continue
      let text = cache.get(form)
      if (text === undefined) {
        try {
          text = readFormText(file, form)
        } catch {
          text = null
        }
        cache.set(form, text)
      }
      if (text?.length) {
        lines ??= text
        if (!found.includes(page.index + 1)) found.push(page.index + 1)
      }
    }
  }
  return lines ? { pages: found, lines } : undefined
}

/** Text of a form XObject, grouped by the /Lang of its marked-content spans. */
export function readFormText(file: PdfFile, form: PDFRawStream): NoticeLine[] {
  const data = file.streamData(form, { maxBytes: file.limits.maxMetadataBytes })
  const fontsDict = file.lookupDict(file.lookupDict(form.dict, 'Resources'), 'Font')
  const maps = new Map<string, ToUnicode>()
  const spans: { lang: string; parts: string[] }[] = []
  const langs: string[] = []
  let font: ToUnicode | undefined
  let current: { lang: string; parts: string[] } | undefined
  let lineOpen = false
  const lex = new Lexer(data, 0, { context: file.context, maxDepth: 16 })
  let operands: PDFObject[] = []
  let count = 0
  const emit = (s: string) => {
    const lang = langs[langs.length - 1] ?? ''
    if (!current || current.lang !== lang) {
      current = { lang, parts: [] }
      spans.push(current)
      lineOpen = false
    }
    if (!lineOpen) current.parts.push('')
    current.parts[current.parts.length - 1] += s
    lineOpen = true
  }
  for (;;) {
    lex.skipWhite()
    if (lex.pos >= data.length) break
    if (++count > file.limits.maxChunks) break
    const tok = lex.parse(0, true)
    if (!(tok instanceof Keyword)) {
      operands.push(tok)
      continue
    }
    switch (tok.value) {
      case 'BDC': {
        const props = operands[1] instanceof PDFDict ? operands[1] : undefined
        const lang = props?.get(PDFName.of('Lang'))
        langs.push(lang instanceof PDFHexString || lang instanceof PDFString ? lang.decodeText() : (langs[langs.length - 1] ?? ''))
        break
      }
      case 'BMC':
        langs.push(langs[langs.length - 1] ?? '')
        break
      case 'EMC':
        langs.pop()
        break
      case 'Tf': {
        const name = operands[0] instanceof PDFName ? operands[0].decodeText() : ''
        let map = maps.get(name)
        if (!map) {
          map = toUnicodeOf(file, file.lookupDict(fontsDict, name))
          maps.set(name, map)
        }
        font = map
        break
      }
      case 'BT':
      case 'Tm':
      case 'Td':
      case 'TD':
      case 'T*':
        lineOpen = false
        break
      case 'Tj':
      case "'":
      case '"': {
        const s = operands[operands.length - 1]
        if (tok.value !== 'Tj') lineOpen = false
        if (font && (s instanceof PDFHexString || s instanceof PDFString)) emit(font.decode(s.asBytes()))
        break
      }
      case 'TJ': {
        const arr = operands[0]
        if (font && arr instanceof PDFArray) for (const item of arr.asArray()) if (item instanceof PDFHexString || item instanceof PDFString) emit(font.decode(item.asBytes()))
        break
      }
    }
    operands = []
  }
  return spans.map((s) => ({ lang: s.lang, text: joinLines(s.parts) }))
}

function joinLines(parts: string[]): string {
  let out = ''
  for (const p of parts) {
    if (!out) out = p
    else if (/[\p{Script=Han}]$/u.test(out) || /^[\p{Script=Han}]/u.test(p)) out += p
    else out += ' ' + p
  }
  return out.trim()
}

interface ToUnicode {
  decode(bytes: Uint8Array): string
}

/** Parses a font's ToUnicode CMap (bfchar and bfrange) into a decoder. */
function toUnicodeOf(file: PdfFile, font: PDFDict | undefined): ToUnicode {
  const map = new Map<number, string>()
  let codeLength = 1
  const subtype = file.lookup(font, 'Subtype')
  if (subtype === PDFName.of('Type0')) codeLength = 2
  const stream = file.lookup(font, 'ToUnicode')
  if (stream instanceof PDFRawStream) {
    const text = latin1(file.streamData(stream, { maxBytes: file.limits.maxMetadataBytes }))
    const cs = /begincodespacerange\s*<([0-9a-fA-F]+)>/.exec(text)
    if (cs) codeLength = Math.max(1, cs[1]!.length / 2)
    for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
      for (const m of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>/g)) map.set(Number.parseInt(m[1]!, 16), utf16Hex(m[2]!))
    }
    for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
      for (const m of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(?:<([0-9a-fA-F]*)>|\[([^\]]*)\])/g)) {
        const lo = Number.parseInt(m[1]!, 16)
        const hi = Math.min(Number.parseInt(m[2]!, 16), lo + 0xffff)
        if (m[3] !== undefined) {
          const base = m[3]
          for (let c = lo; c <= hi; c++) map.set(c, utf16Hex(incrementHex(base, c - lo)))
        } else {
          const items = [...m[4]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((x) => x[1]!)
          items.forEach((h, i) => {
            if (lo + i <= hi) map.set(lo + i, utf16Hex(h))
          })
        }
      }
    }
  }
  return {
    decode(bytes: Uint8Array): string {
      let out = ''
      for (let i = 0; i + codeLength <= bytes.length; i += codeLength) {
        let code = 0
        for (let j = 0; j < codeLength; j++) code = code * 256 + bytes[i + j]!
        out += map.get(code) ?? (codeLength === 1 ? String.fromCharCode(code) : '\uFFFD')
      }
      return out
    },
  }
}

function utf16Hex(hex: string): string {
  let s = ''
  for (let i = 0; i + 4 <= hex.length; i += 4) s += String.fromCharCode(Number.parseInt(hex.slice(i, i + 4), 16))
  if (hex.length === 2) s += String.fromCharCode(Number.parseInt(hex, 16))
  return s
}

function incrementHex(hex: string, by: number): string {
  const v = BigInt(`0x${hex}`) + BigInt(by)
  return v.toString(16).padStart(hex.length, '0')
}
