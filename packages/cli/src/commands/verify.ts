import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { buildTrustStore, resolveWatermarkInLedger, verifyFiles, isTanbaError, type ProfileId, type VerificationReport, type VerifyFilesSummary } from 'tanba/node'
import { announceConfig, colorsFor, duration, forCli, plural, ProgressBar, safe, type Colors, type Io } from '../output.js'
import { batchFailure, pdfPasswordOptions } from '../fatal.js'
import { openLedger } from '../ledger.js'

export interface VerifyFlags {
  trust?: string[]
  tsaTrust?: string[]
  ledger?: string
  exclude?: string[]
  profile?: string[]
  requireTrusted?: boolean
  c2pa: boolean
  c2paSet: boolean
  pdfPasswordFile?: string
  config?: string
  concurrency?: number
  json?: boolean
  quiet?: boolean
}

const STATUS_COLOR = { valid: 'green', invalid: 'red', unlabelled: 'yellow', error: 'red' } as const

/** One line per file, then the reasons that matter for it. */
export function describeReport(r: VerificationReport, c: Colors): string {
  const status = c[STATUS_COLOR[r.status]](r.status.padEnd(10))
  const head = `${status}  ${safe(r.file)}  ${c.dim(r.format === 'unknown' ? '' : r.mediaType)}`
  const lines = [head]
  const profiles = Object.entries(r.profiles)
    .map(([id, p]) => `${id} ${p?.pass ? c.green('pass') : c.red('fail')}`)
    .join(', ')
  if (r.status === 'valid') {
    const s = r.signature
    const who = s?.signer?.subject ?? (s?.signer?.kid ? `key ${s.signer.kid}` : 'unknown signer')
    lines.push(`            signer ${safe(who)} · ${s?.trusted ? c.green('trusted') : c.yellow('untrusted')}${profiles ? ` · profiles: ${profiles}` : ''}`)
  } else if (r.status === 'invalid') {
    for (const m of r.messages.filter((m) => m.fatal)) lines.push(`            ${c.red(safe(m.rule))}: ${safe(m.reason)}`)
    if (profiles) lines.push(`            profiles: ${profiles}`)
  } else if (r.status === 'unlabelled') {
    if (profiles) lines.push(`            profiles: ${profiles}`)
    const others = [...new Set(r.markers.filter((m) => m.aiMarked).map((m) => m.standard))]
    lines.push(`            no Tanba label${others.length ? `; AI-marked by ${safe(others.join(', '))}` : '; no AI marker found'}. Stamp it with "tanba stamp" if it is AI-generated.`)
  } else {
    lines.push(`            ${safe(r.error ? forCli(r.error.message, r.error.option) : (r.messages[0]?.reason ?? 'could not be read'))}`)
  }
  for (const [id, result] of Object.entries(r.profiles)) {
    if (r.status === 'invalid' || !result || result.pass) continue
    // What is missing and the provision it comes from, when the profile says (details), else the failure.
    const shown = result.details?.map((d) => `${d.message} (${d.citation})`) ?? result.failures
    for (const f of shown) lines.push(`            ${c.yellow(`${id}:`)} ${safe(f)}`)
  }
  if (r.watermark?.found) lines.push(`            watermark ${r.watermark.method} payload ${r.watermark.payload} (${r.watermark.origin}; ${r.watermark.bitErrors}/${r.watermark.codedBits} bit errors corrected)`)
  return lines.join('\n')
}

export async function runVerify(inputs: string[], flags: VerifyFlags, io: Io, signal?: AbortSignal): Promise<number> {
  const out = colorsFor(io.stdout, io.env)
  const err = colorsFor(io.stderr, io.env)
  const bar = new ProgressBar(flags.quiet ? { write: () => true } : io.stderr, err, 'verifying')
  announceConfig(flags.config, io, flags.quiet)
  let summary: VerifyFilesSummary
  try {
    const adapterOptions = await pdfPasswordOptions(flags.pdfPasswordFile, io.cwd)
    summary = await verifyFiles(inputs, {
      cwd: io.cwd,
      ...(adapterOptions ? { adapterOptions } : {}),
      ...(flags.config ? { config: flags.config } : {}),
      ...(flags.trust?.length ? { trust: flags.trust } : {}),
      ...(flags.tsaTrust?.length ? { tsaTrust: flags.tsaTrust } : {}),
      ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
      ...(flags.profile?.length ? { profiles: flags.profile as ProfileId[] } : {}),
      ...(flags.requireTrusted ? { requireTrusted: true } : {}),
      ...(flags.c2paSet ? { c2pa: flags.c2pa } : {}),
      ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      ...(signal ? { signal } : {}),
      onStart: (info) => {
        // The missing-trust note matters to people, not to scripts reading --json.
        if (!flags.json && !flags.quiet) for (const w of info.warnings) io.stderr.write(`${err.yellow('note:')} ${w}\n`)
        bar.update({ done: 0, total: info.total, file: '', elapsedMs: 0, rate: 0, etaMs: null })
      },
      onProgress: (p) => bar.update(p),
      onResult: (report) => {
        if (!flags.json) bar.log(describeReport(report, out), io.stdout)
      },
      onSkip: (s) => {
        if (!flags.json) bar.log(`${out.dim('skipped'.padEnd(10))}  ${safe(s.file)}: ${safe(s.reason)}`, io.stdout)
      },
    })
    bar.clear()
    if (flags.ledger) {
      // Resolved here rather than in the workers: a ledger object does not cross threads.
      const ledger = await openLedger(flags.ledger, io.cwd)
      try {
        const texts = await Promise.all((flags.trust ?? []).map((f) => readFile(resolve(io.cwd, f), 'utf8')))
        const trust = texts.length ? await buildTrustStore(texts, flags.trust) : undefined
        for (const r of summary.results) {
          if (!r.watermark?.found) continue
          r.ledger = await resolveWatermarkInLedger(ledger, r.watermark, trust ? { trust } : {})
          if (!flags.json) io.stdout.write(`${out.dim('ledger'.padEnd(10))}  ${r.file ?? ''}: ${r.ledger.reason}
`)
        }
      } finally {
        await ledger.close?.()
      }
    }
  } catch (error) {
    bar.clear()
    return batchFailure(error, io)
  }
  const { counts } = summary
  if (flags.json) {
    io.stdout.write(
      JSON.stringify(
        {
          results: summary.results,
          skipped: summary.skipped,
          summary: { ...counts, exitCode: summary.exitCode, elapsedMs: Math.round(summary.elapsedMs), concurrency: summary.concurrency, workers: summary.workers },
        },
        null,
        2,
      ) + '\n',
    )
    return summary.exitCode
  }
  const parts = [out.green(`${counts.valid} valid`), counts.invalid ? out.red(`${counts.invalid} invalid`) : `0 invalid`, counts.unlabelled ? out.yellow(`${counts.unlabelled} unlabelled`) : '0 unlabelled']
  if (counts.error) parts.push(out.red(`${counts.error} unreadable`))
  if (counts.skipped) parts.push(`${counts.skipped} skipped`)
  io.stdout.write(`\n${out.bold('Verified')} ${plural(counts.total, 'file')} in ${duration(summary.elapsedMs)}: ${parts.join(', ')}.\n`)
  const meaning = ['every file is valid', 'some files carry no Tanba label', 'some labels are invalid (changed or forged content)', 'some files could not be read'][summary.exitCode]
  io.stdout.write(`Exit status ${summary.exitCode}: ${meaning}.\n`)
  const untrusted = summary.results.filter((r) => r.status === 'valid' && r.signature && !r.signature.trusted).length
  if (untrusted && !flags.trust?.length) io.stdout.write(out.dim(`${plural(untrusted, 'signature')} valid but untrusted: pass --trust with the signer's certificate chain (signer.pem) or root (ca.pem).\n`))
  return summary.exitCode
}
