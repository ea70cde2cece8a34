// Crash safety of the batch stamper, beyond cli.test.ts (which kills a text-only batch at fixed
// moments): a mixed folder of every media kind (sharp, the C2PA helper process, ExifTool, PDF and
// audio writers all busy), SIGKILL at seeded random moments over many runs, helper processes that
// must not outlive the killed command, and a real key whose material must never show up in any
// output, log, error message or stamped file. TANBA_FUZZ_RUNS raises the number of kills.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { buildTrustStore, close, generateSigningCredentials, verify } from 'tanba/node'
import { BIN, ensureBuilt, hashTree, listFiles, ROOT, tempDir } from './helpers.js'

const KILLS = Number(process.env.TANBA_FUZZ_RUNS) > 0 ? 40 : 8
const work = tempDir('tanba-crash-')
const configDir = join(work, 'config')
const outputs: string[] = []

/**
 * A mixed folder: every fixture of every kind, twice, plus Kazakh text. Left out: the encrypted PDF
 * and the M4A/Ogg/Opus files, which a batch with the audible notice refuses by design.
 */
function makeInputs(dir: string): string[] {
  for (const kind of ['image', 'pdf', 'audio', 'text']) {
    const from = join(ROOT, 'fixtures', kind)
    for (const f of readdirSync(from).filter((x) => !/^README/.test(x) && !/\.(md|m4a|ogg|opus)$/.test(x) && !x.startsWith('encrypted'))) {
      for (const copy of ['a', 'b']) {
        const to = join(dir, kind, copy, f)
        mkdirSync(join(to, '..'), { recursive: true })
        copyFileSync(join(from, f), to)
      }
    }
  }
  for (let i = 0; i < 30; i++) {
    const to = join(dir, 'posts', `p${i}.md`)
    mkdirSync(join(to, '..'), { recursive: true })
    writeFileSync(to, `# Пост ${i}\n\nАлматы — Қазақстанның ең үлкен қаласы. ${'Таңертең күн шығып, тау етегіндегі алма бақтары жарқырады. '.repeat(1 + (i % 9))}\n`)
  }
  return listFiles(dir)
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  ms: number
  /** Helper processes (descendants) seen while it ran. */
  helpers: number[]
}

/**
 * Runs `tanba args`; with `killWhen`, kills it with SIGKILL as soon as `killWhen()` holds (polled
 * every few ms). Kills keyed to what the batch has written, not to a time, land in the middle of
 * the batch however busy the machine is. Records its descendants.
 */
function run(args: string[], cwd: string, killWhen?: () => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, TANBA_CONFIG_DIR: configDir, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
    const helpers = new Set<number>()
    const watch = setInterval(() => {
      for (const pid of descendants(child.pid!)) helpers.add(pid)
    }, 20)
    // A hang guard, not a time budget.
    const guard = setTimeout(() => child.kill('SIGKILL'), 600_000)
    const poll = killWhen
      ? setInterval(() => {
          if (child.exitCode !== null || child.signalCode !== null || !killWhen()) return
          for (const pid of descendants(child.pid!)) helpers.add(pid)
          child.kill('SIGKILL')
          clearInterval(poll)
        }, 3)
      : undefined
    const timer = { clear: () => (clearTimeout(guard), poll && clearInterval(poll)) }
    child.on('error', reject)
    child.on('close', (code, signal) => {
      timer.clear()
      clearInterval(watch)
      outputs.push(out)
      resolve({ code, signal, ms: performance.now() - t0, helpers: [...helpers] })
    })
  })
}

/** Every live descendant of `pid` (from /proc, Linux). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = []
  const todo = [pid]
  while (todo.length) for (const c of children.get(todo.pop()!) ?? []) (out.push(c), todo.push(c))
  return out
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z/.test(stat) // a zombie has ended
  } catch {
    return false
  }
}

/** A seeded PRNG, so the kill moments of a failing run can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

let keyBody = ''
let keyDer: Buffer
beforeAll(async () => {
  ensureBuilt()
  mkdirSync(configDir, { recursive: true })
  const keygen = await run(['keygen', '--out', join(work, 'keys')], work)
  expect(keygen.code).toBe(0)
  const pem = readFileSync(join(work, 'keys/signer.key'), 'utf8')
  keyBody = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
  keyDer = Buffer.from(keyBody, 'base64')
}, 600_000)

afterAll(async () => {
  await close()
  // Private keys never appear in any output, log or error message.
  const all = outputs.join('\n')
  expect(all).not.toMatch(/PRIVATE KEY/)
  expect(keyBody.length).toBeGreaterThan(100)
  const flat = all.replace(/\s+/g, '')
  // The PEM body ends with the public key, which the certificate (in every label's x5c) carries too:
  // only the windows before it are secret. The private scalar itself is checked in every encoding.
  const secret = keyBody.slice(0, keyBody.length - 96)
  for (let i = 0; i + 40 <= secret.length; i += 20) expect(flat).not.toContain(secret.slice(i, i + 40))
  const d = createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).d!
  const scalar = Buffer.from(d, 'base64url')
  for (const form of [d, scalar.toString('base64'), scalar.toString('hex')]) expect(flat).not.toContain(form.slice(0, 32))
})

// Helper processes are found through /proc (Linux).
describe.skipIf(process.platform !== 'linux')('crash safety of the batch stamper on a mixed folder', () => {
  it(`SIGKILL at ${KILLS} random moments: no partial output, inputs untouched, no helper left running; a rerun completes the set`, async () => {
    const dir = join(work, 'batch')
    const inputs = makeInputs(join(dir, 'in'))
    const before = hashTree(join(dir, 'in'))
    const keyArgs = ['--key', join(work, 'keys/signer.key'), '--cert', join(work, 'keys/signer.pem'), '--owner', 'Tanba Crash Tests LLP', '--owner-id', '123456789012', '--generator', 'Crash Generator']
    // One full run elsewhere gives the complete set of outputs the killed runs are compared with.
    const full = await run(['stamp', 'in', '--out-dir', 'full', '--concurrency', '2', '--json', ...keyArgs], dir)
    expect(full.code, outputs.at(-1)).toBe(0)
    const expected = listFiles(join(dir, 'full'))
    expect(expected.length).toBeGreaterThan(0)
    const trust = await buildTrustStore([readFileSync(join(work, 'keys/ca.pem'), 'utf8'), readFileSync(join(work, 'keys/signer.pem'), 'utf8')])
    const random = rng(20260301)
    let killedMidway = 0
    const leftovers: string[] = []
    const log: Array<{ killAfterFiles: number; killed: boolean; code: number | null; complete: number; temporary: number; helpers: number; tail?: string }> = []
    for (let k = 0; k < KILLS; k++) {
      // Every other kill starts from an empty output folder; the others resume what the last one left.
      if (k % 2 === 0) rmSync(join(dir, 'out'), { recursive: true, force: true })
      // Kill once the batch has written `at` more files than it started with (complete outputs and
      // temporary files alike, so some kills land in the middle of a write), or once its helper
      // processes are up when `at` is 0.
      const started = listFiles(join(dir, 'out')).length
      const at = Math.floor(random() * Math.max(1, expected.length - started))
      const r = await run(['stamp', 'in', '--out-dir', 'out', '--concurrency', '2', ...keyArgs], dir, () => listFiles(join(dir, 'out')).length - started >= Math.max(1, at))
      const done = listFiles(join(dir, 'out')).filter((f) => !basename(f).includes('.tanba-tmp-'))
      if (r.signal === 'SIGKILL' && done.length < expected.length) killedMidway++
      log.push({ killAfterFiles: at, killed: r.signal === 'SIGKILL', code: r.code, ...(r.code ? { tail: outputs.at(-1)!.slice(-600) } : {}), complete: done.length, temporary: listFiles(join(dir, 'out')).length - done.length, helpers: r.helpers.length })
      // The inputs are byte-for-byte what they were.
      expect(hashTree(join(dir, 'in')), `kill ${k} after ${at} files`).toEqual(before)
      // Every output present is complete: it verifies as valid with the publisher's trust.
      for (const f of done) {
        const report = await verify(new Uint8Array(readFileSync(join(dir, 'out', f))), { filename: f, trust, c2pa: false })
        expect(report.status, `kill ${k} after ${at} files: ${f} ${JSON.stringify(report.messages.filter((m) => m.fatal))}`).toBe('valid')
      }
      // Helper processes (C2PA worker, ExifTool) end with the command instead of lingering.
      await new Promise((res) => setTimeout(res, 500))
      for (let wait = 0; wait < 40 && r.helpers.some(alive); wait++) await new Promise((res) => setTimeout(res, 100))
      for (const pid of r.helpers.filter(alive)) {
        leftovers.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160)}`)
        process.kill(pid, 'SIGKILL')
      }
    }
    mkdirSync(join(ROOT, 'out/hardening'), { recursive: true })
    writeFileSync(join(ROOT, 'out/hardening/crash-safety.json'), JSON.stringify({ files: expected.length, kills: log }, null, 2))
    expect(killedMidway, 'too few kills landed in the middle of the batch').toBeGreaterThanOrEqual(KILLS / 2)
    expect(leftovers, 'helper processes outlived the killed command').toEqual([])
    // The rerun stamps only what is missing, removes stale temporary files, and completes the set.
    const rerun = await run(['stamp', 'in', '--out-dir', 'out', '--concurrency', '2', '--json', ...keyArgs], dir)
    expect(rerun.code, outputs.at(-1)).toBe(0)
    const summary = JSON.parse(outputs.at(-1)!.slice(outputs.at(-1)!.indexOf('{'))).summary
    expect(summary.total).toBe(inputs.length)
    expect(summary.failed).toBe(0)
    const all = listFiles(join(dir, 'out'))
    expect(all.filter((f) => basename(f).includes('.tanba-tmp-'))).toEqual([])
    expect(all).toEqual(expected)
    for (const f of all) {
      const report = await verify(new Uint8Array(readFileSync(join(dir, 'out', f))), { filename: f, trust, c2pa: false })
      expect(report.status, f).toBe('valid')
      expect(report.signature?.trusted, f).toBe(true)
    }
    // The key material is in no stamped file either (PEM body or DER).
    for (const f of all) {
      const bytes = readFileSync(join(dir, 'out', f))
      expect(bytes.includes(keyDer), f).toBe(false)
      expect(bytes.includes(Buffer.from(keyBody.slice(40, 100))), f).toBe(false)
    }
  }, 900_000)

  it('key errors name the file and the problem, never the key', async () => {
    const dir = join(work, 'errors')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'post.txt'), 'Алматы — Қазақстанның ең үлкен қаласы.\n')
    const pem = readFileSync(join(work, 'keys/signer.key'), 'utf8')
    const lines = pem.trim().split('\n')
    // A key with one character of its body changed, one cut short, one that is a certificate, and a mismatched chain.
    writeFileSync(join(dir, 'damaged.key'), [lines[0], lines[1]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), ...lines.slice(2)].join('\n'))
    writeFileSync(join(dir, 'short.key'), [lines[0], lines[1], lines.at(-1)].join('\n'))
    const other = await generateSigningCredentials({ commonName: 'Someone else' })
    writeFileSync(join(dir, 'other.pem'), other.chainPem)
    const cases = [
      ['--key', join(dir, 'damaged.key')],
      ['--key', join(dir, 'short.key')],
      ['--key', join(work, 'keys/signer.pem')],
      ['--key', join(work, 'keys/signer.key'), '--cert', join(dir, 'other.pem')],
    ]
    for (const extra of cases) {
      const r = await run(['stamp', 'post.txt', '-o', 'out.txt', ...extra], dir)
      const text = outputs.at(-1)!
      if (r.code !== 0) expect(text, extra.join(' ')).toMatch(/key|certificate/i)
      expect(text).not.toMatch(/PRIVATE KEY/)
      for (const line of lines.slice(1, -1)) expect(text.replace(/\s+/g, '')).not.toContain(line.slice(0, 40))
    }
    expect(existsSync(join(dir, 'post.txt'))).toBe(true)
  }, 120_000)
})
