// SVG documents: a streaming tokenizer (no DOM, no recursion), the root's size, XMP in <metadata>,
// the canonical essence, and inserting the warning and the XMP.
import type { Hash } from 'node:crypto'
import { MalformedInputError, TooLargeError, UnsupportedFormatError, type Limits } from '@tanba/core'
import type { ParsedImage, XmpPacket } from '../container.js'

export interface SvgFile extends ParsedImage {
  format: 'svg'
  text: string
  /** Offset just past the root start tag's ">" (or of its "/>" when self-closing). */
  rootStartEnd: number
  rootSelfClosing: boolean
  /** Offset of the root's end tag "</svg>". */
  rootClose: number
  /** The user-space box: viewBox, or 0 0 width height. */
  box: { x: number; y: number; width: number; height: number }
  metadata: { start: number; end: number }[]
}

interface Tag {
  kind: 'start' | 'end' | 'text' | 'pi' | 'decl'
  name: string
  attrs: [string, string][]
  selfClosing: boolean
  start: number
  end: number
  text?: string
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] !== '#') return ENTITIES[e]!
    const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : ''
  })
}

/** Yields start tags, end tags and non-blank text; skips comments, and processing instructions and DOCTYPE unless `decls`. */
function* tokens(text: string, decls = false): Generator<Tag> {
  let i = 0
  const n = text.length
  const skipTo = (end: string, from: number, what: string) => {
    const at = text.indexOf(end, from)
    if (at < 0) throw new MalformedInputError(`The SVG has an unterminated ${what} at offset ${from}`)
    return at + end.length
  }
  while (i < n) {
    const lt = text.indexOf('<', i)
    const textEnd = lt < 0 ? n : lt
    if (textEnd > i) {
      const raw = text.slice(i, textEnd)
      if (raw.trim()) yield { kind: 'text', name: '', attrs: [], selfClosing: false, start: i, end: textEnd, text: decodeEntities(raw) }
    }
    if (lt < 0) break
    if (text.startsWith('<!--', lt)) {
      i = skipTo('-->', lt + 4, 'comment')
      continue
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = skipTo(']]>', lt + 9, 'CDATA section')
      yield { kind: 'text', name: '', attrs: [], selfClosing: false, start: lt, end, text: text.slice(lt + 9, end - 3) }
      i = end
      continue
    }
    if (text.startsWith('<?', lt)) {
      i = skipTo('?>', lt + 2, 'processing instruction')
      if (decls) yield { kind: 'pi', name: /^<\?([^\s?]*)/.exec(text.slice(lt, i))?.[1] ?? '', attrs: [], selfClosing: true, start: lt, end: i, text: text.slice(lt, i) }
      continue
    }
    if (text.startsWith('<!', lt)) {
      let bracket = 0
      let j = lt + 2
      for (; j < n; j++) {
        const c = text[j]
        if (c === '[') bracket++
        else if (c === ']') bracket--
        else if (c === '>' && bracket <= 0) break
      }
      if (j >= n) throw new MalformedInputError('The SVG has an unterminated declaration')
      if (decls) yield { kind: 'decl', name: '', attrs: [], selfClosing: true, start: lt, end: j + 1, text: text.slice(lt, j + 1) }
      i = j + 1
      continue
    }
    // A tag: find its end, skipping quoted attribute values.
    let quote = ''
    let j = lt + 1
    for (; j < n; j++) {
      const c = text[j]!
      if (quote) {
        if (c === quote) quote = ''
      } else if (c === '"' || c === "'") quote = c
      else if (c === '>') break
    }
    if (j >= n) throw new MalformedInputError(`The SVG has an unterminated tag at offset ${lt}`)
    const inner = text.slice(lt + 1, j)
    if (inner.startsWith('/')) {
      yield { kind: 'end', name: inner.slice(1).trim(), attrs: [], selfClosing: false, start: lt, end: j + 1 }
    } else {
      const selfClosing = inner.endsWith('/')
      const body = selfClosing ? inner.slice(0, -1) : inner
      const name = /^[^\s/>]+/.exec(body)?.[0] ?? ''
      if (!name) throw new MalformedInputError(`The SVG has an empty tag at offset ${lt}`)
      const attrs: [string, string][] = []
      const re = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g
      const rest = body.slice(name.length)
      for (let m = re.exec(rest); m; m = re.exec(rest)) attrs.push([m[1]!, decodeEntities(m[2] ?? m[3] ?? '')])
      yield { kind: 'start', name, attrs, selfClosing, start: lt, end: j + 1 }
    }
    i = j + 1
  }
}

const local = (name: string) => name.slice(name.indexOf(':') + 1)

export function parseSvg(bytes: Uint8Array, limits: Limits): SvgFile {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) throw new UnsupportedFormatError('Gzip-compressed SVG (SVGZ) is not supported; decompress it first')
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) throw new UnsupportedFormatError('UTF-16 SVG is not supported; save it as UTF-8')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (cause) {
    throw new MalformedInputError('Expected an SVG document in UTF-8 but the bytes are not valid UTF-8', { cause })
  }
  let root: Tag | undefined
  let rootClose = -1
  let depth = 0
  let count = 0
  const metadata: { start: number; end: number }[] = []
  let metaStart = -1
  let metaDepth = -1
  for (const t of tokens(text)) {
    if (++count > limits.maxChunks * 100) throw new TooLargeError(`The SVG has more than ${limits.maxChunks * 100} tokens`)
    if (t.kind === 'start') {
      if (!root) {
        if (local(t.name) !== 'svg') throw new MalformedInputError(`Expected an <svg> root element but found <${t.name}>`)
        root = t
      } else if (depth === 0) throw new MalformedInputError('The SVG has content after its root element')
      if (local(t.name) === 'metadata' && metaStart < 0) {
        if (t.selfClosing) metadata.push({ start: t.start, end: t.end })
        else {
          metaStart = t.start
          metaDepth = depth
        }
      }
      if (!t.selfClosing) depth++
      else if (t === root) rootClose = t.end
    } else if (t.kind === 'end') {
      depth--
      if (depth < 0) throw new MalformedInputError(`The SVG closes </${t.name}> that was never opened`)
      if (metaStart >= 0 && depth === metaDepth) {
        metadata.push({ start: metaStart, end: t.end })
        metaStart = -1
      }
      if (depth === 0) rootClose = t.start
    } else if (!root) throw new MalformedInputError('The SVG has text before its root element')
  }
  if (!root) throw new MalformedInputError('Expected an <svg> root element but the document has none')
  if (depth !== 0 || rootClose < 0) throw new MalformedInputError('The SVG ends before its root element is closed (truncated file?)')
  const attr = (n: string) => root!.attrs.find(([k]) => k === n)?.[1]
  const box = svgBox(attr('viewBox'), attr('width'), attr('height'))

  const xmp: XmpPacket[] = []
  for (const m of metadata) {
    const inner = text.slice(m.start, m.end)
    const packet = /<([\w.-]+:)?xmpmeta[\s>][\s\S]*?<\/([\w.-]+:)?xmpmeta>/.exec(inner)?.[0] ?? /<rdf:RDF[\s>][\s\S]*?<\/rdf:RDF>/.exec(inner)?.[0]
    if (packet) xmp.push({ carrier: 'xmp', text: packet })
  }
  const c2pa = metadata.some((m) => /<([\w.-]+:)?manifest[\s>]/.test(text.slice(m.start, m.end)) && text.slice(m.start, m.end).includes('c2pa')) ? 'svg:metadata' : null
  const file: SvgFile = {
    format: 'svg',
    bytes,
    width: Math.max(1, Math.round(box.renderWidth)),
    height: Math.max(1, Math.round(box.renderHeight)),
    frames: 1,
    animated: false,
    orientation: 1,
    xmp,
    texts: [],
    c2pa,
    notes: box.assumed ? ['The SVG has no absolute width and height; sizes are taken from its viewBox'] : [],
    text,
    rootStartEnd: root.selfClosing ? root.end - 2 : root.end,
    rootSelfClosing: root.selfClosing,
    rootClose,
    box: { x: box.x, y: box.y, width: box.width, height: box.height },
    metadata,
    essence(hash: Hash) {
      hashSvgEssence(text, hash)
    },
    rendering(hash: Hash) {
      hashSvgRendering(text, hash)
    },
  }
  const hidden = svgHiddenContent(text)
  if (hidden.length) file.hidden = hidden
  return file
}

const UNITS: Record<string, number> = { '': 1, px: 1, pt: 4 / 3, pc: 16, mm: 96 / 25.4, cm: 96 / 2.54, in: 96 }

function length(value: string | undefined): number | undefined {
  const m = value ? /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(px|pt|pc|mm|cm|in)?\s*$/i.exec(value) : null
  if (!m) return undefined
  const v = parseFloat(m[1]!) * UNITS[(m[2] ?? '').toLowerCase()]!
  return v > 0 && Number.isFinite(v) ? v : undefined
}

function svgBox(viewBox: string | undefined, w: string | undefined, h: string | undefined) {
  const vb = viewBox?.trim().split(/[\s,]+/).map(Number)
  const width = length(w)
  const height = length(h)
  if (vb && vb.length === 4 && vb.every(Number.isFinite) && vb[2]! > 0 && vb[3]! > 0) {
    const [x, y, bw, bh] = vb as [number, number, number, number]
    // Rendered size: the absolute width/height when given, else the viewBox (in px).
    const rw = width ?? (height ? (height * bw) / bh : bw)
    const rh = height ?? (width ? (width * bh) / bw : bh)
    return { x, y, width: bw, height: bh, renderWidth: rw, renderHeight: rh, assumed: !width && !height }
  }
  if (width && height) return { x: 0, y: 0, width, height, renderWidth: width, renderHeight: height, assumed: false }
  throw new UnsupportedFormatError('The SVG has neither a viewBox nor an absolute width and height, so the warning cannot be placed')
}

/**
 * The SVG essence: the document as a canonical stream of elements (name and attributes in
 * document order), end tags and non-blank text, with every <metadata> subtree, comment,
 * processing instruction and DOCTYPE left out. Re-serialising the XML (quotes, spacing,
 * self-closing tags) keeps it; any change to what is drawn breaks it.
 */
export function hashSvgEssence(text: string, hash: Hash): void {
  let skipDepth = 0
  for (const t of tokens(text)) {
    if (skipDepth) {
      if (t.kind === 'start' && !t.selfClosing) skipDepth++
      else if (t.kind === 'end') skipDepth--
      continue
    }
    if (t.kind === 'start' && local(t.name) === 'metadata') {
      if (!t.selfClosing) skipDepth = 1
      continue
    }
    if (t.kind === 'start') {
      hash.update(JSON.stringify(['<', t.name, t.attrs]) + '\n')
      if (t.selfClosing) hash.update(JSON.stringify(['>', t.name]) + '\n')
    } else if (t.kind === 'end') hash.update(JSON.stringify(['>', t.name]) + '\n')
    else hash.update(JSON.stringify(['t', t.text]) + '\n')
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg'
/** Namespaces whose elements a browser or librsvg acts on wherever they sit (style, script, shapes). */
const RENDERED_NS = new Set([SVG_NS, 'http://www.w3.org/1999/xhtml', 'http://www.w3.org/1998/Math/MathML'])
const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'

interface SvgWalkStep {
  tag: Tag
  /** The element's namespace (start tags), resolved from the xmlns declarations in scope. */
  ns: string | undefined
  inMetadata: boolean
  /** Inside an XMP packet (x:xmpmeta or rdf:RDF) or a C2PA manifest: left out of every binding method. */
  inPacket: boolean
}

/**
 * Walks the document with namespaces resolved, telling for each token whether it sits inside a
 * <metadata> subtree and inside one of the packets (XMP, C2PA) that metadata editors and the
 * stamp itself rewrite.
 */
function* walkSvg(text: string): Generator<SvgWalkStep> {
  // Each prefix's bindings as a stack, and per open element the prefixes it declared: O(1) per lookup, however deep.
  const bindings = new Map<string, string[]>([['xml', ['http://www.w3.org/XML/1998/namespace']]])
  const declared: string[][] = []
  const NONE: string[] = []
  const resolve = (prefix: string) => {
    const stack = bindings.get(prefix)
    const v = stack?.[stack.length - 1]
    return v ? v : undefined
  }
  const close = () => {
    for (const prefix of declared.pop() ?? NONE) bindings.get(prefix)!.pop()
  }
  let metaDepth = 0
  let packetDepth = 0
  for (const t of tokens(text, true)) {
    if (t.kind === 'start') {
      let mine = NONE
      for (const [k, v] of t.attrs) {
        const prefix = k === 'xmlns' ? '' : k.startsWith('xmlns:') ? k.slice(6) : undefined
        if (prefix === undefined) continue
        if (mine === NONE) mine = []
        mine.push(prefix)
        let stack = bindings.get(prefix)
        if (!stack) bindings.set(prefix, (stack = []))
        stack.push(v)
      }
      declared.push(mine)
      const colon = t.name.indexOf(':')
      const ns = resolve(colon < 0 ? '' : t.name.slice(0, colon))
      const name = local(t.name)
      const opensMeta = name === 'metadata' // any namespace, as the v1 essence skips it
      const opensPacket = (metaDepth > 0 || opensMeta) && !packetDepth && ((name === 'xmpmeta' && ns === 'adobe:ns:meta/') || (name === 'RDF' && ns === RDF_NS) || (name === 'manifest' && /c2pa/i.test(ns ?? t.name)))
      if (metaDepth || opensMeta) metaDepth++
      if (packetDepth || opensPacket) packetDepth++
      yield { tag: t, ns, inMetadata: metaDepth > 0, inPacket: packetDepth > 0 }
      if (t.selfClosing) {
        close()
        if (metaDepth) metaDepth--
        if (packetDepth) packetDepth--
      }
    } else if (t.kind === 'end') {
      yield { tag: t, ns: undefined, inMetadata: metaDepth > 0, inPacket: packetDepth > 0 }
      close()
      if (metaDepth) metaDepth--
      if (packetDepth) packetDepth--
    } else yield { tag: t, ns: undefined, inMetadata: metaDepth > 0, inPacket: packetDepth > 0 }
  }
}

/**
 * What the v1 essence leaves out but a renderer reads: the prolog's processing instructions
 * (xml-stylesheet) and DOCTYPE (entity definitions), and every element, text and instruction
 * inside <metadata> except the XMP and C2PA packets (xpacket instructions excepted).
 */
export function hashSvgRendering(text: string, hash: Hash): void {
  for (const { tag: t, inMetadata, inPacket } of walkSvg(text)) {
    if (inPacket) continue
    if (t.kind === 'pi' || t.kind === 'decl') {
      if (t.name !== 'xpacket') hash.update(JSON.stringify([t.kind, t.text]) + '\n')
    } else if (inMetadata && !((t.kind === 'start' || t.kind === 'end') && local(t.name) === 'metadata')) {
      // The <metadata> tags themselves are never rendered (the stamp adds one); their content is.
      if (t.kind === 'start') {
        hash.update(JSON.stringify(['<', t.name, t.attrs]) + '\n')
        if (t.selfClosing) hash.update(JSON.stringify(['>', t.name]) + '\n')
      } else if (t.kind === 'end') hash.update(JSON.stringify(['>', t.name]) + '\n')
      else hash.update(JSON.stringify(['t', t.text]) + '\n')
    }
  }
}

/** Elements a renderer acts on (SVG, XHTML or MathML namespace) hidden inside an XMP or C2PA packet. */
export function svgHiddenContent(text: string): string[] {
  const out: string[] = []
  for (const { tag: t, ns, inPacket } of walkSvg(text)) {
    if (inPacket && t.kind === 'start' && ns && RENDERED_NS.has(ns)) {
      if (out.length < 5) out.push(`<${t.name}> at offset ${t.start} sits inside an XMP or C2PA packet of <metadata>, outside the binding, but is an element of ${ns} that browsers and librsvg act on`)
    }
  }
  return out
}

/** Inserts `content` just before the root's end tag (opening a self-closing root). */
export function insertIntoSvg(file: SvgFile, content: string): string {
  const { text } = file
  if (file.rootSelfClosing) {
    const name = /^<([^\s/>]+)/.exec(text.slice(text.lastIndexOf('<', file.rootStartEnd)))?.[1] ?? 'svg'
    return `${text.slice(0, file.rootStartEnd)}>${content}</${name}>${text.slice(file.rootStartEnd + 2)}`
  }
  return text.slice(0, file.rootClose) + content + text.slice(file.rootClose)
}

/** Replaces the XMP packet inside <metadata>, or adds a <metadata> element after the root start tag. */
export function replaceSvgXmp(file: SvgFile, packet: string): string {
  return endAtRoot(replaceXmpText(file, packet))
}

/** Drops whitespace after the root's end tag, so the document ends where its structure ends (a cut is then always detectable). */
function endAtRoot(text: string): string {
  return text.replace(/(<\/(?:[\w.-]+:)?svg\s*>)\s+$/, '$1')
}

function replaceXmpText(file: SvgFile, packet: string): string {
  const { text } = file
  for (const m of file.metadata) {
    const inner = text.slice(m.start, m.end)
    const re = /(<\?xpacket begin[^?]*\?>\s*)?<([\w.-]+:)?xmpmeta[\s>][\s\S]*?<\/([\w.-]+:)?xmpmeta>(\s*<\?xpacket end[^?]*\?>)?/
    const hit = re.exec(inner)
    if (hit) return text.slice(0, m.start + hit.index) + packet + text.slice(m.start + hit.index + hit[0].length)
  }
  // An existing <metadata> element without a packet takes it: a second <metadata> would leave the
  // C2PA writer and other readers choosing between two (issue 14: an empty <metadata></metadata>).
  const first = file.metadata[0]
  if (first) {
    const element = text.slice(first.start, first.end)
    if (element.endsWith('/>')) {
      const name = /^<([^\s/>]+)/.exec(element)![1]
      return `${text.slice(0, first.start)}${element.slice(0, -2).trimEnd()}>${packet}</${name}>${text.slice(first.end)}`
    }
    const close = text.lastIndexOf('</', first.end)
    return text.slice(0, close) + packet + text.slice(close)
  }
  if (file.rootSelfClosing) return insertIntoSvg(file, `<metadata>${packet}</metadata>`)
  return `${text.slice(0, file.rootStartEnd)}\n<metadata>${packet}</metadata>${text.slice(file.rootStartEnd)}`
}
