// Runs the gate on real files stamped by the SDK: accepted when all are labelled, rejected with
// the right exit status for unlabelled, tampered and unreadable files.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPemSigner, generateSigningCredentials, stamp } from 'tanba'

const dir = fileURLToPath(new URL('..', import.meta.url))
const root = join(dir, '..', '..')
let work: string

/** Runs the script; resolves with its exit status and output (a non-zero status is not an error here). */
function gate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(dir, 'check-incoming.mjs'), ...args], { cwd: work, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

beforeAll(async () => {
  // The SDK's batch helpers run on worker threads from the built packages; build when missing.
  if (!['packages/tanba/dist/node.js', 'packages/tanba/dist/worker.js'].every((p) => existsSync(join(root, p)))) {
    expect(spawnSync('pnpm', ['-r', '--filter', './packages/**', 'build'], { cwd: root, stdio: 'inherit' }).status).toBe(0)
  }
  work = await mkdtemp(join(tmpdir(), 'tanba-incoming-'))
  const creds = await generateSigningCredentials({ organization: 'Wire Agency', country: 'KZ' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const options = { signer, system: { name: 'Wire Writer' }, owner: { name: 'Wire Agency LLP', id: '123456789012' }, profiles: ['kz' as const] }
  await mkdir(join(work, 'good'), { recursive: true })
  await mkdir(join(work, 'bad'), { recursive: true })
  for (const [src, name] of [['image/photo.jpg', 'photo.jpg'], ['text/sample.md', 'article.md'], ['audio/programme.wav', 'clip.wav']]) {
    const out = await stamp(new Uint8Array(await readFile(join(root, 'fixtures', src!))), { ...options, filename: name! })
    await writeFile(join(work, 'good', name!), out.bytes)
  }
  await writeFile(join(work, 'ca.pem'), creds.caCertificatePem)
  const md = await readFile(join(work, 'good', 'article.md'), 'utf8')
  // One word of the body (after the front matter) changed: the label no longer matches.
  const body = md.indexOf('\n---\n', 4) + 5
  const at = md.indexOf('2026', body)
  expect(at).toBeGreaterThan(body)
  await writeFile(join(work, 'bad', 'tampered.md'), md.slice(0, at) + '2027' + md.slice(at + 4))
  await copyFile(join(root, 'fixtures', 'text', 'sample.txt'), join(work, 'bad', 'unlabelled.txt'))
  await writeFile(join(work, 'bad', 'broken.png'), Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13))
}, 300_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('examples/verify-incoming', () => {
  it('accepts a folder where every file carries an intact, trusted label (exit 0)', async () => {
    const r = await gate('good', '--trust', 'ca.pem', '--require-trusted', '--require-profiles')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^ok +good\/article\.md: valid, trusted signer$/m)
    expect(r.stdout).toMatch(/3 file\(s\): 3 valid, 0 invalid, 0 unlabelled, 0 unreadable, 0 skipped → accepted \(exit 0\)/)
  })

  it('rejects an unlabelled file with exit 1, unless unlabelled files are allowed', async () => {
    const r = await gate('good', 'bad/unlabelled.txt', '--trust', 'ca.pem')
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^UNLABELLED +bad\/unlabelled\.txt: no Tanba label$/m)
    expect((await gate('good', 'bad/unlabelled.txt', '--trust', 'ca.pem', '--allow-unlabelled')).code).toBe(0)
  })

  it('rejects a tampered file with exit 2 and says why', async () => {
    const r = await gate('good', 'bad/tampered.md', 'bad/unlabelled.txt', '--trust', 'ca.pem')
    expect(r.code).toBe(2)
    expect(r.stdout).toMatch(/^INVALID +bad\/tampered\.md: label broken \(binding\.mismatch\)$/m)
  })

  it('rejects an untrusted signer with --require-trusted, and a profile failure with --require-profiles', async () => {
    expect((await gate('good', '--require-trusted')).code).toBe(2) // no --trust: nobody is trusted
    const cn = await gate('good', '--trust', 'ca.pem', '--profile', 'cn', '--require-profiles', '--json')
    expect(cn.code).toBe(2)
    const summary = JSON.parse(cn.stdout)
    expect(summary.files.every((f: { why: string }) => /^cn: /.test(f.why))).toBe(true)
  })

  it('reports an unreadable file with exit 3, and a usage error with exit 3', async () => {
    const r = await gate('bad', '--json')
    expect(r.code).toBe(3)
    const summary = JSON.parse(r.stdout)
    expect(summary.counts).toMatchObject({ total: 3, invalid: 1, unlabelled: 1, error: 1 })
    expect(summary.files.find((f: { file: string }) => f.file === 'bad/broken.png')).toMatchObject({ status: 'error', level: 3 })
    const usage = await gate('--frobnicate')
    expect(usage.code).toBe(3)
    expect(usage.stderr).toMatch(/unknown option --frobnicate/)
  })
})
