/**
 * The visible notice in text: one line that starts with the tag "[AI] " and holds the notice
 * in each language, joined by " / ". At the start it is followed by a blank line; at the end
 * it is preceded by one. A verifier finds it again by that tag (docs/text.md, "Visible notice").
 */
import { NOTICE_TEXTS, SHORT_NOTICE_TEXTS, noticeLanguageKey, noticeText, type Label, type LabelNotice, type Origin, type ResolvedNotice } from '@tanba/core'

export const NOTICE_TAG = '[AI]'
const TAG_PREFIX = `${NOTICE_TAG} `
/** How far from each end built-in notice texts without the tag are looked for. */
const BUILTIN_WINDOW = 2048
/** A tagged line longer than this is prose, not a notice. */
const MAX_NOTICE_LINE = 4096
/** At most this many notices are reported. */
const MAX_NOTICES = 32

export interface NoticePlacement {
  start: boolean
  end: boolean
}

/** Maps the caller's placement to the two places text has: start (default) and/or end. */
export function noticePlacement(notice: ResolvedNotice): NoticePlacement {
  const p = notice.placement
  const end = p === 'end' || p === 'bottom' || p === 'bottom-left' || p === 'bottom-right' || p === 'both'
  const start = !end || p === 'both'
  return { start, end }
}

export function placementName(p: NoticePlacement): string {
  return p.start && p.end ? 'both' : p.end ? 'end' : 'start'
}

/** The notice line, without line breaks. Line breaks inside notice texts become spaces. */
export function noticeLine(notice: ResolvedNotice): string {
  return `${TAG_PREFIX}${notice.lines.map((l) => l.text.replace(/[\r\n]+/g, ' ').trim()).join(' / ')}`
}

/**
 * The record of the applied notice for the label: `text` only when it is not the built-in
 * wording, `placement` only when it is not "start" (the default), to keep the compact label small.
 */
export function noticeRecord(notice: ResolvedNotice, origin: Origin, placement: NoticePlacement): LabelNotice {
  const custom = notice.lines.some((l) => noticeText(l.lang, origin) !== l.text)
  const where = placementName(placement)
  return {
    method: 'text',
    langs: notice.lines.map((l) => l.lang),
    ...(where === 'start' ? {} : { placement: where }),
    ...(custom ? { text: notice.lines.map((l) => l.text).join(' / ') } : {}),
  }
}

/** The block put before the text (notice line + blank line). */
export function startBlock(line: string): string {
  return `${line}\n\n`
}

/** The block put after the text: a blank line, the notice line, a final line break. */
export function endBlock(line: string, textBefore: string): string {
  const lastChar = textBefore.charCodeAt(textBefore.length - 1)
  const sep = textBefore.length === 0 ? '' : lastChar === 0x0a ? '\n' : '\n\n'
  return `${sep}${line}\n`
}

/** Removes Tanba notice blocks from the start and the end of `body` (when restamping). */
export function removeNoticeBlocks(body: string): string {
  let out = body.replace(/^\[AI\] [^\n]*(?:\r?\n){0,2}/, '')
  const trimmed = out.endsWith('\n') ? out.slice(0, -1) : out
  const lineStart = trimmed.lastIndexOf('\n') + 1
  if (trimmed.startsWith(TAG_PREFIX, lineStart)) {
    let rest = trimmed.slice(0, lineStart)
    if (rest.endsWith('\r\n\r\n')) rest = rest.slice(0, -2)
    else if (rest.endsWith('\n\n')) rest = rest.slice(0, -1)
    out = rest
  }
  return out
}

export interface FoundNotice {
  text: string
  langs: string[]
  placement: 'start' | 'end' | 'middle'
  /** "tag" for the documented "[AI] " form, "builtin" for a built-in wording without the tag. */
  form: 'tag' | 'builtin'
  /** Index of the notice in the searched text. */
  index: number
}

interface Wording {
  lang: string
  text: string
  /** A short form ("ЖИ жасаған", "人工智能生成"): too common in prose to count as a notice without the tag. */
  short: boolean
}

let wordings: Wording[] | undefined
function builtinWordings(): Wording[] {
  if (!wordings) {
    wordings = []
    for (const table of [NOTICE_TEXTS, SHORT_NOTICE_TEXTS]) {
      const short = table === SHORT_NOTICE_TEXTS
      for (const [lang, pair] of Object.entries(table)) for (const text of Object.values(pair)) wordings.push({ lang, text, short })
    }
    // Longest first, so a long wording is not reported as its short form.
    wordings.sort((a, b) => b.text.length - a.text.length)
  }
  return wordings
}

/** Languages of the built-in wordings a notice text contains (in order of appearance), plus the label's when it declares this text. */
export function noticeLanguages(text: string, labels: readonly Label[] = []): string[] {
  const hits: Array<[number, string]> = []
  for (const w of builtinWordings()) {
    const at = text.indexOf(w.text)
    if (at >= 0) hits.push([at, w.lang])
  }
  for (const label of labels) {
    const n = label.notice
    const at = n?.text ? text.indexOf(n.text) : -1
    if (at >= 0) n!.langs.forEach((l, i) => hits.push([at + i / 100, noticeLanguageKey(l)]))
  }
  hits.sort((a, b) => a[0] - b[0])
  return [...new Set(hits.map(([, lang]) => lang))]
}

/**
 * Finds notices in `text` (an essence-like text without carriers): every line that starts
 * with "[AI] ", and built-in wordings without the tag near either end.
 */
export function findNotices(text: string, labels: readonly Label[] = []): FoundNotice[] {
  const found: FoundNotice[] = []
  const trimmedEnd = text.trimEnd().length
  const leading = text.length - text.trimStart().length
  for (let i = text.indexOf(TAG_PREFIX); i >= 0 && found.length < MAX_NOTICES; i = text.indexOf(TAG_PREFIX, i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) !== 0x0a && !(i === 1 && text.charCodeAt(0) === 0xfeff)) continue
    const nl = text.indexOf('\n', i)
    const lineEnd = nl < 0 ? text.length : nl
    if (lineEnd - i > MAX_NOTICE_LINE) continue
    const line = text.slice(i, lineEnd).replace(/\r$/, '')
    const body = line.slice(TAG_PREFIX.length).trim()
    if (!body) continue
    const placement = i <= leading ? 'start' : lineEnd >= trimmedEnd ? 'end' : 'middle'
    found.push({ text: line, langs: noticeLanguages(body, labels), placement, form: 'tag', index: i })
  }
  const covered = (index: number) => found.some((f) => index >= f.index && index < f.index + f.text.length)
  const windows: Array<[number, number]> = text.length <= 2 * BUILTIN_WINDOW ? [[0, text.length]] : [[0, BUILTIN_WINDOW], [text.length - BUILTIN_WINDOW, text.length]]
  for (const [from, to] of windows) {
    const slice = text.slice(from, to)
    for (const w of builtinWordings()) {
      if (found.length >= MAX_NOTICES) break
      if (w.short) continue
      const at = slice.indexOf(w.text)
      if (at < 0 || covered(from + at)) continue
      const index = from + at
      const placement = index <= leading ? 'start' : index + w.text.length >= trimmedEnd ? 'end' : 'middle'
      found.push({ text: w.text, langs: [w.lang], placement, form: 'builtin', index })
    }
  }
  return found
}
