import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { inspectFile, type InspectReport } from 'tanba/node'
import { colorsFor, safe, type Colors, type Io } from '../output.js'
import { formatFatal } from '../fatal.js'

export interface InspectFlags {
  c2pa: boolean
  json?: boolean
}

function value(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

function clip(text: string, max = 160): string {
  return safe(text.length > max ? `${text.slice(0, max - 1)}…` : text)
}

export function describeInspection(r: InspectReport, c: Colors): string {
  const lines: string[] = []
  lines.push(`${c.bold(safe(r.file))}  ${c.dim(`${r.format.toUpperCase()} · ${r.mediaType} · ${r.size} bytes · detected by ${r.detectedBy}`)}`)
  lines.push(`AI-marked: ${r.aiMarked ? c.yellow('yes') : 'no'}`)
  lines.push('')
  lines.push(c.bold(`Markers (${r.markers.length})`))
  if (!r.markers.length) lines.push('  none')
  const sw = Math.max(8, ...r.markers.map((m) => m.standard.length))
  const cw = Math.max(8, ...r.markers.map((m) => m.carrier.length))
  for (const m of r.markers) {
    // inspect does not verify: "intact"/"broken" only when the adapter itself could tell.
    const validity = m.valid === true ? c.green('intact') : m.valid === false ? c.red('broken') : ''
    const detail = m.detail ?? (m.value !== undefined ? c.dim(clip(value(m.value), 120)) : '')
    lines.push(`  ${safe(m.standard).padEnd(sw)}  ${safe(m.carrier).padEnd(cw)}  ${m.aiMarked ? c.yellow('AI') : '  '}  ${[validity, m.detail ? safe(m.detail) : detail].filter(Boolean).join('  ')}`)
  }
  lines.push('')
  lines.push(c.bold(`Tanba labels (${r.labels.length})`))
  if (!r.labels.length) lines.push('  none')
  for (const l of r.labels) {
    if (l.error) {
      lines.push(`  ${safe(l.carrier)}: ${c.red(`undecodable (${l.error.code})`)} ${safe(l.error.message)}`)
      continue
    }
    const label = l.label!
    lines.push(`  ${safe(l.carrier)}:`)
    lines.push(`    id        ${safe(label.id)}`)
    lines.push(`    created   ${safe(label.created)}`)
    lines.push(`    origin    ${label.origin}`)
    lines.push(`    system    ${safe([label.system.name, label.system.version, label.system.model && `model ${label.system.model}`].filter(Boolean).join(', '))}`)
    lines.push(`    owner     ${safe([label.owner.name, label.owner.id && `id ${label.owner.id}`, label.owner.country].filter(Boolean).join(', '))}`)
    if (label.distributor) lines.push(`    distributor ${safe([label.distributor.name, label.distributor.id].filter(Boolean).join(', '))}`)
    if (label.notice) lines.push(`    notice    ${safe(`${label.notice.method} in ${label.notice.langs.join(', ')}${label.notice.placement ? ` at ${label.notice.placement}` : ''}`)}`)
    lines.push(`    profiles  ${safe(label.profiles.join(', '))}`)
    lines.push(`    binding   ${safe(`${label.binding.method} ${label.binding.digest}`)}`)
    lines.push(`    signature ${safe(label.sig.alg)}${label.sig.kid ? ` key ${safe(label.sig.kid)}` : ''}${label.sig.x5c ? ` with ${label.sig.x5c.length}-certificate chain` : ''}`)
  }
  const fields = Object.entries(r.fields)
  lines.push('')
  lines.push(c.bold(`Fields (${fields.length})`))
  if (!fields.length) lines.push('  none')
  for (const [k, v] of fields) lines.push(`  ${safe(k)}: ${clip(value(v))}`)
  if (r.messages.length) {
    lines.push('')
    lines.push(c.bold('Messages'))
    for (const m of r.messages) lines.push(`  ${m.fatal ? c.red(safe(m.rule)) : c.yellow(safe(m.rule))}${m.carrier ? ` (${safe(m.carrier)})` : ''}: ${safe(m.reason)}`)
  }
  return lines.join('\n')
}

export async function runInspect(file: string, flags: InspectFlags, io: Io): Promise<number> {
  try {
    const info = await stat(resolve(io.cwd, file)).catch(() => undefined)
    if (info?.isDirectory()) {
      const c = colorsFor(io.stderr, io.env)
      io.stderr.write(`${c.red('error:')} ${safe(file)} is a folder; "tanba inspect" reads one file. Inspect a file in it, or run "tanba verify ${safe(file)}" to check every file in the folder.\n`)
      return 3
    }
    const report = await inspectFile(file, { cwd: io.cwd, c2pa: flags.c2pa })
    io.stdout.write((flags.json ? JSON.stringify(report, null, 2) : describeInspection(report, colorsFor(io.stdout, io.env))) + '\n')
    return 0
  } catch (error) {
    io.stderr.write(`${formatFatal(error, io)}\n`)
    return 3
  }
}
