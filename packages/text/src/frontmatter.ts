/** Where a Markdown text's YAML front matter is (no YAML parsing here, so this loads light). */

export const FRONT_MATTER_TC260_KEY = 'AIGC'
export const FRONT_MATTER_LABEL_KEY = 'tanba'

/** A YAML front matter block at the start of a Markdown text. */
export interface FrontMatter {
  /** Index of the opening `---` (1 after a byte-order mark). */
  start: number
  contentStart: number
  contentEnd: number
  /** Index just past the closing fence line. */
  end: number
  eol: '\n' | '\r\n'
}

/**
 * Finds the front matter: a first line `---` (after an optional BOM), and a later line `---`
 * or `...`; trailing spaces on fence lines are allowed. Purely syntactic, so stamper and
 * verifier always agree where the body starts.
 */
export function findFrontMatter(text: string): FrontMatter | null {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0
  if (!text.startsWith('---', start)) return null
  let p = start + 3
  while (text[p] === ' ' || text[p] === '\t') p++
  let eol: FrontMatter['eol']
  if (text[p] === '\n') eol = '\n'
  else if (text[p] === '\r' && text[p + 1] === '\n') eol = '\r\n'
  else return null
  const contentStart = p + eol.length
  for (let lineStart = contentStart; lineStart <= text.length; ) {
    const nl = text.indexOf('\n', lineStart)
    const lineEnd = nl < 0 ? text.length : nl
    if (lineEnd - lineStart <= 8) {
      const line = text.slice(lineStart, lineEnd).replace(/[ \t\r]+$/, '')
      if (line === '---' || line === '...') return { start, contentStart, contentEnd: lineStart, end: nl < 0 ? text.length : nl + 1, eol }
    }
    if (nl < 0) return null
    lineStart = nl + 1
  }
  return null
}
