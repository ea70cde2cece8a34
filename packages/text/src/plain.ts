/** Plain text: notice line + text + invisible wrapper. Markdown reuses the body handling. */
import {
  concatBytes,
  throwIfAborted,
  type ExtractOptions,
  type Extraction,
  type Label,
  type LabelNotice,
  type Marker,
  type ReportMessage,
  type StampContext,
  type StampResult,
} from '@tanba/core'
import { labelWrapper, readWrappers, shareCertificates, signText } from './carriers.js'
import { TEXT_BINDING, digestText, essenceText } from './essence.js'
import { endBlock, findNotices, noticeLine, noticePlacement, noticeRecord, removeNoticeBlocks, startBlock } from './notice.js'
import { decodeUtf8, utf8 } from './utf8.js'
import { findSelectorRuns, findWrappers, isSelectorAt, type SelectorRun, type TextWrapper } from './wrapper.js'

/** A text body ready for a new stamp: old Tanba carriers and notice blocks taken out. */
export interface PreparedBody {
  /** A byte-order mark to keep in front. */
  bom: string
  /** The text between the BOM and any trailing foreign wrappers, without old Tanba notices. */
  content: string
  /** Foreign wrappers (C2PA, unknown) that ended the text; they stay at the end. */
  tail: string
  wrappers: TextWrapper[]
}

/** Removes Tanba wrappers (they are replaced), keeps foreign ones, separates BOM and trailing runs. */
export function prepareBody(text: string, ctx: StampContext, allowBom = true): PreparedBody {
  const wrappers = findWrappers(text, ctx.limits)
  let body = removeRanges(text, wrappers.filter((w) => w.kind === 'tanba'))
  const bom = allowBom && body.charCodeAt(0) === 0xfeff && !isSelectorAt(body, 1) ? '\uFEFF' : ''
  body = body.slice(bom.length)
  const runs = findSelectorRuns(body, ctx.limits)
  let tailStart = body.length
  for (let i = runs.length - 1; i >= 0 && runs[i]!.end === tailStart; i--) tailStart = runs[i]!.start
  return { bom, content: removeNoticeBlocks(body.slice(0, tailStart)), tail: body.slice(tailStart), wrappers }
}

/** Adds the notice blocks the context asks for; returns the text and the label's notice record. */
export function addNotice(content: string, ctx: StampContext): { text: string; record?: LabelNotice } {
  if (!ctx.notice || ctx.notice.lines.length === 0) return { text: content }
  const placement = noticePlacement(ctx.notice)
  const line = noticeLine(ctx.notice)
  let text = placement.start ? startBlock(line) + content : content
  if (placement.end) text += endBlock(line, text)
  return { text, record: noticeRecord(ctx.notice, ctx.origin, placement) }
}

/** Notes for the stamp result about carriers found in the input. */
export function inputNotes(wrappers: readonly TextWrapper[]): ReportMessage[] {
  const notes: ReportMessage[] = []
  if (wrappers.some((w) => w.kind === 'c2pa')) {
    notes.push({
      rule: 'c2pa.binding-broken',
      carrier: 'text:c2pa-wrapper',
      fatal: false,
      reason: 'The input carries a C2PA text manifest; it is kept, but adding the notice changes the text, so that manifest no longer matches it',
    })
  }
  if (wrappers.some((w) => w.kind === 'tanba')) {
    notes.push({ rule: 'text.label-replaced', carrier: 'text:wrapper', fatal: false, reason: 'The input already carried a Tanba label; it was replaced' })
  }
  return notes
}

export async function stampPlain(input: Uint8Array, ctx: StampContext): Promise<StampResult> {
  const text = decodeUtf8(input, ctx.limits)
  const body = prepareBody(text, ctx)
  const { text: noticed, record } = addNotice(body.content, ctx)
  const skeleton = body.bom + noticed + body.tail
  const skeletonBytes = utf8(skeleton)
  throwIfAborted(ctx.signal)
  const digest = await digestText(skeleton, skeletonBytes, findSelectorRuns(skeleton, ctx.limits))
  const { compact } = await signText(ctx, TEXT_BINDING, digest, record)
  return {
    bytes: concatBytes(skeletonBytes, utf8(labelWrapper(compact))),
    label: compact,
    carriers: ['text:wrapper'],
    messages: inputNotes(body.wrappers),
  }
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
  const essence = essenceText(text)
  return {
    markers: [...findings.markers, ...noticeMarkers(essence, decoded)],
    labels,
    messages: findings.messages,
    fields: {
      encoding: 'utf-8',
      byteOrderMark: text.charCodeAt(0) === 0xfeff && !isSelectorAt(text, 1),
      characters: text.length,
      wrappers: wrappers.map((w) => ({ kind: w.kind, offset: w.start, bytes: w.bytes.length, ...(w.problem ? { problem: w.problem } : {}) })),
    },
  }
}

export async function extractPlain(input: Uint8Array, options: ExtractOptions): Promise<Extraction> {
  return extractBody(decodeUtf8(input, options.limits), options)
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
