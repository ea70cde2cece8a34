import { readFile, stat } from 'node:fs/promises'
import { relative, isAbsolute, resolve } from 'node:path'
import { stampFile, stampFiles, isTanbaError, toFileError, type StampFileResult, type StampFilesSummary, type StampSettingsInput, type NoticeOptions, type ProfileId, type Origin, type NoticePlacement } from 'tanba/node'
import { announceConfig, colorsFor, duration, forCli, plural, ProgressBar, safe, type Io } from '../output.js'
import { batchFailure, pdfPasswordOptions } from '../fatal.js'
import { openLedger } from '../ledger.js'

export interface StampFlags {
  output?: string
  outDir?: string
  inPlace?: boolean
  exclude?: string[]
  profile?: string[]
  origin?: Origin
  generator?: string
  model?: string
  owner?: string
  ownerId?: string
  distributor?: string
  distributorId?: string
  lang?: string[]
  addLang?: string[]
  notice?: string
  placement?: string
  /** --notice-icon basic|generated|modified|auto|FILE */
  noticeIcon?: string
  visible: boolean
  visibleSet: boolean
  c2pa: boolean
  c2paSet: boolean
  /** --c2pa-required: fail the stamp when the C2PA manifest cannot be written. */
  c2paRequired?: boolean
  /** --c2pa-drop-broken-parent: leave an invalid or unreadable earlier manifest out instead of keeping it. */
  c2paDropBrokenParent?: boolean
  /** --pdf-notice-layout band|overlay */
  pdfNoticeLayout?: 'band' | 'overlay'
  watermark?: boolean
  watermarkSet?: boolean
  ledger?: string
  pdfPasswordFile?: string
  key?: string
  cert?: string
  tsa?: string
  config?: string
  concurrency?: number
  force?: boolean
  overwrite?: boolean
  json?: boolean
  quiet?: boolean
}

/** Maps the flags to SDK settings; anything not given falls back to the config file, then the defaults. */
export function settingsFrom(flags: StampFlags, io: Io): StampSettingsInput {
  const notice: NoticeOptions = {
    ...(flags.visibleSet ? { visible: flags.visible } : {}),
    ...(flags.lang?.length ? { languages: flags.lang } : {}),
    ...(flags.addLang?.length ? { addLanguages: flags.addLang } : {}),
    ...(flags.notice ? { text: flags.notice } : {}),
    ...(flags.placement ? { placement: flags.placement as NoticePlacement } : {}),
  }
  return {
    cwd: io.cwd,
    ...(flags.config ? { config: flags.config } : {}),
    ...(flags.key ? { key: flags.key } : {}),
    ...(flags.cert ? { cert: flags.cert } : {}),
    ...(flags.tsa ? { tsa: flags.tsa } : {}),
    ...(flags.profile?.length ? { profiles: flags.profile as ProfileId[] } : {}),
    ...(flags.origin ? { origin: flags.origin } : {}),
    system: { ...(flags.generator ? { name: flags.generator } : {}), ...(flags.model ? { model: flags.model } : {}) },
    owner: { ...(flags.owner ? { name: flags.owner } : {}), ...(flags.ownerId ? { id: flags.ownerId } : {}) },
    ...(flags.distributor ? { distributor: { name: flags.distributor, ...(flags.distributorId ? { id: flags.distributorId } : {}) } } : {}),
    notice,
    ...(flags.c2paRequired ? { c2pa: 'required' as const } : flags.c2paSet ? { c2pa: flags.c2pa } : {}),
    force: Boolean(flags.force),
  }
}

function shown(path: string | undefined, cwd: string): string {
  if (!path) return ''
  const rel = relative(cwd, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

export async function runStamp(inputs: string[], flags: StampFlags, io: Io, signal?: AbortSignal): Promise<number> {
  const out = colorsFor(io.stdout, io.env)
  const err = colorsFor(io.stderr, io.env)
  const placements = ['start', 'end', 'both', 'top', 'bottom', 'top-left', 'top-right', 'bottom-left', 'bottom-right']
  const usage = (message: string) => {
    io.stderr.write(`${err.red('error:')} ${message}\n${err.dim('Run "tanba stamp --help" for usage and examples.')}\n`)
    return 3
  }
  if (flags.output && (flags.outDir || flags.inPlace)) return usage('Give one of -o/--output, --out-dir or --in-place, not several.')
  if (flags.outDir && flags.inPlace) return usage('Give either --out-dir or --in-place, not both.')
  if (!flags.output && !flags.outDir && !flags.inPlace) return usage('Say where to write the stamped files: -o <file> for one file, --out-dir <dir> for several, or --in-place to overwrite the inputs.')
  if (flags.output && inputs.length !== 1) return usage(`-o/--output takes exactly one input file but ${inputs.length} were given; use --out-dir for several.`)
  if (flags.placement && !placements.includes(flags.placement)) return usage(`--placement must be one of ${placements.join(', ')} (got "${flags.placement}").`)
  let icon: Record<string, unknown> = {}
  if (flags.noticeIcon !== undefined) {
    if (['basic', 'generated', 'modified', 'auto'].includes(flags.noticeIcon)) icon = { icon: flags.noticeIcon }
    else if (flags.noticeIcon === 'none') icon = { icon: false }
    else {
      const file = resolve(io.cwd, flags.noticeIcon)
      const bytes = await readFile(file).catch(() => null)
      if (!bytes) return usage(`--notice-icon takes basic, generated, modified, auto, none or a PNG/SVG file, but ${safe(flags.noticeIcon)} is none of these (no such file).`)
      icon = { iconImage: new Uint8Array(bytes) }
    }
  }
  if (flags.output) {
    // Checked before any work: these would otherwise fail only after the stamp, or in SDK terms.
    const target = resolve(io.cwd, flags.output)
    if ((await stat(target).catch(() => undefined))?.isDirectory()) return usage(`-o ${safe(flags.output)} names a folder; -o takes a file name. Use --out-dir ${safe(flags.output)} to write into the folder.`)
    if (target === resolve(io.cwd, inputs[0]!)) return usage(`-o names the input itself (${safe(inputs[0])}); use --in-place to overwrite the input on purpose, or another -o file.`)
  }
  announceConfig(flags.config, io, flags.quiet)

  const human = !flags.json
  const bar = new ProgressBar(flags.quiet ? { write: () => true } : io.stderr, err, 'stamping')
  const lineFor = (r: StampFileResult): string => {
    switch (r.status) {
      case 'stamped':
        return `${out.green('stamped')}  ${safe(r.file)} ${out.dim('→')} ${safe(shown(r.output, io.cwd))}${r.replaced ? out.yellow(' (label replaced)') : ''}`
      case 'already-labelled':
        return `${out.yellow('kept')}     ${safe(r.file)}: ${safe(r.reason)}`
      case 'skipped':
        return `${out.dim('skipped')}  ${safe(r.file)}: ${safe(r.reason)}${r.reason?.startsWith('output exists') ? ' (use --overwrite to redo)' : ''}`
      case 'error':
        return `${out.red('failed')}   ${safe(r.file)}: ${safe(forCli(r.error?.message ?? '', r.error?.option))}${r.error?.hint ? `\n         ${out.dim(r.error.hint)}` : ''}`
    }
  }
  const onResult = (r: StampFileResult) => {
    if (!human) return
    // On a terminal the bar shows progress, so only what needs attention gets a line.
    if (bar.active && (r.status === 'stamped' || r.status === 'skipped')) return
    bar.log(lineFor(r), io.stdout)
  }

  let summary: StampFilesSummary
  try {
    const pdfOptions = await pdfPasswordOptions(flags.pdfPasswordFile, io.cwd)
    const pdf = { ...(pdfOptions?.pdf as object | undefined), ...(flags.pdfNoticeLayout ? { noticeLayout: flags.pdfNoticeLayout } : {}) }
    const merged: Record<string, unknown> = {
      ...(Object.keys(pdf).length ? { pdf } : {}),
      ...(flags.watermarkSet || Object.keys(icon).length ? { image: { ...icon, ...(flags.watermarkSet ? { watermark: Boolean(flags.watermark) } : {}) } } : {}),
      ...(flags.c2paDropBrokenParent ? { c2pa: { brokenParent: 'drop' } } : {}),
    }
    const adapterOptions = Object.keys(merged).length ? merged : undefined
    const settings = { ...settingsFrom(flags, io), ...(adapterOptions ? { adapterOptions } : {}) }
    if (flags.output) {
      const started = performance.now()
      let result
      try {
        result = await stampFile(inputs[0]!, { ...settings, output: flags.output, ...(signal ? { signal } : {}) })
      } catch (error) {
        // Bad options and keys are usage errors (below); anything else is about this file.
        if (isTanbaError(error) && (error.code === 'TANBA_INVALID_OPTION' || error.code === 'TANBA_INVALID_KEY' || error.code === 'TANBA_ABORTED')) throw error
        const e = toFileError(error)
        if (flags.json) {
          const failed = { file: inputs[0]!, output: flags.output, status: 'error', messages: [], error: { ...e, message: forCli(e.message, e.option) } }
          const counts = { total: 1, stamped: 0, alreadyLabelled: 0, skipped: 0, failed: 1 }
          io.stdout.write(JSON.stringify({ results: [failed], summary: { ...counts, elapsedMs: Math.round(performance.now() - started), concurrency: 1, workers: 0 } }, null, 2) + '\n')
        }
        io.stderr.write(`${err.red('failed')} ${safe(inputs[0])}: ${safe(forCli(e.message, e.option))}${e.hint ? `\n${err.dim(e.hint)}` : ''}\n`)
        return 3
      }
      if (!flags.quiet) warn(result.warnings, io)
      summary = {
        results: [result],
        counts: { total: 1, stamped: Number(result.status === 'stamped'), alreadyLabelled: Number(result.status === 'already-labelled'), skipped: 0, failed: 0 },
        warnings: result.warnings,
        developmentKey: result.developmentKey,
        concurrency: 1,
        workers: 0, // stampFile runs the one file in this thread
        elapsedMs: performance.now() - started,
      }
      onResult(result)
    } else {
      summary = await stampFiles(inputs, {
        ...settings,
        ...(flags.outDir ? { outDir: flags.outDir } : {}),
        inPlace: Boolean(flags.inPlace),
        overwrite: Boolean(flags.overwrite),
        ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        ...(signal ? { signal } : {}),
        onStart: (info) => {
          if (!flags.quiet) warn(info.warnings, io)
          bar.update({ done: 0, total: info.total, file: '', elapsedMs: 0, rate: 0, etaMs: null })
        },
        onProgress: (p) => bar.update(p),
        onResult,
      })
      bar.clear()
    }
  } catch (error) {
    bar.clear()
    return batchFailure(error, io)
  }

  if (flags.ledger) {
    // Appended here, in this thread, after the workers are done: one writer per ledger file.
    const ledger = await openLedger(flags.ledger, io.cwd)
    try {
      for (const r of summary.results) if (r.status === 'stamped' && r.label) await ledger.append(r.label)
    } finally {
      await ledger.close?.()
    }
  }
  const { counts } = summary
  if (flags.json) {
    io.stdout.write(JSON.stringify({ results: summary.results.map(forJson), summary: { ...counts, elapsedMs: Math.round(summary.elapsedMs), concurrency: summary.concurrency, workers: summary.workers, developmentKey: summary.developmentKey } }, null, 2) + '\n')
  } else {
    const parts = [`stamped ${counts.stamped}`]
    if (counts.alreadyLabelled) parts.push(`kept ${counts.alreadyLabelled} already labelled`)
    if (counts.skipped) parts.push(`skipped ${counts.skipped}`)
    if (counts.failed) parts.push(out.red(`failed ${counts.failed}`))
    const rate = summary.elapsedMs > 0 ? (counts.total * 1000) / summary.elapsedMs : 0
    io.stdout.write(
      `\n${out.bold('Done:')} ${parts.join(', ')} — ${plural(counts.total, 'file')} in ${duration(summary.elapsedMs)} (${rate.toFixed(1)} files/s, ${summary.workers ? plural(summary.workers, 'worker') : 'no worker threads'}).\n`,
    )
    if (summary.outDir) io.stdout.write(`Output: ${safe(shown(summary.outDir, io.cwd))}\n`)
    // On a terminal the bar counted skipped files without naming them: name them now.
    const skipped = bar.active ? summary.results.filter((r) => r.status === 'skipped') : []
    if (skipped.length) {
      io.stdout.write(`${out.dim(`Skipped ${plural(skipped.length, 'file')}:`)}\n`)
      for (const r of skipped) io.stdout.write(`  ${safe(r.file)}: ${safe(r.reason)}${r.reason?.startsWith('output exists') ? ' (use --overwrite to redo)' : ''}\n`)
    }
    if (counts.failed) io.stdout.write(out.red(`${plural(counts.failed, 'file')} could not be stamped; see the messages above.\n`))
    if (summary.developmentKey) io.stdout.write(out.yellow('Signed with the development key: labels verify as "untrusted". Run "tanba keygen" for your own key.\n'))
  }
  return counts.failed ? 3 : 0
}

function forJson(r: StampFileResult) {
  return { ...r, ms: Math.round(r.ms * 10) / 10 }
}

function warn(warnings: string[], io: Io): void {
  const c = colorsFor(io.stderr, io.env)
  for (const w of warnings) io.stderr.write(`${c.yellow('warning:')} ${w}\n`)
}
