// The main job (`pnpm start`): stamps every sample file in fixtures/ into out/demo with the
// built `tanba` command and zero configuration, verifies the results and prints a table.
//
// The development key goes to out/.tanba-config (git-ignored, inside this clone) so the demo
// leaves nothing in your home folder; set TANBA_CONFIG_DIR to use another place.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = join(root, 'packages/cli/dist/bin.js')
const fixtures = join(root, 'fixtures')
const outDir = join(root, 'out/demo')
const env = { ...process.env, TANBA_CONFIG_DIR: process.env.TANBA_CONFIG_DIR || join(root, 'out/.tanba-config') }

if (!existsSync(bin)) {
  console.error('The tanba command is not built yet: run "pnpm build" first (pnpm start does it for you).')
  process.exit(1)
}
const countFiles = (dir) => (existsSync(dir) ? readdirSync(dir, { recursive: true }).filter((f) => !String(f).split('/').some((p) => p.startsWith('.')) && statSync(join(dir, String(f))).isFile()).length : 0)
if (countFiles(fixtures) === 0) {
  console.log('fixtures/ is empty: generating the sample files first (pnpm fixtures).')
  run(process.execPath, [join(root, 'scripts/make-fixtures.mjs')], { stdio: 'inherit' })
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 1024 ** 2, ...options })
  if (r.error) throw r.error
  return r
}

const tanba = (...args) => run(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })

// A fresh output folder each time, so the demo always shows a full stamp.
rmSync(outDir, { recursive: true, force: true })
console.log(`Stamping ${relative(root, fixtures)}/ into ${relative(root, outDir)}/ (development key in ${relative(root, env.TANBA_CONFIG_DIR) || env.TANBA_CONFIG_DIR})\n`)
// The fixtures' README files describe the samples; they are not samples themselves.
const stamped = tanba('stamp', 'fixtures', '--out-dir', relative(root, outDir), '--exclude', '**/README.md', '--json')
if (stamped.status === null || !stamped.stdout.trim()) {
  console.error(`tanba stamp did not finish (exit ${stamped.status}, signal ${stamped.signal}).`)
  process.exit(1)
}
const stampDoc = JSON.parse(stamped.stdout)
// Formats whose default stamp cannot carry the perceivable notice (an AAC or Opus encoder, video
// frames: see `tanba formats`) are stamped again without it, machine-readable carriers only, as
// their refusal message says; the table marks them "stamped, no notice".
const noNotice = stampDoc.results.filter((r) => r.status === 'error' && r.error.code === 'TANBA_UNSUPPORTED_FORMAT' && /--no-visible|visible: false/.test(r.error.message))
// One run per folder, into the same place in out/demo the first run would have used.
const byFolder = new Map()
for (const r of noNotice) byFolder.set(dirname(r.input), [...(byFolder.get(dirname(r.input)) ?? []), r])
for (const [folder, files] of byFolder) {
  const again = tanba('stamp', ...files.map((r) => relative(root, r.input)), '--out-dir', relative(root, join(outDir, relative(fixtures, folder))), '--no-visible', '--json')
  const doc = JSON.parse(again.stdout)
  const byInput = new Map(doc.results.map((r) => [r.input, r]))
  stampDoc.results = stampDoc.results.map((r) => (files.includes(r) && byInput.get(r.input) ? { ...byInput.get(r.input), noNotice: true } : r))
  stampDoc.summary.stamped += doc.summary.stamped
  stampDoc.summary.failed -= doc.summary.stamped
}
const verified = tanba('verify', relative(root, outDir), '--json')
const verifyDoc = JSON.parse(verified.stdout)

const REFUSAL_TEXT = { TANBA_UNSUPPORTED_FORMAT: 'refused: format not supported', TANBA_ENCRYPTED_INPUT: 'refused: needs its password' }
const byOutput = new Map(verifyDoc.results.map((r) => [join(root, r.file), r]))
const rows = stampDoc.results.map((s) => {
  const v = s.output ? byOutput.get(s.output) : undefined
  const markers = v ? [...new Set(v.markers.map((m) => m.standard))].join(', ') : ''
  const profiles = v ? Object.entries(v.profiles).map(([id, p]) => `${id}:${p.pass ? 'pass' : 'fail'}`).join(' ') : ''
  return {
    file: relative(fixtures, s.input),
    format: s.format ?? '-',
    stamp: s.status === 'error' ? (REFUSAL_TEXT[s.error.code] ?? `error ${s.error.code}`) : s.noNotice ? `${s.status}, no notice` : s.status,
    carriers: (s.carriers ?? []).join(', ') || '-',
    verify: v ? v.status : '-',
    signature: v?.signature ? (v.signature.valid ? (v.signature.trusted ? 'trusted' : 'valid, untrusted') : 'INVALID') : '-',
    binding: v?.binding ? (v.binding.valid ? 'intact' : 'CHANGED') : '-',
    markers: markers || '-',
    profiles: profiles || '-',
  }
})

const head = { file: 'file', format: 'format', stamp: 'stamp', carriers: 'carriers written', verify: 'verify', signature: 'signature', binding: 'binding', markers: 'markers found', profiles: 'profiles' }
const cols = Object.keys(head)
const width = Object.fromEntries(cols.map((c) => [c, Math.max(head[c].length, ...rows.map((r) => String(r[c]).length))]))
const line = (r) => '| ' + cols.map((c) => String(r[c]).padEnd(width[c])).join(' | ') + ' |'
console.log(line(head))
console.log('|' + cols.map((c) => '-'.repeat(width[c] + 2)).join('|') + '|')
for (const r of rows) console.log(line(r))

const s = stampDoc.summary
const v = verifyDoc.summary
const refused = stampDoc.results.filter((r) => r.status === 'error' && REFUSAL_TEXT[r.error.code]).length
console.log(`\nStamped ${s.stamped} of ${s.total} files (${s.alreadyLabelled} already labelled, ${s.skipped} skipped, ${refused} refused as they should be, ${s.failed - refused} failed) in ${(s.elapsedMs / 1000).toFixed(1)} s.`)
console.log(`Verified ${v.total}: ${v.valid} valid, ${v.invalid} invalid, ${v.unlabelled} unlabelled, ${v.error} unreadable.`)
if (noNotice.length) console.log(`${noNotice.length} file(s) were stamped without a perceivable notice, as their formats cannot take one yet (see "pnpm tanba formats"); the law asks for one, so use formats that can where you must.`)
if (s.developmentKey) console.log('Signed with the development key, so every signature is "valid, untrusted". Run "pnpm tanba keygen --out keys" for your own.')

// Success: every file that was stamped verifies as valid, and nothing failed but the samples
// that are meant to be refused: formats Tanba recognises and declares unsupported, and
// password-protected files (which need the password to be labelled).
const EXPECTED_REFUSALS = ['TANBA_UNSUPPORTED_FORMAT', 'TANBA_ENCRYPTED_INPUT']
const unexpected = stampDoc.results.filter((r) => r.status === 'error' && !EXPECTED_REFUSALS.includes(r.error.code))
const notValid = verifyDoc.results.filter((r) => r.status !== 'valid')
if (s.stamped + s.alreadyLabelled === 0) {
  console.error('\nNothing was stamped: are there sample files in fixtures/?')
  process.exit(1)
}
if (unexpected.length || notValid.length) {
  for (const r of unexpected) console.error(`stamp failed: ${relative(root, r.input)}: ${r.error.message}`)
  for (const r of notValid) console.error(`not valid: ${r.file}: ${r.status} ${r.messages.filter((m) => m.fatal).map((m) => m.reason).join('; ')}`)
  process.exit(1)
}
console.log(`\nAll labels verify. Look at the files in ${relative(root, outDir)}/, or run: pnpm tanba inspect ${relative(root, outDir)}/<file>`)
