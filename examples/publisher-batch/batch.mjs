// A publisher's batch job, run with the real `tanba` command:
//
//   1. keys:   `tanba keygen` makes a private CA and a signing certificate (once; kept in out/keys)
//   2. stamp:  `tanba stamp out/incoming --out-dir out/labelled --config tanba.config.json`
//              (owner identity, AI system, profiles and keys come from the config file)
//   3. verify: `tanba verify out/labelled --trust out/keys/ca.pem --require-trusted`
//
// The exit status is verify's: 0 when every labelled file is valid and trusted.
// Run: pnpm --filter @tanba/example-publisher-batch start [-- --input <folder>] [-- --json]
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const OUT = join(HERE, 'out')
const FIXTURES = join(HERE, '..', '..', 'fixtures')
const BIN = join(dirname(createRequire(import.meta.url).resolve('@tanba/cli/package.json')), 'dist', 'bin.js')
const args = process.argv.slice(2)
const json = args.includes('--json')
const log = (line) => (json ? process.stderr : process.stdout).write(`${line}\n`)

/** Runs `tanba …` (the built command) and returns its exit status and output. */
function tanba(cliArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...cliArgs], { cwd: HERE, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A small mixed folder of the project's own sample files, nested like a real export. */
async function sampleInput(dir) {
  await rm(dir, { recursive: true, force: true })
  const files = {
    'photos/photo.jpg': 'image/photo.jpg',
    'photos/alpha.png': 'image/alpha.png',
    'photos/animated.webp': 'image/animated.webp',
    'articles/sample.md': 'text/sample.md',
    'articles/sample.html': 'text/sample.html',
    'podcast/programme.mp3': 'audio/programme.mp3',
    'podcast/programme.wav': 'audio/programme.wav',
    'reports/rotated.pdf': 'pdf/rotated.pdf',
  }
  for (const [to, from] of Object.entries(files)) {
    await mkdir(dirname(join(dir, to)), { recursive: true })
    await cp(join(FIXTURES, from), join(dir, to))
  }
}

if (!existsSync(BIN)) {
  console.error(`The tanba command is not built (${relative(process.cwd(), BIN)} is missing): run "pnpm build" at the repository root first.`)
  process.exit(3)
}
const at = args.indexOf('--input')
const input = at >= 0 ? args[at + 1] : join(OUT, 'incoming')
if (at < 0) await sampleInput(input)
const labelled = join(OUT, 'labelled')
await rm(labelled, { recursive: true, force: true })

// 1. Keys: once. A production deployment uses a certificate from a real CA (docs/certificates.md).
if (!existsSync(join(OUT, 'keys', 'signer.key'))) {
  const keygen = await tanba(['keygen', '--out', join(OUT, 'keys'), '--org', 'Example Media LLP', '--country', 'KZ', '--name', 'Example Media AI labelling'])
  if (keygen.code !== 0) throw new Error(`tanba keygen failed (${keygen.code}): ${keygen.stderr}`)
  log(`keys: made a private CA and signing certificate in ${relative(HERE, join(OUT, 'keys'))}/`)
} else log(`keys: using ${relative(HERE, join(OUT, 'keys'))}/`)

// 2. Stamp the folder with the identity and keys of tanba.config.json.
const stamped = await tanba(['stamp', input, '--out-dir', labelled, '--config', 'tanba.config.json', '--json'])
if (stamped.code !== 0) throw new Error(`tanba stamp failed (${stamped.code}): ${stamped.stderr}`)
const stampReport = JSON.parse(stamped.stdout)
const c = stampReport.summary
log(`stamp:  ${c.stamped} stamped, ${c.alreadyLabelled} already labelled, ${c.skipped} skipped, ${c.failed} failed (${c.elapsedMs} ms)`)

// 3. Verify what will be published, trusting only our CA.
const verified = await tanba(['verify', labelled, '--trust', join(OUT, 'keys', 'ca.pem'), '--require-trusted', '--json'])
const verifyReport = JSON.parse(verified.stdout)
for (const r of verifyReport.results) {
  const profiles = Object.entries(r.profiles).map(([id, p]) => `${id} ${p.pass ? 'ok' : 'FAIL'}`).join(', ')
  log(`  ${r.status.padEnd(10)} ${relative(HERE, r.file)}  signer ${r.signature?.trusted ? 'trusted' : 'NOT trusted'}; ${profiles}`)
}
const s = verifyReport.summary
log(`verify: ${s.valid} valid, ${s.invalid} invalid, ${s.unlabelled} unlabelled, ${s.error} unreadable; exit status ${verified.code}`)

if (json) {
  process.stdout.write(`${JSON.stringify({ stamp: stampReport.summary, stamped: stampReport.results.map((r) => ({ file: relative(input, r.input ?? r.file), status: r.status, carriers: r.carriers, messages: r.messages })), verify: verifyReport, exitCode: verified.code })}\n`)
}
process.exitCode = verified.code
