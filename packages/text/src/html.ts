/**
 * HTML documents and fragments. Carriers: `<meta name="ai-disclosure">`, `<meta name="AIGC">`
 * (the TC260 object), the label in `<script type="application/vnd.tanba.label+json">`, and a
 * visible `<p class="tanba-notice">` that a page's styles can target. Elements are located
 * with htmlparser2's source offsets, so everything else in the source is kept byte for byte.
 */
import { CORE_RULES, InvalidLabelError, MalformedInputError, parseLabel, parseTc260, serializeLabel, tc260IsAi, tc260Json, throwIfAborted, toHtmlMetaValue, TooLargeError, toTc260, type Extraction, type ExtractOptions, type FoundLabel, type Label, type Marker, type ReportMessage, type StampContext, type StampResult } from '@tanba/core'
import { Parser } from 'htmlparser2'
import { labelWrapper, legacyBindingMessages, readWrappers, shareCertificates, signText, textOptions } from './carriers.js'
import { HTML_BINDING, LEGACY_BINDINGS, complementSpans, digestEssenceText, digestSpans, essenceText, trailingZoneStart } from './essence.js'
import { noticeLanguages, noticePlacement, noticeRecord } from './notice.js'
import { removeRanges } from './plain.js'
import { decodeUtf8, utf8 } from './utf8.js'
import { findWrappers } from './wrapper.js'
import { TEXT_RULES } from './rules.js'

export const TANBA_SCRIPT_TYPE = 'application/vnd.tanba.label+json'
export const C2PA_SCRIPT_TYPE = 'application/c2pa'
export const NOTICE_CLASS = 'tanba-notice'
/** Values of the ai-disclosure meta that say AI was involved. */
const AI_DISCLOSURE_VALUES = ['ai-generated', 'ai-assisted', 'autonomous', 'mixed', 'ai-originated', 'ai-modified', 'machine-generated']
/** Elements that belong in <head>: a notice goes after them when a document has no <body> tag. */
const HEAD_ELEMENTS = new Set(['html', 'head', 'title', 'meta', 'link', 'style', 'script', 'base', 'noscript', 'template'])

interface Range {
  start: number
  end: number
}
interface MetaElement extends Range {
  /** Attribute names, lower case, in source order. */
  attrs: string[]
  name: string
  content: string | undefined
  charset?: string
  httpEquiv?: string
}
interface ScriptElement extends Range {
  attrs: string[]
  type: string
  text: string
}
interface NoticeElement extends Range {
  /** False when the element has no end tag (then it is not removed when restamping). */
  closed: boolean
  text: string
  langs: string[]
}

/** What a scan of an HTML source finds, with offsets into it. */
export interface HtmlScan {
  document: boolean
  doctypeEnd?: number
  htmlOpenEnd?: number
  htmlCloseStart?: number
  headOpenEnd?: number
  headCloseEnd?: number
  bodyOpenEnd?: number
  bodyCloseStart?: number
  /** First content (tag or text) outside head-level elements, for documents without <body>. */
  contentStart?: number
  metas: MetaElement[]
  scripts: ScriptElement[]
  c2paLinks: Range[]
  notices: NoticeElement[]
  /** White space between the head-level elements before the body: never rendered, left out of the essence. */
  headSpace: Range[]
}

interface OpenElement {
  name: string
  attrs?: string[]
  start: number
  openEnd: number
  type?: string
  notice?: { text: string; langs: Set<string> }
}

const WHITE_SPACE = /^[ \t\n\r\f]*$/
/**
 * Elements nested deeper than this make the input TooLargeError. Browsers stop nesting there
 * too (Blink's HTML parser caps the tree depth at 512), and the tokenizer's cost grows with depth.
 */
export const HTML_MAX_DEPTH = 512
/** Longest notice text kept per element. */
const MAX_NOTICE_TEXT = 4096

/** Scans an HTML source (document or fragment) for the elements Tanba reads and writes. Linear in the source. */
export function scanHtml(source: string): HtmlScan {
  const scan: HtmlScan = { document: false, metas: [], scripts: [], c2paLinks: [], notices: [], headSpace: [] }
  const stack: OpenElement[] = []
  const notices: OpenElement[] = []
  // Counters instead of stack walks, so deeply nested input stays linear.
  let inHead = 0
  let inHeadLevel = 0
  const parser: Parser = new Parser(
    {
      onprocessinginstruction(name) {
        if (name.toLowerCase() === '!doctype' && scan.doctypeEnd === undefined) {
          scan.doctypeEnd = parser.endIndex + 1
          scan.document = true
        }
      },
      onopentag(name, attribs) {
        const start = parser.startIndex
        const openEnd = parser.endIndex + 1
        const element: OpenElement = { name, start, openEnd }
        if (name === 'html' && scan.htmlOpenEnd === undefined) scan.htmlOpenEnd = openEnd
        else if (name === 'head' && scan.headOpenEnd === undefined) scan.headOpenEnd = openEnd
        else if (name === 'body' && scan.bodyOpenEnd === undefined) scan.bodyOpenEnd = openEnd
        if (name === 'html' || name === 'head' || name === 'body') scan.document = true
        if (name === 'meta') {
          scan.metas.push({ start, end: openEnd, attrs: Object.keys(attribs), name: (attribs.name ?? '').trim().toLowerCase(), content: attribs.content, ...(attribs.charset ? { charset: attribs.charset } : {}), ...(attribs['http-equiv'] ? { httpEquiv: attribs['http-equiv'].trim().toLowerCase() } : {}) })
        } else if (name === 'link' && /(^|\s)c2pa-manifest(\s|$)/i.test(attribs.rel ?? '')) {
          scan.c2paLinks.push({ start, end: openEnd })
        } else if (name === 'script') {
          element.type = (attribs.type ?? '').trim().toLowerCase()
          element.attrs = Object.keys(attribs)
        }
        if (scan.contentStart === undefined && !HEAD_ELEMENTS.has(name) && inHead === 0 && inHeadLevel === 0) scan.contentStart = start
        if (name === 'head') inHead++
        if (HEAD_ELEMENTS.has(name) && name !== 'html') inHeadLevel++
        const classes = (attribs.class ?? '').split(/\s+/)
        if (classes.includes(NOTICE_CLASS) || 'data-tanba-notice' in attribs) {
          element.notice = { text: '', langs: new Set(attribs.lang ? [attribs.lang] : []) }
          notices.push(element)
        } else if (notices.length && attribs.lang) {
          notices[notices.length - 1]!.notice!.langs.add(attribs.lang)
        }
        stack.push(element)
        if (stack.length > HTML_MAX_DEPTH) {
          throw new TooLargeError(`The HTML nests elements more than ${HTML_MAX_DEPTH} deep (at character ${start}); browsers flatten such markup, and Tanba does not read it`, {
            details: { limit: HTML_MAX_DEPTH, offset: start },
          })
        }
      },
      ontext(data) {
        const notice = notices[notices.length - 1]?.notice
        if (notice && notice.text.length < MAX_NOTICE_TEXT) notice.text += data
        if (scan.contentStart === undefined) {
          // A byte-order mark at the very start is no content either.
          if (!WHITE_SPACE.test(parser.startIndex === 0 && data.charCodeAt(0) === 0xfeff ? data.slice(1) : data)) {
            if (inHead === 0 && inHeadLevel === 0) scan.contentStart = parser.startIndex
          } else {
            const parent = stack[stack.length - 1]?.name
            if (parent === undefined || parent === 'html' || parent === 'head') scan.headSpace.push({ start: parser.startIndex, end: parser.endIndex + 1 })
          }
        }
      },
      onclosetag(name, implied) {
        const element = stack.pop()
        if (!element) return
        if (element.name === 'head') inHead--
        if (HEAD_ELEMENTS.has(element.name) && element.name !== 'html') inHeadLevel--
        const explicit = !implied && element.name === name
        const end = explicit ? parser.endIndex + 1 : name === 'meta' ? element.openEnd : parser.startIndex
        if (name === 'head' && explicit) scan.headCloseEnd = end
        else if (name === 'body' && explicit) scan.bodyCloseStart = parser.startIndex
        else if (name === 'html' && explicit) scan.htmlCloseStart = parser.startIndex
        if (element.type === TANBA_SCRIPT_TYPE || element.type === C2PA_SCRIPT_TYPE) {
          const closeStart = explicit ? parser.startIndex : source.length
          scan.scripts.push({ start: element.start, end: explicit ? end : source.length, attrs: element.attrs ?? [], type: element.type, text: source.slice(element.openEnd, closeStart) })
        }
        if (element.notice) {
          notices.pop()
          const parent = notices[notices.length - 1]?.notice
          if (parent) {
            if (parent.text.length < MAX_NOTICE_TEXT) parent.text += element.notice.text
            for (const l of element.notice.langs) parent.langs.add(l)
          }
          scan.notices.push({ start: element.start, end, closed: explicit, text: element.notice.text.replace(/\s+/g, ' ').trim(), langs: [...element.notice.langs] })
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  )
  parser.end(source)
  scan.notices.sort((a, b) => a.start - b.start)
  scan.scripts.sort((a, b) => a.start - b.start)
  return scan
}

/**
 * Version 1 essence: without <meta> elements, Tanba and C2PA script/link elements, and the white
 * space between head-level elements before the body. Kept to verify older labels only.
 */
export function htmlEssenceV1(source: string): string {
  const scan = scanHtml(source)
  const ranges: Range[] = [...scan.metas, ...scan.scripts, ...scan.c2paLinks, ...scan.headSpace].sort((a, b) => a.start - b.start)
  return essenceText(removeRanges(source, disjoint(ranges)))
}

export async function digestHtmlV1(source: string): Promise<string> {
  return digestEssenceText(htmlEssenceV1(source))
}

/**
 * Tanba's own carrier elements, exactly as the stamper writes them: `<meta>` with only `name`
 * (ai-disclosure or AIGC) and `content`, `<script>` with only `type` (Tanba's label type). Any
 * other attribute (http-equiv, charset, style, src, …) makes the element part of the essence.
 */
export function ownCarrierRanges(source: string, scan: HtmlScan): Range[] {
  const metas = scan.metas.filter((m) => (m.name === 'ai-disclosure' || m.name === 'aigc') && m.attrs.every((a) => a === 'name' || a === 'content'))
  const scripts = scan.scripts.filter((s) => s.type === TANBA_SCRIPT_TYPE && s.attrs.length === 1 && s.attrs[0] === 'type')
  // Before the content, one line break after each is left out too, so a tool that deletes a
  // carrier with its line keeps the label valid (white space there is never rendered).
  const head = scan.bodyOpenEnd ?? scan.contentStart ?? Infinity
  return disjoint(
    [...metas, ...scripts]
      .map((r) => (r.end <= head ? { start: r.start, end: r.end + lineBreakAt(source, r.end) } : { start: r.start, end: r.end }))
      .sort((a, b) => a.start - b.start),
  )
}

function lineBreakAt(source: string, at: number): number {
  return source.charCodeAt(at) === 0x0a ? 1 : source.charCodeAt(at) === 0x0d && source.charCodeAt(at + 1) === 0x0a ? 2 : 0
}

/**
 * Version 2: the source without Tanba's own carrier elements and its trailing zone (line breaks
 * and selector runs at the very end), CR LF as LF; BOM, doctype, comments, every other element,
 * attribute and character bound exactly (no NFC).
 */
export function digestHtml(source: string, bytes?: Uint8Array, scan: HtmlScan = scanHtml(source)): string {
  const spans = complementSpans(0, trailingZoneStart(source), ownCarrierRanges(source, scan))
  return digestSpans(source, spans, false, bytes)
}

/**
 * A charset other than UTF-8 that the page declares (`<meta charset>` or an http-equiv
 * content-type), when no BOM overrides it: a browser would then show other characters than the
 * UTF-8 text Tanba binds, notice included.
 */
export function foreignCharset(source: string, scan: HtmlScan): string | undefined {
  if (source.charCodeAt(0) === 0xfeff) return undefined
  for (const m of scan.metas) {
    const declared = m.charset ?? (m.httpEquiv === 'content-type' ? /charset\s*=\s*["']?\s*([^\s"';]+)/i.exec(m.content ?? '')?.[1] : undefined)
    if (declared !== undefined && !/^\s*utf-?8\s*$/i.test(declared)) return declared.trim()
  }
  return undefined
}

function disjoint(ranges: Range[]): Range[] {
  const out: Range[] = []
  for (const r of ranges) {
    const last = out[out.length - 1]
    if (last && r.start < last.end) last.end = Math.max(last.end, r.end)
    else out.push({ start: r.start, end: r.end })
  }
  return out
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** JSON safe inside <script>: no "<" (so no "</script" or "<!--"), no "&" or ">". */
function scriptJson(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
}

function noticeElement(ctx: StampContext, where: 'start' | 'end'): string {
  const spans = ctx.notice!.lines.map((l) => `<span lang="${escapeHtml(l.lang)}">${escapeHtml(l.text)}</span>`).join(' / ')
  return `<p class="${NOTICE_CLASS}" data-tanba-notice="${where}" role="note">[AI] ${spans}</p>`
}

function carrierElements(label: Label | null): string {
  const meta = label ? toHtmlMetaValue(label) : ''
  const tc = label ? tc260Json(toTc260(label)) : ''
  const json = label ? scriptJson(serializeLabel(label)) : ''
  return `<meta name="ai-disclosure" content="${escapeHtml(meta)}">\n<meta name="AIGC" content="${escapeHtml(tc)}">\n<script type="${TANBA_SCRIPT_TYPE}">${json}</script>`
}

interface Edit {
  at: number
  text: string
}

/** Inserts texts; edits at the same place keep their order (the sort is stable). */
function applyEdits(source: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.at - b.at)
  const parts: string[] = []
  let at = 0
  for (const e of sorted) {
    parts.push(source.slice(at, e.at), e.text)
    at = e.at
  }
  parts.push(source.slice(at))
  return parts.join('')
}

/** Widens a range over one adjacent line break, so restamping does not pile up blank lines. */
function withLineBreak(source: string, r: Range): Range {
  if (source[r.end] === '\n') return { start: r.start, end: r.end + 1 }
  if (source[r.start - 1] === '\n') return { start: r.start - 1, end: r.end }
  return r
}

export async function stampHtml(_input: Uint8Array, original: string, ctx: StampContext, first: HtmlScan = scanHtml(original)): Promise<StampResult> {
  const bom = original.charCodeAt(0) === 0xfeff ? '\uFEFF' : ''
  const charset = foreignCharset(original, first)
  if (charset) {
    throw new MalformedInputError(`Expected a UTF-8 page but it declares charset ${JSON.stringify(charset)}: browsers would decode its bytes (and the notice) differently. Change the <meta charset> to utf-8 first`)
  }
  // Old Tanba carriers are replaced: both metas (one implicit label per file), Tanba scripts, closed notices.
  const old = [
    ...first.metas.filter((m) => m.name === 'ai-disclosure' || m.name === 'aigc'),
    ...first.scripts.filter((s) => s.type === TANBA_SCRIPT_TYPE),
    ...first.notices.filter((n) => n.closed),
  ]
    .map((r) => withLineBreak(original, r))
    .concat(findWrappers(original, ctx.limits).filter((w) => w.kind === 'tanba'))
  const source = old.length ? removeRanges(original, disjoint(old.sort((a, b) => a.start - b.start))) : original
  const scan = old.length ? scanHtml(source) : first
  const options = textOptions(ctx.adapterOptions)

  const edits: Edit[] = []
  // After <meta charset> when there is one: it must stay within the first 1024 bytes.
  const charsetMeta = scan.document ? scan.metas.find((m) => m.charset !== undefined && m.end <= (scan.contentStart ?? Infinity)) : undefined
  const carrierAt = charsetMeta?.end ?? scan.headOpenEnd ?? scan.htmlOpenEnd ?? scan.doctypeEnd ?? bom.length
  let record: Label['notice']
  if (ctx.notice && ctx.notice.lines.length) {
    const placement = noticePlacement(ctx.notice)
    record = noticeRecord(ctx.notice, ctx.origin, placement)
    if (placement.start) {
      if (scan.bodyOpenEnd !== undefined) edits.push({ at: scan.bodyOpenEnd, text: `\n${noticeElement(ctx, 'start')}` })
      else if (scan.document) edits.push({ at: scan.contentStart ?? scan.htmlCloseStart ?? source.length, text: `${noticeElement(ctx, 'start')}\n` })
      else edits.push({ at: carrierAt, text: `${noticeElement(ctx, 'start')}\n` })
    }
    if (placement.end) {
      const at = scan.bodyCloseStart ?? scan.htmlCloseStart ?? source.length
      const before = at === source.length && !source.endsWith('\n') ? '\n' : ''
      edits.push({ at, text: `${before}${noticeElement(ctx, 'end')}\n` })
    }
  }
  const carriers = (label: Label | null): Edit => ({ at: carrierAt, text: scan.document ? `\n${carrierElements(label)}` : `${carrierElements(label)}\n` })
  // The carriers are removed from the essence whole, so the digest of the page with empty
  // carriers equals the digest of the page with the real ones.
  const skeleton = applyEdits(source, [carriers(null), ...edits])
  throwIfAborted(ctx.signal)
  const digest = digestHtml(skeleton)
  const { full, compact } = await signText(ctx, HTML_BINDING, digest, record)
  const page = applyEdits(source, [carriers(full), ...edits])
  const withWrapper = options.wrapper === true
  return {
    bytes: utf8(withWrapper ? page + labelWrapper(compact) : page),
    label: full,
    carriers: ['html:meta:ai-disclosure', 'html:meta:AIGC', 'html:script', ...(withWrapper ? ['text:wrapper'] : [])],
    messages: scan.document ? [] : [TEXT_RULES.message('html.fragment', 'Stamped as an HTML fragment: the meta elements sit at its start; move them into the page head when it is assembled')],
  }
}

export async function extractHtml(source: string, options: ExtractOptions, scan: HtmlScan = scanHtml(source)): Promise<Extraction> {
  const markers: Marker[] = []
  const messages: ReportMessage[] = []
  const labels: FoundLabel[] = []
  const tanbaScripts = scan.scripts.filter((s) => s.type === TANBA_SCRIPT_TYPE)
  tanbaScripts.slice(0, 16).forEach((s, i) => {
    const carrier = i === 0 ? 'html:script' : `html:script#${i + 1}`
    const text = s.text.trim()
    if (text.length > options.limits.maxMetadataBytes) {
      labels.push({ carrier, error: new TooLargeError(`The label script holds ${text.length} characters; the limit is ${options.limits.maxMetadataBytes} (limits.maxMetadataBytes)`) })
    } else {
      try {
        labels.push({ carrier, label: parseLabel(text) })
      } catch (error) {
        labels.push({ carrier, error: error instanceof InvalidLabelError ? error : new InvalidLabelError('The label script does not hold a label', { cause: error }) })
      }
    }
    markers.push({ standard: 'tanba', carrier, aiMarked: true, valid: labels[labels.length - 1]!.error ? false : null, detail: `<script type="${TANBA_SCRIPT_TYPE}">` })
  })
  // A wrapper appended to the page (adapterOptions.text.wrapper) is a copy of the same label.
  const wrapperFindings = readWrappers(findWrappers(source, options.limits), options.limits)
  labels.push(...wrapperFindings.labels)
  markers.push(...wrapperFindings.markers)
  messages.push(...wrapperFindings.messages)
  shareCertificates(labels)
  messages.push(...legacyBindingMessages(labels, LEGACY_BINDINGS))
  const charset = foreignCharset(source, scan)
  if (charset && labels.length) {
    messages.push(TEXT_RULES.message('html.charset-not-utf8', `The page declares charset ${JSON.stringify(charset)}, so a browser shows other characters than the UTF-8 text the label is bound to`))
  }
  const decoded = labels.flatMap((f) => (f.label ? [f.label] : []))

  for (const meta of scan.metas) {
    if (meta.name === 'ai-disclosure') {
      const value = (meta.content ?? '').trim().toLowerCase()
      markers.push({ standard: 'ai-disclosure', carrier: 'html:meta:ai-disclosure', aiMarked: AI_DISCLOSURE_VALUES.includes(value), valid: null, value, detail: `<meta name="ai-disclosure" content="${value}">` })
      const expected = decoded[0] ? toHtmlMetaValue(decoded[0]) : undefined
      if (expected && value !== expected) {
        messages.push(CORE_RULES.message('carriers.disagree', `The ai-disclosure meta says "${value}"; the label implies "${expected}"`, { carrier: 'html:meta:ai-disclosure' }))
      }
    } else if (meta.name === 'aigc') {
      const tc = meta.content ? parseTc260(meta.content) : null
      if (tc) markers.push({ standard: 'tc260', carrier: 'html:meta:AIGC', aiMarked: tc260IsAi(tc), valid: null, value: tc, detail: `TC260 implicit label, Label ${tc.Label}` })
      else {
        markers.push({ standard: 'tc260', carrier: 'html:meta:AIGC', aiMarked: false, valid: false, value: meta.content })
        messages.push(CORE_RULES.message('tc260.unreadable', 'The AIGC meta element does not hold a TC260 JSON object', { carrier: 'html:meta:AIGC' }))
      }
    }
  }
  for (const s of scan.scripts.filter((x) => x.type === C2PA_SCRIPT_TYPE)) {
    markers.push({ standard: 'c2pa', carrier: 'html:c2pa-script', aiMarked: false, valid: null, value: { characters: s.text.length }, detail: 'embedded C2PA manifest (not validated)' })
  }
  for (const _ of scan.c2paLinks) markers.push({ standard: 'c2pa', carrier: 'html:c2pa-link', aiMarked: false, valid: null, detail: 'linked C2PA manifest (not fetched)' })
  for (const n of scan.notices.slice(0, 32)) {
    const placement = n.start <= (scan.bodyOpenEnd ?? 0) + 1 || n.start < (scan.contentStart ?? Infinity) ? 'start' : 'end'
    const langs = [...new Set([...n.langs.map((l) => l.toLowerCase().split(/[-_]/)[0]!), ...noticeLanguages(n.text, decoded)])]
    markers.push({ standard: 'notice', carrier: `html:notice:${placement}`, aiMarked: true, valid: null, value: { text: n.text, langs, placement }, detail: `<p class="${NOTICE_CLASS}">` })
  }
  return {
    markers,
    labels,
    messages,
    fields: {
      encoding: 'utf-8',
      html: scan.document ? 'document' : 'fragment',
      metas: scan.metas.filter((m) => m.name).map((m) => ({ name: m.name, content: m.content })),
      notices: scan.notices.map((n) => n.text),
    },
  }
}

/** Decodes UTF-8 HTML; when it is not UTF-8, names the charset the page declares. */
export function decodeHtml(input: Uint8Array, options: Pick<ExtractOptions, 'limits'>): string {
  try {
    return decodeUtf8(input, options.limits, 'HTML')
  } catch (error) {
    if (error instanceof MalformedInputError) {
      const head = Array.from(input.subarray(0, 4096), (b) => String.fromCharCode(b)).join('')
      const charset = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1]
      if (charset && !/^utf-?8$/i.test(charset)) {
        throw new MalformedInputError(`${error.message}. The page declares charset ${charset}; only UTF-8 HTML is supported, so convert it first`, { cause: error, details: error.details })
      }
    }
    throw error
  }
}
