#!/usr/bin/env node
// A gate for incoming files (a CI step, a content-ingest hook): verifies every file with the Tanba
// SDK and exits non-zero unless all of them carry an intact Tanba label.
//
//   node check-incoming.mjs <file|folder|glob>... [--trust ca.pem]... [--profile kz]...
//                           [--require-trusted] [--require-profiles] [--allow-unlabelled] [--json]
//
// Exit status: 0 every file valid; 1 some file unlabelled (and none worse); 2 some file invalid
// (tampered, bad signature, untrusted with --require-trusted, failing a profile with
// --require-profiles); 3 some file unreadable or a usage error. Files that are not a format Tanba
// knows, found by walking a folder, are listed and skipped.
import { relative } from 'node:path'
import { close, verifyFiles } from 'tanba/node'

const USAGE = 'usage: check-incoming <file|folder|glob>... [--trust <pem|jwks>]... [--profile <kz|uz|cn|eu>]... [--require-trusted] [--require-profiles] [--allow-unlabelled] [--json]'

function parse(argv) {
  const opts = { inputs: [], trust: [], profiles: [], requireTrusted: false, requireProfiles: false, allowUnlabelled: false, json: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = argv[++i]
      if (!v || v.startsWith('--')) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--trust') opts.trust.push(value())
    else if (a === '--profile') opts.profiles.push(...value().split(','))
    else if (a === '--require-trusted') opts.requireTrusted = true
    else if (a === '--require-profiles') opts.requireProfiles = true
    else if (a === '--allow-unlabelled') opts.allowUnlabelled = true
    else if (a === '--json') opts.json = true
    else if (a === '--help' || a === '-h') {
      console.log(USAGE)
      process.exit(0)
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else opts.inputs.push(a)
  }
  if (!opts.inputs.length) throw new Error('give at least one file, folder or glob')
  return opts
}

/** The policy's verdict for one report: ok, or why not. */
function verdict(report, opts) {
  if (report.status === 'error') return { level: 3, why: `unreadable: ${report.error?.code} ${report.error?.message ?? ''}`.trim() }
  if (report.status === 'invalid') {
    const fatal = report.messages.filter((m) => m.fatal).map((m) => m.rule)
    return { level: 2, why: `label broken (${[...new Set(fatal)].join(', ') || 'invalid'})` }
  }
  if (report.status === 'unlabelled') {
    const others = [...new Set(report.markers.filter((m) => m.aiMarked).map((m) => m.standard))]
    return { level: opts.allowUnlabelled ? 0 : 1, why: `no Tanba label${others.length ? ` (other AI markers: ${others.join(', ')})` : ''}` }
  }
  const failing = Object.entries(report.profiles).filter(([, p]) => !p.pass)
  if (opts.requireProfiles && failing.length) return { level: 2, why: failing.map(([id, p]) => `${id}: ${p.failures.join('; ')}`).join(' | ') }
  return { level: 0, why: report.signature?.trusted ? 'valid, trusted signer' : 'valid, signer not trusted' }
}

const STATUS = ['ok', 'UNLABELLED', 'INVALID', 'UNREADABLE']

async function main() {
  let opts
  try {
    opts = parse(process.argv.slice(2))
  } catch (error) {
    console.error(`check-incoming: ${error.message}\n${USAGE}`)
    return 3
  }
  let summary
  try {
    summary = await verifyFiles(opts.inputs, {
      trust: opts.trust,
      ...(opts.profiles.length ? { profiles: opts.profiles } : {}),
      requireTrusted: opts.requireTrusted,
      config: false,
    })
  } catch (error) {
    console.error(`check-incoming: ${error.message}`)
    return 3
  } finally {
    await close()
  }
  const rows = summary.results.map((r) => ({ file: relative(process.cwd(), r.file ?? ''), status: r.status, aiMarked: r.aiMarked, ...verdict(r, opts) }))
  const exitCode = Math.max(0, ...rows.map((r) => r.level))
  if (opts.json) {
    console.log(JSON.stringify({ exitCode, counts: summary.counts, files: rows, skipped: summary.skipped }))
    return exitCode
  }
  for (const w of summary.warnings) console.error(`warning: ${w}`)
  for (const r of rows) console.log(`${STATUS[r.level].padEnd(10)} ${r.file}: ${r.why}`)
  for (const s of summary.skipped) console.log(`${'skipped'.padEnd(10)} ${s.file}: ${s.reason}`)
  const c = summary.counts
  console.log(`\n${c.total} file(s): ${c.valid} valid, ${c.invalid} invalid, ${c.unlabelled} unlabelled, ${c.error} unreadable, ${c.skipped} skipped → ${exitCode === 0 ? 'accepted' : 'REJECTED'} (exit ${exitCode})`)
  return exitCode
}

process.exitCode = await main()
