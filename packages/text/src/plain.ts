/** Plain text: notice line + text + invisible wrapper. Markdown reuses the body handling. */
import { C2PA_RULES, createSha256, resultFromParts, throwIfAborted, type Extraction, type ExtractOptions, type IncrementalSha256, type Label, type LabelNotice, type Marker, type ReportMessage, type StampContext, type StampResult } from '@tanba/core'
import { labelWrapper, legacyBindingMessages, readWrappers, shareCertificates, signText } from './carriers.js'
import { LEGACY_BINDINGS, TEXT_BINDING, bomAt, digestText, hashSpans, trailingZoneStart } from './essence.js'
import { endBlock, findNotices, noticeLine, noticePlacement, noticeRecord, removeNoticeBlocks, startBlock } from './notice.js'
import { utf8, utf8Length } from './utf8.js'
import { spliceParts, splicingHash, type ElidedText } from './window.js'
import { findSelectorRuns, findWrappers, isSelectorAt, type SelectorRun, type TextWrapper } from './wrapper.js'
import { TEXT_RULES } from './rules.js'

/** A text body ready for a new stamp: old Tanba carriers and notice blocks taken out. */
export interface PreparedBody {
  /** A byte-order mark to keep in front. */
  bom: string
  /** The text between the BOM and any trailing foreign wrappers, without old Tanba notices. */
  content: string
  /** Foreign wrappers (C2PA, unknown) that ended the text; they stay at the end. */
  tail: string
  wrappers: TextWrapper[]
  /** True when `content + tail` is exactly the input after the BOM (nothing was taken out). */
  pristine: boolean
}

/** Removes Tanba wrappers (they are replaced), keeps foreign ones, separates BOM and trailing runs. */
export function prepareBody(text: string, ctx: StampContext, allowBom = true): PreparedBody {
  const wrappers = findWrappers(text, ctx.limits)
  const own = wrappers.filter((w) => w.kind === 'tanba')
  let body = removeRanges(text, own)
  const bom = allowBom && body.charCodeAt(0) === 0xfeff && !isSelectorAt(body, 1) ? '\uFEFF' : ''
  body = body.slice(bom.length)
  // The runs left in `body` (its own coordinates): found again only when Tanba's were cut out.
  const runs = own.length ? findSelectorRuns(body, ctx.limits) : wrappers.map((w) => ({ start: w.start - bom.length, end: w.end - bom.length }))
  let tailStart = body.length
  for (let i = runs.length - 1; i >= 0 && runs[i]!.end === tailStart; i--) tailStart = runs[i]!.start
  const raw = body.slice(0, tailStart)
  const content = removeNoticeBlocks(raw)
  return { bom, content, tail: body.slice(tailStart), wrappers, pristine: own.length === 0 && content.length === raw.length }
}

/** The notice blocks the context asks for, around a content, and the label's notice record. */
export function noticeBlocks(content: string, ctx: StampContext): { before: string; after: string; record?: LabelNotice } {
  if (!ctx.notice || ctx.notice.lines.length === 0) return { before: '', after: '' }
  const placement = noticePlacement(ctx.notice)
  const line = noticeLine(ctx.notice)
  const before = placement.start ? startBlock(line) : ''
  const after = placement.end ? endBlock(line, before + content) : ''
  return { before, after, record: noticeRecord(ctx.notice, ctx.origin, placement) }
}

/** Adds the notice blocks the context asks for; returns the text and the label's notice record. */
export function addNotice(content: string, ctx: StampContext): { text: string; record?: LabelNotice } {
  const { before, after, record } = noticeBlocks(content, ctx)
  return { text: before + content + after, ...(record ? { record } : {}) }
}

/**
 * The UTF-8 of bom + before + content + after + tail, as parts. When the body is pristine, the
 * input's own bytes are reused (views, no copy) instead of encoding the text again.
 */
export function bodyParts(input: Uint8Array, body: PreparedBody, before: string, after: string): Uint8Array[] {
  if (!body.pristine) return [utf8(body.bom + before + body.content + after + body.tail)]
  const start = body.bom ? 3 : 0
  const tailBytes = utf8Length(body.tail)
  return [utf8(body.bom + before), input.subarray(start, input.length - tailBytes), utf8(after), input.subarray(input.length - tailBytes)]
}

/** Notes for the stamp result about carriers found in the input. */
export function inputNotes(wrappers: readonly TextWrapper[]): ReportMessage[] {
  const notes: ReportMessage[] = []
  if (wrappers.some((w) => w.kind === 'c2pa')) {
    notes.push(C2PA_RULES.message('c2pa.binding-broken', 'The input carries a C2PA text manifest; it is kept, but adding the notice changes the text, so that manifest no longer matches it', { carrier: 'text:c2pa-wrapper' }))
  }
  if (wrappers.some((w) => w.kind === 'tanba')) {
    notes.push(TEXT_RULES.message('text.label-replaced', 'The input already carried a Tanba label; it was replaced', { carrier: 'text:wrapper' }))
  }
  return notes
}

/**
 * Stamps a plain text. With `elided`, `input` and `text` are the elided form (window.ts): the
 * hash and the output take the middle's bytes where the placeholder stands.
 */
export async function stampPlain(input: Uint8Array, text: string, ctx: StampContext, elided?: ElidedText): Promise<StampResult> {
  const body = prepareBody(text, ctx)
  const { before, after, record } = noticeBlocks(body.content, ctx)
  const parts = bodyParts(input, body, before, after)
  throwIfAborted(ctx.signal)
  // The essence is the content between the notice blocks' text and the trailing zone: hashed from
  // the parts (the input's own bytes when pristine), never from a joined copy.
  const digest = digestBody(body, before, after, parts.length > 1 ? parts[1] : undefined, elided ? splicingHash(elided) : undefined)
  const { compact } = await signText(ctx, TEXT_BINDING, digest, record)
  const out = [...parts, utf8(labelWrapper(compact))]
  return resultFromParts(elided ? spliceParts(out, elided) : out, {
    label: compact,
    carriers: ['text:wrapper'],
    messages: inputNotes(body.wrappers),
  })
}

/**
 * The plain-text v2 digest of bom + before + content + after + tail without joining them (a join
 * of a large text is a copy): the BOM is left out, the trailing zone lies in `after` + `tail` or,
 * without an end notice, in the content's end + `tail` (the tail is foreign trailing runs only).
 * NFC and CR LF cannot join across the seams, which are line breaks, except a content ending in CR.
 */
export function digestBody(body: PreparedBody, before: string, after: string, contentBytes?: Uint8Array, fresh?: IncrementalSha256): string {
  const { content } = body
  if (content.endsWith('\r') || (before === '' && body.bom === '' && bomAt(content))) {
    return digestText(body.bom + before + content + after + body.tail, undefined, fresh)
  }
  const hash = fresh ?? createSha256()
  const contentEnd = after ? content.length : trailingZoneStart(content)
  // Nothing but zone after the start notice: its blank line is part of the trailing zone too.
  hashSpans(hash, before, [{ start: 0, end: contentEnd === 0 && !after ? trailingZoneStart(before) : before.length }], true)
  hashSpans(hash, content, [{ start: 0, end: contentEnd }], true, contentEnd === content.length ? contentBytes : undefined)
  if (after) hashSpans(hash, after, [{ start: 0, end: trailingZoneStart(after) }], true)
  return hash.digestBase64Url()
}

/** Markers and fields for the visible notices of a text body. */
export function noticeMarkers(essence: string, labels: readonly Label[], carrierPrefix = 'text:notice'): Marker[] {
  return findNotices(essence, labels).map((n) => ({
    standard: 'notice',
    carrier: `${carrierPrefix}:${n.placement}`,
    aiMarked: true,
    valid: null,
    value: { text: n.text, langs: n.langs, placement: n.placement, form: n.form },
    detail: n.form === 'tag' ? `visible notice at the ${n.placement}` : `built-in notice wording at the ${n.placement} (without the "[AI]" tag)`,
  }))
}

/** Extraction of a text body: wrappers, notices, fields. */
export function extractBody(text: string, options: ExtractOptions, extraLabels: Extraction['labels'] = []): Extraction {
  const wrappers = findWrappers(text, options.limits)
  const findings = readWrappers(wrappers, options.limits)
  const labels = [...extraLabels, ...findings.labels]
  shareCertificates(labels)
  const decoded = labels.flatMap((f) => (f.label ? [f.label] : []))
  // Notices are looked for in the text without its BOM and trailing zone: a slice, not a copy.
  const essence = text.slice(bomAt(text) ? 1 : 0, trailingZoneStart(text))
  return {
    markers: [...findings.markers, ...noticeMarkers(essence, decoded)],
    labels,
    messages: [...findings.messages, ...legacyBindingMessages(labels, LEGACY_BINDINGS)],
    fields: {
      encoding: 'utf-8',
      byteOrderMark: text.charCodeAt(0) === 0xfeff && !isSelectorAt(text, 1),
      characters: text.length,
      wrappers: wrappers.map((w) => ({ kind: w.kind, offset: w.start, bytes: w.bytes.length, ...(w.problem ? { problem: w.problem } : {}) })),
    },
  }
}

export async function extractPlain(text: string, options: ExtractOptions): Promise<Extraction> {
  return extractBody(text, options)
}

/** Removes [start, end) ranges (sorted, not overlapping) from `text`. */
export function removeRanges(text: string, ranges: ReadonlyArray<{ start: number; end: number }>): string {
  if (ranges.length === 0) return text
  const parts: string[] = []
  let at = 0
  for (const r of ranges) {
    parts.push(text.slice(at, r.start))
    at = r.end
  }
  parts.push(text.slice(at))
  return parts.join('')
}

export type { SelectorRun }
