// "Using Tanba from another project" (docs/sdk.md), as written: pack every package, install the
// tarballs with npm into an empty project outside the workspace, and use the SDK and the command.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..', '..')
const OUT = join(tmpdir(), `tanba-pack-${process.pid}`)

describe('using Tanba from another project (pnpm pack tarballs)', () => {
  it('installs with npm into an empty project; the SDK stamps and verifies and the command runs', async () => {
    if (!['packages/cli/dist/bin.js', 'packages/tanba/dist/index.js'].every((p) => existsSync(join(ROOT, p)))) {
      expect(spawnSync('pnpm', ['-r', '--filter', './packages/**', 'build'], { cwd: ROOT, stdio: 'inherit' }).status).toBe(0)
    }
    await rm(OUT, { recursive: true, force: true })
    const packs = join(OUT, 'packs')
    const app = join(OUT, 'my-app')
    await mkdir(app, { recursive: true })
    const pnpm = spawnSync('pnpm', ['--version']).status === 0 ? ['pnpm'] : ['npx', '--yes', 'pnpm@10']
    await run(pnpm[0]!, [...pnpm.slice(1), '-r', '--filter', './packages/**', 'pack', '--pack-destination', packs], { cwd: ROOT, timeout: 300_000 })
    const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'))
    expect(tarballs.length).toBe(readdirSync(join(ROOT, 'packages')).filter((p) => existsSync(join(ROOT, 'packages', p, 'package.json'))).length)
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'my-app', private: true, type: 'module' }))
    await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs.map((t) => join(packs, t))], { cwd: app, timeout: 900_000 })
    // Every @tanba package resolved to the tarballs, none from the registry.
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> }
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (/node_modules\/(@tanba\/[^/]+|tanba)$/.test(path)) expect(entry.resolved ?? '', path).toMatch(/^file:/)
    }
    await copyFile(join(ROOT, 'fixtures/text/sample.md'), join(app, 'story.md'))
    await writeFile(
      join(app, 'index.mjs'),
      `import { readFile } from 'node:fs/promises'
import { createPemSigner, generateSigningCredentials, stamp, verify } from 'tanba'
const credentials = await generateSigningCredentials({ commonName: 'My App signer' })
const signer = await createPemSigner({ privateKey: credentials.privateKeyPem, certificateChain: credentials.chainPem })
const input = new Uint8Array(await readFile('story.md'))
const result = await stamp(input, { signer, filename: 'story.md', system: { name: 'My App' }, owner: { name: 'My LLP' } })
const report = await verify(result.bytes, { filename: 'story.md' })
console.log(report.status)
`,
    )
    const env = { ...process.env, TANBA_CONFIG_DIR: join(OUT, 'config') }
    const sdk = await run(process.execPath, ['index.mjs'], { cwd: app, env, timeout: 120_000 })
    expect(sdk.stdout.trim()).toBe('valid')
    const cli = await run('npx', ['--no-install', 'tanba', 'formats', '--json'], { cwd: app, env, timeout: 120_000 })
    expect((JSON.parse(cli.stdout) as { formats: unknown[] }).formats.length).toBeGreaterThan(15)
    await rm(OUT, { recursive: true, force: true })
  }, 1_200_000)
})
