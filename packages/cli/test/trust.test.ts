import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { close, generateSigningCredentials } from 'tanba/node'
import { ensureBuilt, tanba, tempDir, type RunResult } from './helpers.js'
import { hasOpenssl, startTsa, type LocalTsa } from '../../core/test/tsa-kit.js'

const work = tempDir()
const configDir = join(work, 'config')
const TEXT = 'Алматы — Қазақстанның ең үлкен қаласы.\n'

async function run(args: string[]): Promise<RunResult> {
  return tanba(args, { cwd: work, configDir })
}

beforeAll(async () => {
  ensureBuilt()
  mkdirSync(configDir, { recursive: true })
  const keygen = await run(['keygen', '--out', 'keys', '--org', 'Trust Tests LLP'])
  expect(keygen.code, keygen.stderr).toBe(0)
  writeFileSync(join(work, 'a.txt'), TEXT)
}, 600_000)

describe('tanba stamp --key A --cert B (a key and a certificate that do not match)', () => {
  it('refuses before any work: InvalidKeyError, exit 3, no output file, nothing on stdout', async () => {
    const other = await generateSigningCredentials({ commonName: 'Someone else' })
    writeFileSync(join(work, 'other.pem'), other.chainPem)
    mkdirSync(join(work, 'out'), { recursive: true })
    for (const extra of [[], ['--json']]) {
      const r = await run(['stamp', 'a.txt', '--out-dir', 'out', '--key', 'keys/signer.key', '--cert', 'other.pem', ...extra])
      expect(r.code, r.stderr).toBe(3)
      expect(r.stderr + r.stdout).toMatch(/certificate chain \(--cert\) to start with the certificate of the signing key \(--key\)/)
      if (!extra.length) expect(r.stdout).toBe('')
      expect(readdirSync(join(work, 'out'))).toEqual([])
    }
    // The matching pair still works.
    const ok = await run(['stamp', 'a.txt', '-o', 'out/a.txt', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(existsSync(join(work, 'out/a.txt'))).toBe(true)
  })
})

const openssl = await hasOpenssl()
if (!openssl) console.warn('SKIPPED: tanba stamp --tsa needs the openssl CLI for its local TSA')

describe.skipIf(!openssl)('tanba stamp --tsa URL / verify --tsa-trust', () => {
  let tsa: LocalTsa
  beforeAll(async () => {
    tsa = await startTsa()
    writeFileSync(join(work, 'tsa-root.pem'), tsa.root.pem)
  })
  afterAll(async () => {
    await tsa?.close()
    await close()
  })

  it('time-stamps the label with a real TSA; verify trusts the time-stamp only with --tsa-trust', async () => {
    const r = await run(['stamp', 'a.txt', '-o', 'ts.txt', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem', '--tsa', tsa.url])
    expect(r.code, r.stderr).toBe(0)
    expect(tsa.requests()).toBeGreaterThanOrEqual(1)
    const v = await run(['verify', 'ts.txt', '--trust', 'keys/signer.pem', '--tsa-trust', 'tsa-root.pem', '--require-trusted', '--json'])
    expect(v.code, v.stdout + v.stderr).toBe(0)
    const signature = JSON.parse(v.stdout).results[0].signature
    expect(signature).toMatchObject({ valid: true, trusted: true, timestamp: { trusted: true, tsa: expect.stringContaining('Test TSA') } })
    expect(signature.checkedAt).toBe(signature.timestamp.time)
    // Without the TSA root the token is reported but not used: the certificate is checked now.
    const plain = await run(['verify', 'ts.txt', '--trust', 'keys/signer.pem', '--json'])
    expect(JSON.parse(plain.stdout).results[0].signature).toMatchObject({ trusted: true, timestamp: { trusted: false } })
  })

  it('a bad --tsa URL is a usage error before any file is written; an unreachable TSA writes nothing', async () => {
    const bad = await run(['stamp', 'a.txt', '-o', 'bad.txt', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem', '--tsa', 'ftp://example.org/tsa'])
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(/--tsa/)
    const down = await run(['stamp', 'a.txt', '-o', 'down.txt', '--key', 'keys/signer.key', '--cert', 'keys/signer.pem', '--tsa', 'http://127.0.0.1:9/tsa'])
    expect(down.code).not.toBe(0)
    expect(down.stderr).toMatch(/time-stamping authority at http:\/\/127\.0\.0\.1:9\/tsa/)
    expect(existsSync(join(work, 'bad.txt')) || existsSync(join(work, 'down.txt'))).toBe(false)
  })
})
