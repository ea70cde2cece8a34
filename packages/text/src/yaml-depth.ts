import { TooLargeError } from '@tanba/core'

/**
 * Checks, in one linear pass and without parsing, that YAML nests at most `maxDepth` levels: block
 * indentation levels, compact nested sequences on one line ("- - - x") and flow collections
 * ("[[[", "{{{") all count. The yaml parser recurses per level, so front matter nested thousands deep
 * overflows the stack (and can abort V8 outright) unless it is refused first. Conservative: quoted
 * strings, comments and block scalars are skipped; anything else that looks like nesting counts.
 * Returns the deepest level seen; throws TooLargeError past the limit.
 */
export function checkYamlDepth(text: string, maxDepth: number): number {
  const indents: number[] = []
  let flow = 0
  let deepest = 0
  let blockScalarIndent = -1 // inside a "|" or ">" block: lines indented deeper than this are text
  let quote = '' // a quoted scalar may span lines inside flow collections
  const too = (): never => {
    throw new TooLargeError(`The YAML front matter nests more than ${maxDepth} levels deep (limits.maxDepth)`, { details: { limit: 'maxDepth', value: maxDepth } })
  }
  const see = (depth: number) => {
    if (depth > deepest) deepest = depth
    if (depth > maxDepth) too()
  }
  for (const line of text.split(/\r\n|\r|\n/)) {
    let i = 0
    while (i < line.length && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++
    const blank = i === line.length || line[i] === '#'
    if (blockScalarIndent >= 0) {
      if (blank || i > blockScalarIndent) continue
      blockScalarIndent = -1
    }
    if (blank && !quote) continue
    if (flow === 0 && !quote) {
      while (indents.length && indents[indents.length - 1]! >= i) indents.pop()
      indents.push(i)
      // Compact nesting on one line: "- - - x" or "- key: value".
      let extra = 0
      let j = i
      while (line[j] === '-' && (line[j + 1] === ' ' || line[j + 1] === '\t')) {
        extra++
        j += 2
        while (line[j] === ' ' || line[j] === '\t') j++
      }
      see(indents.length + extra)
    }
    for (let k = i; k < line.length; k++) {
      const c = line[k]!
      if (quote) {
        if (quote === '"' && c === '\\') k++
        else if (c === quote) {
          if (quote === "'" && line[k + 1] === "'") k++
          else quote = ''
        }
        continue
      }
      if (c === '#' && (k === 0 || line[k - 1] === ' ' || line[k - 1] === '\t')) break
      if ((c === '"' || c === "'") && (k === i || /[\s,[{:]/.test(line[k - 1]!))) quote = c
      else if (c === '[' || c === '{') see(indents.length + ++flow)
      else if ((c === ']' || c === '}') && flow > 0) flow--
    }
    // "key: |" or "- >-": the following, more indented lines are a block scalar.
    if (!quote && flow === 0 && /(?:^|[:-]\s+)[|>][0-9+-]{0,2}\s*(?:#.*)?$/.test(line.slice(i))) blockScalarIndent = i
  }
  return deepest
}
