import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { WorkerPool } from '../src/pool.js'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { childProcesses, countingOpens, createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import type { AdapterEntry } from '@tanba/core'
import {
  ADAPTERS,
  close,
  createCallbackSigner,
  createRegistry,
  detect,
  exitCodeFor,
  expandInputs,
  globBase,
  inspect,
  inspectFile,
  loadConfig,
  stamp,
  stampFile,
  stampFiles,
  TrustStore,
  UnrecognisedFormatError,
  validateConfig,
  verify,
  verifyFile,
  verifyFiles,
  writeSigningCredentials,
  type BatchProgress,
} from 'tanba/node'

const CORPUS = new URL('../../../../shared/corpus/media/', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'tanba-sdk-'))
process.env.TANBA_CONFIG_DIR = join(work, 'config')
const kinds = new Set(ADAPTERS.map((a) => a.kind))
const owner = { name: 'Tanba Tests LLP', id: '123456789012', country: 'KZ' }
const system = { name: 'Test Generator', model: 'tg-1' }

/** Real sample files of the kinds whose adapters exist: the shared corpus, else fixtures. */
function samples(): Array<{ name: string; path: string }> {
  const out: Array<{ name: string; path: string }> = []
  const pick: Record<string, string> = { pdf: 'basic.pdf', audio: 'sample1.wav', image: 'sample1.png' }
  for (const [kind, file] of Object.entries(pick)) if (kinds.has(kind as never) && existsSync(join(CORPUS, file))) out.push({ name: file, path: join(CORPUS, file) })
  return out
}


let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})
afterAll(() => close())

const TEXT = 'Алматы — Қазақстанның ең үлкен қаласы.\nАлматы — крупнейший город Казахстана.\n'

describe('registry and detection', () => {
  it('registers every adapter, binary formats before text', () => {
    const order = ADAPTERS.map((a) => a.kind)
    expect(order.length).toBeGreaterThan(0)
    const textAt = order.indexOf('text')
    if (textAt >= 0) expect(textAt).toBe(order.length - 1)
    expect(createRegistry().entries.map((e) => e.name)).toEqual(ADAPTERS.map((a) => a.name))
  })

  it('detects by media type, extension, then magic bytes, and refuses junk', () => {
    for (const s of samples()) {
      const bytes = new Uint8Array(readFileSync(s.path))
      const byMagic = detect(bytes)
      expect(byMagic.by).toBe('magic')
      expect(detect(bytes, { filename: s.name }).format.id).toBe(byMagic.format.id)
      expect(detect(bytes, { mediaType: byMagic.format.mediaTypes[0]! }).by).toBe('media-type')
    }
    expect(() => detect(new Uint8Array([0, 159, 146, 150, 0, 0, 1]), { filename: 'x.bin' })).toThrow(UnrecognisedFormatError)
  })
})

describe('stamp, verify, inspect on bytes', () => {
  it('stamps without touching the input, verifies valid and trusted, and keeps an already-labelled input', async () => {
    const list = samples()
    expect(list.length).toBeGreaterThan(0)
    for (const s of list) {
      const input = new Uint8Array(readFileSync(s.path))
      const copy = input.slice()
      const out = await stamp(input, { signer: creds.signer, owner, system, c2pa: false, filename: s.name })
      expect(Buffer.from(input).equals(Buffer.from(copy))).toBe(true)
      expect(out.alreadyLabelled).toBe(false)
      expect(out.bytes.length).toBeGreaterThan(0)
      expect(Buffer.from(out.bytes).equals(Buffer.from(input))).toBe(false)
      expect(out.label?.owner).toEqual(owner)

      const report = await verify(out.bytes, { trust: creds.trust, filename: s.name })
      expect(report.status, JSON.stringify(report.messages)).toBe('valid')
      expect(report.signature).toMatchObject({ valid: true, trusted: true })
      expect((await verify(out.bytes)).signature?.trusted).toBe(false)

      const again = await stamp(out.bytes, { signer: creds.signer, owner, system, c2pa: false })
      expect(again.alreadyLabelled).toBe(true)
      expect(again.bytes).toBe(out.bytes)
      expect(again.label?.id).toBe(out.label?.id)
      expect(again.messages[0]?.rule).toBe('stamp.already-labelled')

      const forced = await stamp(out.bytes, { signer: creds.signer, owner, system, c2pa: false, force: true })
      expect(forced).toMatchObject({ alreadyLabelled: false, replaced: true })
      expect(forced.label?.id).not.toBe(out.label?.id)
      const fr = await verify(forced.bytes, { trust: creds.trust })
      expect(fr.status).toBe('valid')
      expect(fr.label?.id).toBe(forced.label?.id)

      const seen = await inspect(out.bytes, { filename: s.name })
      expect(seen.aiMarked).toBe(true)
      expect(seen.labels.length).toBeGreaterThan(0)
      expect(seen.labels.every((l) => l.label?.id === out.label?.id)).toBe(true)
    }
  })

  it('opens each file once per operation: stamp (its look for an earlier label included), verify, inspect', async () => {
    let count = () => 0
    const entries: AdapterEntry[] = ADAPTERS.map((entry) => ({
      ...entry,
      load: async () => {
        const counted = countingOpens(await entry.load())
        const before = count
        count = () => before() + counted.opens()
        return counted.adapter
      },
    }))
    const registry = createRegistry({ adapters: entries })
    const inputs = [...samples().map((s) => ({ name: s.name, bytes: new Uint8Array(readFileSync(s.path)) })), { name: 'a.txt', bytes: new TextEncoder().encode(TEXT) }]
    for (const { name, bytes } of inputs) {
      const start = count()
      const out = await stamp(bytes, { signer: creds.signer, owner, system, c2pa: false, filename: name, registry })
      expect(count() - start, `${name}: stamp`).toBe(1)
      await verify(out.bytes, { trust: creds.trust, filename: name, registry })
      expect(count() - start, `${name}: verify`).toBe(2)
      await inspect(out.bytes, { filename: name, registry })
      expect(count() - start, `${name}: inspect`).toBe(3)
      expect((await stamp(out.bytes, { signer: creds.signer, owner, system, c2pa: false, filename: name, registry })).alreadyLabelled).toBe(true)
      expect(count() - start, `${name}: restamp look`).toBe(4)
    }
  })

  it('reports unknown and unlabelled input without throwing', async () => {
    const junk = await verify(new Uint8Array([1, 2, 3, 0, 0, 250]), { file: 'junk.bin', filename: 'junk.bin' })
    expect(junk).toMatchObject({ file: 'junk.bin', status: 'error', error: { code: 'TANBA_UNRECOGNISED_FORMAT' } })
    for (const s of samples()) expect((await verify(new Uint8Array(readFileSync(s.path)))).status).toBe('unlabelled')
    await expect(stamp('text' as unknown as Uint8Array, { signer: creds.signer, owner, system })).rejects.toThrow(/Uint8Array/)
    await expect(inspect(new Uint8Array([0, 0, 0, 9]))).rejects.toMatchObject({ code: 'TANBA_UNRECOGNISED_FORMAT' })
  })
})

describe('files', () => {
  it('stampFile needs an output or inPlace, uses the development key with a warning, never modifies the input', async () => {
    const s = samples()[0]!
    const dir = join(work, 'file')
    mkdirSync(dir, { recursive: true })
    const input = join(dir, s.name)
    copyFileSync(s.path, input)
    await expect(stampFile(input, {})).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
    await expect(stampFile(input, { output: input })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
    const before = readFileSync(input)
    const r = await stampFile(input, { output: join(dir, 'out', s.name), owner, system, c2pa: false, config: false })
    expect(r).toMatchObject({ status: 'stamped', developmentKey: true })
    expect(r.warnings.join('\n')).toMatch(/development key/)
    expect(readFileSync(input).equals(before)).toBe(true)
    const report = await verifyFile(join(dir, 'out', s.name), { config: false })
    expect(report.status).toBe('valid')
    expect(report.signature?.trusted).toBe(false)
    const devCa = readFileSync(join(process.env.TANBA_CONFIG_DIR!, 'dev-key/ca.pem'), 'utf8')
    expect((await verifyFile(join(dir, 'out', s.name), { trust: await TrustStore.from({ pem: devCa }) })).signature?.trusted).toBe(true)
    expect((await inspectFile(join(dir, 'out', s.name))).labels.length).toBeGreaterThan(0)
    const missing = await verifyFile(join(dir, 'nope.pdf'))
    expect(missing).toMatchObject({ status: 'error', error: { code: 'ENOENT' } })
  })

  it('stampFiles keeps relative paths, reports progress, signs in the main thread, skips finished outputs on a rerun', async () => {
    const list = samples()
    const src = join(work, 'batch/in')
    const names: string[] = []
    for (let i = 0; i < 6; i++) {
      const s = list[i % list.length]!
      const rel = join(`d${i % 2}`, `${i}-${s.name}`)
      mkdirSync(join(src, `d${i % 2}`), { recursive: true })
      copyFileSync(s.path, join(src, rel))
      names.push(rel)
    }
    writeFileSync(join(src, 'd0', 'unknown.xyz'), new Uint8Array([0, 1, 2, 3]))
    // A KMS-style signer: the workers never hold the key, they ask the main thread.
    let signatures = 0
    const signer = await createCallbackSigner({
      alg: creds.signer.alg,
      publicKey: creds.signer.publicKey,
      certificates: creds.signer.certificates!,
      sign: (data) => {
        signatures++
        return creds.signer.sign(data)
      },
    })
    const progress: BatchProgress[] = []
    const summary = await stampFiles([src], { outDir: join(work, 'batch/out'), signer, owner, system, c2pa: false, config: false, concurrency: 2, onProgress: (p) => progress.push(p) })
    expect(summary.counts).toMatchObject({ total: 7, stamped: 6, skipped: 1, failed: 0 })
    expect(summary.results.find((r) => r.file.endsWith('unknown.xyz'))?.reason).toMatch(/not a format/)
    expect(summary.concurrency).toBe(2)
    expect(signatures).toBe(6)
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(progress.at(-1)).toMatchObject({ total: 7, done: 7 })
    expect(progress.at(-1)!.rate).toBeGreaterThan(0)
    const outFiles = (readdirSync(join(work, 'batch/out'), { recursive: true }) as string[]).filter((f) => statSync(join(work, 'batch/out', f)).isFile()).sort()
    expect(outFiles).toEqual([...names].sort())

    const rerun = await stampFiles([src], { outDir: join(work, 'batch/out'), signer, owner, system, c2pa: false, config: false })
    expect(rerun.counts).toMatchObject({ stamped: 0, skipped: 7 })
    expect(signatures).toBe(6)
    const redo = await stampFiles([src], { outDir: join(work, 'batch/out'), signer, owner, system, c2pa: false, config: false, overwrite: true })
    // Overwrite stamps the (unlabelled) inputs again.
    expect(redo.counts).toMatchObject({ stamped: 6, alreadyLabelled: 0, skipped: 1 })
    expect(signatures).toBe(12)

    const checked = await verifyFiles([join(work, 'batch/out')], { trust: [], config: false, concurrency: 2 })
    expect(checked.counts).toMatchObject({ total: 6, valid: 6 })
    expect(checked.exitCode).toBe(0)
  })

  it('a batch of one file runs in this thread, without starting a worker, with the same result', async () => {
    const dir = join(work, 'single')
    mkdirSync(join(dir, 'in'), { recursive: true })
    writeFileSync(join(dir, 'in', 'one.txt'), 'Бір ғана файл.\n')
    const run = vi.spyOn(WorkerPool.prototype, 'run')
    try {
      const stamped = await stampFiles([join(dir, 'in')], { outDir: join(dir, 'out'), signer: creds.signer, owner, system, c2pa: false, config: false, concurrency: 2 })
      expect(stamped.counts).toMatchObject({ total: 1, stamped: 1 })
      expect(stamped.concurrency).toBe(1)
      expect(stamped.workers).toBe(0)
      const checked = await verifyFiles([join(dir, 'out', 'one.txt')], { trust: [], config: false })
      expect(checked.counts).toMatchObject({ total: 1, valid: 1 })
      expect(checked.workers).toBe(0)
      expect(run).not.toHaveBeenCalled()
      // Two files go to the pool as before.
      writeFileSync(join(dir, 'in', 'two.txt'), 'Екі файл.\n')
      const both = await stampFiles([join(dir, 'in')], { outDir: join(dir, 'out'), signer: creds.signer, owner, system, c2pa: false, config: false, concurrency: 1, overwrite: true })
      expect(both.counts).toMatchObject({ total: 2, stamped: 2 })
      expect(both.workers).toBe(1)
      expect(run).toHaveBeenCalledTimes(2)
    } finally {
      run.mockRestore()
    }
  })

  it('a batch starts one C2PA helper process and one ExifTool for all its workers', async () => {
    const images = new URL('../../../fixtures/image/', import.meta.url).pathname
    const list = [
      ...samples().filter((s) => /\.(png|wav)$/.test(s.name)),
      ...['photo.webp', 'photo.avif'].filter((f) => kinds.has('image') && existsSync(join(images, f))).map((f) => ({ name: f, path: join(images, f) })),
    ]
    if (!list.length) return
    const src = join(work, 'c2pa-batch/in')
    mkdirSync(src, { recursive: true })
    const files = Math.max(8, list.length * 2)
    for (let i = 0; i < files; i++) copyFileSync(list[i % list.length]!.path, join(src, `${i}-${list[i % list.length]!.name}`))
    const helpers = (kind: 'c2pa' | 'exiftool') => childProcesses((cmdline) => (kind === 'c2pa' ? /c2pa[/\\].*worker\.mjs/.test(cmdline) : cmdline.includes('exiftool')))
    const before = new Set([...helpers('c2pa'), ...helpers('exiftool')])
    const ours = (kind: 'c2pa' | 'exiftool') => helpers(kind).filter((pid) => !before.has(pid))
    const most = { c2pa: 0, exiftool: 0 }
    const count = () => {
      most.c2pa = Math.max(most.c2pa, ours('c2pa').length)
      most.exiftool = Math.max(most.exiftool, ours('exiftool').length)
    }
    const watch = setInterval(count, 5)
    const outDir = join(work, 'c2pa-batch/out')
    const stamped = await stampFiles([src], { outDir, signer: creds.signer, owner, system, config: false, concurrency: 2, onProgress: count })
    expect(stamped.counts).toMatchObject({ total: files, stamped: files, failed: 0 })
    for (const r of stamped.results) expect(r.carriers).toContain('c2pa')
    const verified = await verifyFiles([outDir], { trust: [], config: false, concurrency: 2, onProgress: count })
    clearInterval(watch)
    expect(verified.counts).toMatchObject({ total: files, valid: files })
    for (const r of verified.results) expect(r.markers.find((m) => m.standard === 'c2pa')).toMatchObject({ valid: true })
    expect(most.c2pa).toBe(1)
    expect(most.exiftool).toBe(list.some((s) => /\.(tif|avif)$/.test(s.name)) ? 1 : 0)
    // The pool ended them with the batch (ExifTool's guard may take a moment).
    const t0 = Date.now()
    while ((ours('c2pa').length || ours('exiftool').length) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50))
    expect([...ours('c2pa'), ...ours('exiftool')]).toEqual([])
  })

  it('stops on an AbortSignal with complete outputs only', async () => {
    const s = samples()[0]!
    const src = join(work, 'abort/in')
    mkdirSync(src, { recursive: true })
    for (let i = 0; i < 30; i++) copyFileSync(s.path, join(src, `${i}-${s.name}`))
    const controller = new AbortController()
    const outDir = join(work, 'abort/out')
    const run = stampFiles([src], { outDir, owner, system, c2pa: false, config: false, signal: controller.signal, concurrency: 2, onProgress: (p) => p.done === 4 && controller.abort() })
    await expect(run).rejects.toMatchObject({ code: 'TANBA_ABORTED' })
    const written = readdirSync(outDir)
    expect(written.length).toBeGreaterThanOrEqual(4)
    expect(written.length).toBeLessThan(30)
    expect(written.filter((f) => f.includes('.tanba-tmp-'))).toEqual([])
    const v = await verifyFiles([outDir], { config: false })
    expect(v.counts.valid).toBe(written.length)
  })
})

describe('inputs, config and keys', () => {
  it('expands folders and globs, keeps paths relative to the glob base, skips hidden files and the output folder', async () => {
    const dir = join(work, 'expand')
    for (const f of ['a/b/c.pdf', 'a/d.wav', 'a/.hidden.pdf', 'a/out/x.pdf']) {
      mkdirSync(join(dir, f, '..'), { recursive: true })
      writeFileSync(join(dir, f), 'x')
    }
    expect(globBase('a/**/*.pdf')).toBe('a')
    expect(globBase('a/b/*.{pdf,wav}')).toBe('a/b')
    expect(globBase('*.pdf')).toBe('.')
    const walked = await expandInputs(['a'], { cwd: dir, exclude: ['a/out'] })
    expect(walked.map((e) => [e.file, e.rel, e.fromWalk])).toEqual([
      ['a/b/c.pdf', 'b/c.pdf', true],
      ['a/d.wav', 'd.wav', true],
    ])
    const ignored = await expandInputs(['a'], { cwd: dir, ignore: ['**/*.wav', 'out/**'] })
    expect(ignored.map((e) => e.rel)).toEqual(['b/c.pdf'])
    const globbed = await expandInputs(['a/**/*.pdf', 'a/d.wav', 'missing.pdf'], { cwd: dir })
    expect(globbed.map((e) => [e.file, e.rel, e.error?.code])).toEqual([
      ['a/b/c.pdf', 'b/c.pdf', undefined],
      ['a/d.wav', 'd.wav', undefined],
      ['a/out/x.pdf', 'out/x.pdf', undefined],
      ['missing.pdf', 'missing.pdf', 'ENOENT'],
    ])
  })

  it('validates tanba.config.json with messages that name each problem', async () => {
    expect(() => validateConfig({ owner: {}, system: { name: 1 }, profiles: ['zz'], defaults: { concurrency: 0, placement: 'middle' }, extra: true }, 'x.json')).toThrow(
      /x\.json has 6 problems/,
    )
    try {
      validateConfig({ owner: {}, system: { name: 1 }, profiles: ['zz'], defaults: { concurrency: 0, placement: 'middle' }, extra: true }, 'x.json')
    } catch (e) {
      const msg = (e as Error).message
      for (const part of ['config.owner.name is required', 'config.system.name must be a non-empty string', 'unknown profile "zz"', 'config.defaults.concurrency must be a whole number', 'config.defaults.placement must be one of', 'config.extra is not a known setting']) expect(msg).toContain(part)
    }
    expect(() => validateConfig({ keys: { key: '-----BEGIN PRIVATE KEY-----\nMIGH...' } })).toThrow(/holds a private key/)
    const dir = join(work, 'cfg')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'tanba.config.json'), JSON.stringify({ owner, keys: { key: 'k/signer.key', cert: 'k/signer.pem' }, trust: ['k/ca.pem'] }))
    const loaded = await loadConfig(undefined, { cwd: dir })
    expect(loaded?.config.keys).toEqual({ key: join(dir, 'k/signer.key'), cert: join(dir, 'k/signer.pem') })
    expect(loaded?.config.trust).toEqual([join(dir, 'k/ca.pem')])
    expect(await loadConfig(undefined, { cwd: work })).toBeNull()
    await expect(loadConfig('nope.json', { cwd: work })).rejects.toThrow(/Could not read the config file/)
  })

  it('writes keys that sign labels verifiers can trust', async () => {
    const keys = await writeSigningCredentials(join(work, 'keys'), { organization: 'Acme LLP', country: 'KZ' })
    expect(statSync(keys.keyPath).mode & 0o777).toBe(0o600)
    await expect(writeSigningCredentials(join(work, 'keys'))).rejects.toThrow(/already exists/)
    const s = samples()[0]!
    const out = join(work, 'keys-out', s.name)
    await stampFile(s.path, { output: out, key: keys.keyPath, cert: keys.chainPath, owner, system, c2pa: false, config: false })
    const report = await verifyFile(out, { trust: [keys.caPath], requireTrusted: true, config: false })
    expect(report.status).toBe('valid')
    expect(report.signature?.signer?.subject).toContain('O=Acme LLP')
    await expect(stampFile(s.path, { output: out, cert: keys.chainPath, config: false })).rejects.toThrow(/without its private key/)
    await expect(stampFile(s.path, { output: out, key: keys.chainPath, config: false })).rejects.toMatchObject({ code: 'TANBA_INVALID_KEY' })
  })

  it('exit codes: the worst status wins', () => {
    expect(exitCodeFor([])).toBe(0)
    expect(exitCodeFor([{ status: 'valid' }, { status: 'unlabelled' }])).toBe(1)
    expect(exitCodeFor([{ status: 'unlabelled' }, { status: 'invalid' }, { status: 'valid' }])).toBe(2)
    expect(exitCodeFor([{ status: 'invalid' }, { status: 'error' }])).toBe(3)
  })
})
