import { listFormats, type FormatSupport } from 'tanba/node'
import { colorsFor, type Io } from '../output.js'

export interface FormatsFlags {
  json?: boolean
}

const NOTICE_WORD = { visible: 'visible', audible: 'audible', text: 'text', none: '—' } as const

/** One row per format: what `stamp` and `verify` do with it, and why something is refused. */
export function describeFormats(formats: readonly FormatSupport[], io: Io): string {
  const c = colorsFor(io.stdout, io.env)
  const rows = formats.map((f) => ({
    id: f.id,
    kind: f.kind,
    ext: f.extensions.map((e) => `.${e}`).join(' '),
    status: f.supported ? 'stamp, verify' : 'refused',
    notice: f.supported ? NOTICE_WORD[f.notice] : '—',
    c2pa: f.c2pa.sign ? 'read, sign' : f.c2pa.read ? 'read' : '—',
    why: [f.supported ? '' : f.note, f.noticeNote ? `notice: ${f.noticeNote}` : '', f.c2paNote ? `C2PA: ${f.c2paNote}` : '', f.supported ? f.note : ''].filter(Boolean).join('; '),
  }))
  const head = { id: 'format', kind: 'kind', ext: 'extensions', status: 'Tanba', notice: 'notice', c2pa: 'C2PA', why: 'notes' }
  const keys = ['id', 'kind', 'ext', 'status', 'notice', 'c2pa'] as const
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(head[k].length, ...rows.map((r) => r[k].length))])) as Record<(typeof keys)[number], number>
  const line = (r: typeof head, style = (s: string) => s) => keys.map((k) => style(r[k].padEnd(width[k]))).join('  ')
  const out = [line(head, c.bold)]
  for (const r of rows) {
    out.push(line(r, r.status === 'refused' ? c.dim : (s) => s))
    if (r.why) out.push(`${' '.repeat(width.id + 2)}${c.dim(r.why)}`)
  }
  out.push('', 'notice "—": stamp with --no-visible for a machine-readable label only. Details: docs/cli.md#formats.')
  return out.join('\n')
}

export function runFormats(flags: FormatsFlags, io: Io): number {
  const formats = listFormats()
  io.stdout.write((flags.json ? JSON.stringify({ formats }, null, 2) : describeFormats(formats, io)) + '\n')
  return 0
}
