import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { diffFiles, diffFolders, PROFILE_IDS, type DiffFilesOptions, type FileMarksDiff, type ProfileId } from 'tanba/node'
import { colorsFor, plural, safe, type Colors, type Io } from '../output.js'
import { formatFatal } from '../fatal.js'

export interface DiffFlags {
  profile?: string[]
  trust?: string[]
  json?: boolean
}

/** diff exit statuses: 0 no required mark lost, 2 a required mark lost or broken, 3 usage or read error. */
const EXIT_DIFF = { ok: 0, requiredLost: 2, usage: 3 } as const

const FATE_COLOR = { kept: 'green', changed: 'yellow', broken: 'red', lost: 'red' } as const
const NOTICE_COLOR = { kept: 'green', lost: 'red', unverified: 'yellow', none: 'dim' } as const

/** One line per BEFORE marker with its fate, then added markers, the notice and the required rules lost. */
export function describeDiff(d: FileMarksDiff, c: Colors): string {
  const lines = [`${c.bold(safe(d.beforeFile))} → ${c.bold(safe(d.afterFile))}  ${c.dim(`${d.beforeStatus} → ${d.afterStatus}`)}`]
  for (const m of d.markers) {
    const moved = m.afterCarrier && m.afterCarrier !== m.carrier ? c.dim(` (now in ${safe(m.afterCarrier)})`) : ''
    lines.push(`  ${c[FATE_COLOR[m.fate]](m.fate.padEnd(8))}  ${safe(m.standard).padEnd(8)}  ${safe(m.carrier)}${moved}`)
  }
  for (const m of d.added) lines.push(`  ${c.cyan('added'.padEnd(8))}  ${safe(m.standard).padEnd(8)}  ${safe(m.carrier)}`)
  lines.push(`  notice    ${c[NOTICE_COLOR[d.notice.fate]](d.notice.fate)}: ${safe(d.notice.reason)}`)
  for (const r of d.requiredLost) lines.push(`  ${c.red(`${r.profile}:`)} lost ${safe(r.failure)}${r.citation ? c.dim(` (${safe(r.citation)})`) : ''}`)
  if (d.before.status === 'error' || d.after.status === 'error') {
    const bad = d.before.status === 'error' ? d.before : d.after
    lines.push(`  ${c.red('error:')} ${safe(bad.file)}: ${safe(bad.error?.message ?? 'could not be read')}`)
  }
  return lines.join('\n')
}

function statusOf(diffs: FileMarksDiff[]): number {
  if (diffs.some((d) => d.before.status === 'error' || d.after.status === 'error')) return EXIT_DIFF.usage
  return diffs.some((d) => d.requiredLost.length) ? EXIT_DIFF.requiredLost : EXIT_DIFF.ok
}

export async function runDiff(before: string, after: string, flags: DiffFlags, io: Io, signal?: AbortSignal): Promise<number> {
  const err = colorsFor(io.stderr, io.env)
  const out = colorsFor(io.stdout, io.env)
  const bad = flags.profile?.find((p) => !(PROFILE_IDS as readonly string[]).includes(p))
  if (bad !== undefined) {
    io.stderr.write(`${err.red('error:')} Expected --profile from ${PROFILE_IDS.join(', ')} but received "${safe(bad)}"\n`)
    return EXIT_DIFF.usage
  }
  try {
    const [b, a] = await Promise.all([stat(resolve(io.cwd, before)), stat(resolve(io.cwd, after))])
    if (b.isDirectory() !== a.isDirectory()) {
      io.stderr.write(`${err.red('error:')} Expected two files or two folders but ${safe(before)} is a ${b.isDirectory() ? 'folder' : 'file'} and ${safe(after)} a ${a.isDirectory() ? 'folder' : 'file'}\n`)
      return EXIT_DIFF.usage
    }
    const options: DiffFilesOptions = {
      cwd: io.cwd,
      ...(flags.trust?.length ? { trust: flags.trust } : {}),
      ...(flags.profile?.length ? { profiles: flags.profile as ProfileId[] } : {}),
      ...(signal ? { signal } : {}),
    }
    if (!b.isDirectory()) {
      const d = await diffFiles(before, after, options)
      const status = statusOf([d])
      io.stdout.write(flags.json ? JSON.stringify({ diff: d, exitCode: status }, null, 2) + '\n' : describeDiff(d, out) + '\n' + meaning(status) + '\n')
      return status
    }
    const folders = await diffFolders(before, after, options)
    const status = statusOf(folders.pairs.map((p) => p.diff))
    if (flags.json) {
      io.stdout.write(JSON.stringify({ pairs: folders.pairs, onlyBefore: folders.onlyBefore, onlyAfter: folders.onlyAfter, skipped: folders.skipped, exitCode: status }, null, 2) + '\n')
      return status
    }
    for (const p of folders.pairs) io.stdout.write(describeDiff(p.diff, out) + '\n')
    for (const f of folders.onlyBefore) io.stdout.write(`${out.yellow('unpaired'.padEnd(10))}${safe(f)}: only in ${safe(before)}\n`)
    for (const f of folders.onlyAfter) io.stdout.write(`${out.yellow('unpaired'.padEnd(10))}${safe(f)}: only in ${safe(after)}\n`)
    for (const f of folders.skipped) io.stdout.write(`${out.dim('skipped'.padEnd(10))}${safe(f)}: not a format Tanba knows\n`)
    const skippedNote = folders.skipped.length ? `, ${plural(folders.skipped.length, 'file')} skipped` : ''
    io.stdout.write(`\n${out.bold('Compared')} ${plural(folders.pairs.length, 'pair')}, ${plural(folders.onlyBefore.length + folders.onlyAfter.length, 'unpaired file')}${skippedNote}.\n${meaning(status)}\n`)
    return status
  } catch (error) {
    io.stderr.write(`${formatFatal(error, io)}\n`)
    return EXIT_DIFF.usage
  }
}

function meaning(status: number): string {
  const text = ['no required mark was lost', 'no required mark was lost', 'a mark the profiles require was lost or broken', 'a file could not be read'][status]
  return `Exit status ${status}: ${text}.`
}
