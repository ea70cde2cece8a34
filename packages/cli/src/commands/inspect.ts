import { inspectFile, type InspectReport } from 'tanba/node'
import { colorsFor, type Colors, type Io } from '../output.js'
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
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

export function describeInspection(r: InspectReport, c: Colors): string {
  const lines: string[] = []
  lines.push(`${c.bold(r.file ?? '')}  ${c.dim(`${r.format.toUpperCase()} · ${r.mediaType} · ${r.size} bytes · detected by ${r.detectedBy}`)}`)
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
    lines.push(`  ${m.standard.padEnd(sw)}  ${m.carrier.padEnd(cw)}  ${m.aiMarked ? c.yellow('AI') : '  '}  ${[validity, detail].filter(Boolean).join('  ')}`)
  }
  lines.push('')
  lines.push(c.bold(`Tanba labels (${r.labels.length})`))
  if (!r.labels.length) lines.push('  none')
  for (const l of r.labels) {
    if (l.error) {
      lines.push(`  ${l.carrier}: ${c.red(`undecodable (${l.error.code})`)} ${l.error.message}`)
      continue
    }
    const label = l.label!
    lines.push(`  ${l.carrier}:`)
    lines.push(`    id        ${label.id}`)
    lines.push(`    created   ${label.created}`)
    lines.push(`    origin    ${label.origin}`)
    lines.push(`    system    ${[label.system.name, label.system.version, label.system.model && `model ${label.system.model}`].filter(Boolean).join(', ')}`)
    lines.push(`    owner     ${[label.owner.name, label.owner.id && `id ${label.owner.id}`, label.owner.country].filter(Boolean).join(', ')}`)
    if (label.distributor) lines.push(`    distributor ${[label.distributor.name, label.distributor.id].filter(Boolean).join(', ')}`)
    if (label.notice) lines.push(`    notice    ${label.notice.method} in ${label.notice.langs.join(', ')}${label.notice.placement ? ` at ${label.notice.placement}` : ''}`)
    lines.push(`    profiles  ${label.profiles.join(', ')}`)
    lines.push(`    binding   ${label.binding.method} ${label.binding.digest}`)
    lines.push(`    signature ${label.sig.alg}${label.sig.kid ? ` key ${label.sig.kid}` : ''}${label.sig.x5c ? ` with ${label.sig.x5c.length}-certificate chain` : ''}`)
  }
  const fields = Object.entries(r.fields)
  lines.push('')
  lines.push(c.bold(`Fields (${fields.length})`))
  if (!fields.length) lines.push('  none')
  for (const [k, v] of fields) lines.push(`  ${k}: ${clip(value(v))}`)
  if (r.messages.length) {
    lines.push('')
    lines.push(c.bold('Messages'))
    for (const m of r.messages) lines.push(`  ${m.fatal ? c.red(m.rule) : c.yellow(m.rule)}${m.carrier ? ` (${m.carrier})` : ''}: ${m.reason}`)
  }
  return lines.join('\n')
}

export async function runInspect(file: string, flags: InspectFlags, io: Io): Promise<number> {
  try {
    const report = await inspectFile(file, { cwd: io.cwd, c2pa: flags.c2pa })
    io.stdout.write((flags.json ? JSON.stringify(report, null, 2) : describeInspection(report, colorsFor(io.stdout, io.env))) + '\n')
    return 0
  } catch (error) {
    io.stderr.write(`${formatFatal(error, io)}\n`)
    return 3
  }
}
