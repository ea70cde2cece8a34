// Writes the format table of docs/cli.md from listFormats() (the data behind `tanba formats`).
// `node scripts/gen-formats-doc.mjs --check` exits 1 when the committed table is out of date.
// Needs the built packages (pnpm build).
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { listFormats } from '../packages/tanba/dist/node.js'

const DOC = fileURLToPath(new URL('../docs/cli.md', import.meta.url))
const START = /<!-- formats:start[^>]*-->/
const END = '<!-- formats:end -->'

const NOTICE = { visible: 'visible', audible: 'audible', text: 'text', none: '— (`--no-visible`)' }
const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function formatTable(formats = listFormats()) {
  const rows = formats.map((f) => {
    const c2pa = f.c2pa.sign ? 'read, sign' : f.c2pa.read ? 'read' : '—'
    const notes = [f.noticeNote ? `Notice: ${f.noticeNote}.` : '', f.c2paNote ? `C2PA: ${f.c2paNote}.` : '', f.note ?? ''].filter(Boolean).join(' ')
    return `| \`${f.id}\` | ${f.kind} | ${f.extensions.map((e) => `.${e}`).join(' ')} | ${f.supported ? 'stamp, verify' : 'refused'} | ${f.supported ? NOTICE[f.notice] : '—'} | ${c2pa} | ${cell(notes)} |`
  })
  return ['| format | kind | extensions | Tanba | notice | C2PA | notes |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n')
}

export function render(text, table = formatTable()) {
  const start = text.match(START)
  const end = text.indexOf(END)
  if (!start || end < 0) throw new Error('docs/cli.md has no formats:start / formats:end markers')
  return text.slice(0, start.index + start[0].length) + '\n' + table + '\n' + text.slice(end)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const current = readFileSync(DOC, 'utf8')
  const next = render(current)
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('docs/cli.md: the format table is out of date; run node scripts/gen-formats-doc.mjs')
      process.exit(1)
    }
  } else if (next !== current) {
    writeFileSync(DOC, next)
    console.log('docs/cli.md: format table written')
  }
}
