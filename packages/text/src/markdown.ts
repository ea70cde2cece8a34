/**
 * Markdown: the plain-text carriers on the body, plus YAML front matter keys `AIGC` (the TC260
 * object, GB 45438-2025) and `tanba` (the full label as canonical JSON text). Existing front
 * matter is merged: other keys and comments are kept.
 */
import { assertLabel, CORE_RULES, createSha256, InvalidLabelError, MalformedInputError, parseLabel, parseTc260, resultFromParts, serializeLabel, tc260IsAi, throwIfAborted, TooLargeError, toTc260, type Extraction, type ExtractOptions, type FoundLabel, type Limits, type Marker, type ReportMessage, type StampContext, type StampResult, type Tc260Label } from '@tanba/core'
import { Document, Scalar, YAMLMap, isMap, isNode, isScalar, parseDocument } from 'yaml'
import { labelWrapper, signText, textOptions } from './carriers.js'
import { MARKDOWN_BINDING, bomAt, complementSpans, contentSpan, digestTextV1, hashSpans, normalisePiece, trailingZoneStart, type Span } from './essence.js'
import { addNotice, extractBody, inputNotes, prepareBody } from './plain.js'
import { FRONT_MATTER_LABEL_KEY, FRONT_MATTER_TC260_KEY, findFrontMatter } from './frontmatter.js'
import { utf8, utf8Length } from './utf8.js'
import { findSelectorRuns } from './wrapper.js'
import { checkYamlDepth } from './yaml-depth.js'
import { TEXT_RULES } from './rules.js'

function parseYaml(yamlText: string, limits: Pick<Limits, 'maxMetadataBytes' | 'maxDepth'>): Document.Parsed {
  const limit = limits.maxMetadataBytes
  if (yamlText.length > limit) {
    throw new TooLargeError(`The front matter is ${yamlText.length} characters; the limit is ${limit} (limits.maxMetadataBytes)`)
  }
  // The parser recurses per level: refuse deep nesting before it can exhaust the stack.
  checkYamlDepth(yamlText, limits.maxDepth)
  return parseDocument(yamlText, { prettyErrors: false, uniqueKeys: false })
}

export async function stampMarkdown(_input: Uint8Array, text: string, ctx: StampContext): Promise<StampResult> {
  const fm = findFrontMatter(text)
  let doc: Document
  let eol: '\n' | '\r\n' = text.includes('\r\n') ? '\r\n' : '\n'
  if (fm) {
    eol = fm.eol
    const parsed = parseYaml(text.slice(fm.contentStart, fm.contentEnd), ctx.limits)
    if (parsed.errors.length) {
      throw new MalformedInputError(`Expected YAML in the front matter but it does not parse: ${parsed.errors[0]!.message}`, { cause: parsed.errors[0] })
    }
    if (parsed.contents !== null && !isMap(parsed.contents)) {
      throw new MalformedInputError(`Expected the front matter to be a YAML mapping (key: value lines) but found a ${isScalar(parsed.contents) ? 'single value' : 'list'}`)
    }
    doc = parsed
    if (doc.contents === null) doc.contents = new YAMLMap() as never
  } else {
    doc = new Document(new YAMLMap())
  }
  const bom = text.charCodeAt(0) === 0xfeff && (fm ? fm.start === 1 : true) ? '\uFEFF' : ''
  // Without front matter the BOM (if any) goes before the new front matter, not into the body.
  const body = prepareBody(text.slice(fm ? fm.end : bom.length), ctx, false)
  const { text: noticed, record } = addNotice(body.content, ctx)
  const newBody = noticed + body.tail
  const bodyBytes = utf8(newBody)
  // Tanba's own entries are whole lines of a block mapping, left out of the essence whatever they hold.
  if (isMap(doc.contents)) doc.contents.flow = false
  const head = (tc: unknown, labelText: string): string => {
    const tcNode = doc.createNode(tc, { flow: true }) as YAMLMap
    for (const item of tcNode.items) {
      ;(item.key as Scalar).type = Scalar.QUOTE_DOUBLE
      ;(item.value as Scalar).type = Scalar.QUOTE_DOUBLE
    }
    doc.set(FRONT_MATTER_TC260_KEY, tcNode)
    const labelNode = new Scalar(labelText)
    labelNode.type = Scalar.QUOTE_SINGLE
    doc.set(FRONT_MATTER_LABEL_KEY, labelNode)
    let yamlText = doc.toString({ lineWidth: 0 })
    if (eol === '\r\n') yamlText = yamlText.replace(/\r?\n/g, '\r\n')
    return `${bom}---${eol}${yamlText}---${eol}`
  }
  const skeleton = head({ Label: '' }, '')
  throwIfAborted(ctx.signal)
  const digest = digestMarkdownParts(skeleton, newBody, bodyBytes, ctx.limits)
  const { full, compact } = await signText(ctx, MARKDOWN_BINDING, digest, record)
  const labelled = head(toTc260(full), serializeLabel(full))
  if (headEssence(labelled, ctx.limits) !== headEssence(skeleton, ctx.limits)) {
    throw new MalformedInputError('The front matter could not be merged so that Tanba\'s entries stand on their own lines; rewrite it as a plain YAML block mapping (key: value lines)')
  }
  const withWrapper = textOptions(ctx.adapterOptions).wrapper !== false
  return resultFromParts([utf8(labelled), bodyBytes, ...(withWrapper ? [utf8(labelWrapper(compact))] : [])], {
    label: full,
    carriers: ['markdown:front-matter:AIGC', 'markdown:front-matter:tanba', ...(withWrapper ? ['text:wrapper'] : [])],
    messages: inputNotes(body.wrappers),
  })
}

export async function extractMarkdown(text: string, options: ExtractOptions): Promise<Extraction> {
  const fm = findFrontMatter(text)
  const markers: Marker[] = []
  const messages: ReportMessage[] = []
  const labels: FoundLabel[] = []
  const fields: Record<string, unknown> = {}
  if (fm) {
    const parsed = safeParse(text.slice(fm.contentStart, fm.contentEnd), options.limits)
    if ('error' in parsed) {
      messages.push(TEXT_RULES.message('markdown.front-matter-invalid', parsed.error, { carrier: 'markdown:front-matter' }))
    } else {
      const data = parsed.data
      fields.frontMatterKeys = Object.keys(data)
      if (FRONT_MATTER_TC260_KEY in data) markers.push(tc260Marker(data[FRONT_MATTER_TC260_KEY], messages))
      if (FRONT_MATTER_LABEL_KEY in data) labels.push(frontMatterLabel(data[FRONT_MATTER_LABEL_KEY]))
    }
  }
  const body = extractBody(text.slice(fm ? fm.end : 0), options, labels)
  if (labels.length) markers.unshift({ standard: 'tanba', carrier: 'markdown:front-matter:tanba', aiMarked: true, valid: labels[0]!.error ? false : null, detail: 'front matter key "tanba"' })
  return {
    markers: [...markers, ...body.markers],
    labels: body.labels,
    messages: [...messages, ...body.messages],
    fields: { ...body.fields, frontMatter: Boolean(fm), ...fields },
  }
}

function safeParse(yamlText: string, limits: Pick<Limits, 'maxMetadataBytes' | 'maxDepth'>): { data: Record<string, unknown> } | { error: string } {
  try {
    const doc = parseYaml(yamlText, limits)
    if (doc.errors.length) return { error: `The front matter is not valid YAML: ${doc.errors[0]!.message}` }
    const data: unknown = doc.toJS({ maxAliasCount: 100 })
    if (data === null || data === undefined) return { data: {} }
    if (typeof data !== 'object' || Array.isArray(data)) return { error: 'The front matter is not a YAML mapping' }
    return { data: data as Record<string, unknown> }
  } catch (error) {
    return { error: `The front matter could not be read: ${(error as Error).message}` }
  }
}

function tc260Marker(value: unknown, messages: ReportMessage[]): Marker {
  const carrier = 'markdown:front-matter:AIGC'
  const tc: Tc260Label | null = typeof value === 'string' || (value && typeof value === 'object') ? parseTc260(value as string) : null
  if (!tc) {
    messages.push(CORE_RULES.message('tc260.unreadable', 'The front matter key AIGC does not hold a TC260 object', { carrier }))
    return { standard: 'tc260', carrier, aiMarked: false, valid: false, value }
  }
  return { standard: 'tc260', carrier, aiMarked: tc260IsAi(tc), valid: null, value: tc, detail: `TC260 implicit label, Label ${tc.Label}` }
}

function frontMatterLabel(value: unknown): FoundLabel {
  const carrier = 'markdown:front-matter:tanba'
  try {
    if (typeof value === 'string') return { carrier, label: parseLabel(value) }
    assertLabel(value)
    return { carrier, label: value }
  } catch (error) {
    return { carrier, error: error instanceof InvalidLabelError ? error : new InvalidLabelError('The front matter key "tanba" does not hold a label', { cause: error }) }
  }
}

/** Version 1: the plain-text essence of the body after the front matter. */
export async function digestMarkdownV1(text: string, bytes: Uint8Array, limits: ExtractOptions['limits']): Promise<string> {
  const fm = findFrontMatter(text)
  const from = fm ? fm.end : 0
  const body = text.slice(from)
  return digestTextV1(body, bytes.subarray(utf8Length(text, 0, from)), findSelectorRuns(body, limits))
}

/**
 * Version 2: the whole text (front matter included: many renderers show it) without the lines
 * of Tanba's own front matter entries `AIGC` and `tanba`, then the plain-text rules without NFC.
 */
export function digestMarkdown(text: string, bytes: Uint8Array, limits: ExtractOptions['limits']): string {
  const fm = findFrontMatter(text)
  const end = fm ? fm.end : 0
  return digestMarkdownParts(text.slice(0, end), text.slice(end), bytes.subarray(utf8Length(text, 0, end)), limits)
}

/** The digest over `head` (BOM and front matter, small) and `body` (with its UTF-8 bytes, hashed in place). */
function digestMarkdownParts(head: string, body: string, bodyBytes: Uint8Array, limits: Pick<Limits, 'maxMetadataBytes' | 'maxDepth'>): string {
  const hash = createSha256()
  if (trailingZoneStart(body) > 0 || head.length === 0) {
    hash.update(headEssence(head, limits))
    const span = contentSpan(body, 0, head.length === 0)
    return hashSpans(hash, body, [span], false, bodyBytes).digestBase64Url()
  }
  // An empty body: the trailing zone reaches into the front matter's closing line break.
  return hash.update(headEssence(head.slice(0, trailingZoneStart(head)), limits)).digestBase64Url()
}

/** The essence of the BOM + front matter part: BOM and Tanba's entry lines left out, CR LF as LF. */
function headEssence(head: string, limits: Pick<Limits, 'maxMetadataBytes' | 'maxDepth'>): string {
  const fm = findFrontMatter(head)
  const from = bomAt(head) ? 1 : 0
  const spans = complementSpans(from, head.length, fm ? tanbaEntryLines(head, fm, limits) : [])
  return spans.map((r) => normalisePiece(head.slice(r.start, r.end), false)).join('')
}

/** The line ranges of the top-level block-mapping entries `AIGC` and `tanba` (empty when the YAML does not parse). */
function tanbaEntryLines(text: string, fm: NonNullable<ReturnType<typeof findFrontMatter>>, limits: Pick<Limits, 'maxMetadataBytes' | 'maxDepth'>): Span[] {
  let doc: Document.Parsed
  try {
    doc = parseYaml(text.slice(fm.contentStart, fm.contentEnd), limits)
  } catch {
    return []
  }
  if (doc.errors.length || !isMap(doc.contents) || doc.contents.flow) return []
  const items = doc.contents.items
  const out: Span[] = []
  items.forEach((item, i) => {
    const key = item.key
    if (!isScalar(key) || (key.value !== FRONT_MATTER_TC260_KEY && key.value !== FRONT_MATTER_LABEL_KEY) || !key.range) return
    const valueEnd = (isNode(item.value) && item.value.range ? item.value.range[1] : key.range[1]) + fm.contentStart
    const start = fm.contentStart + key.range[0]
    if (start !== fm.contentStart && text[start - 1] !== '\n') return
    const nl = text.indexOf('\n', Math.max(start, valueEnd - 1))
    const end = Math.min(nl < 0 ? fm.contentEnd : nl + 1, fm.contentEnd)
    const next = items[i + 1]?.key
    if (isNode(next) && next.range && fm.contentStart + next.range[0] < end) return
    out.push({ start, end })
  })
  return out
}
