import { spawnSync } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DependencyError, isTanbaError } from '@tanba/core'
import { close, createC2paClient, readC2pa, signC2pa, type C2paSummary } from '../src/index.js'
import { CORPUS, corpusCopy, makeTmp } from './helpers.js'

const DST = 'http://cv.iptc.org/newscodes/digitalsourcetype/'
const MEDIA_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  heic: 'image/heic',
  tif: 'image/tiff',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
}
const typeOf = (name: string) => MEDIA_TYPES[name.split('.').pop()!.toLowerCase()]!

let tmp: string
beforeAll(async () => {
  tmp = await makeTmp('read')
})
afterAll(() => close())

const codes = (s: C2paSummary, active: boolean) => s.validationStatus.filter((e) => e.active === active).map((e) => e.code)

describe('third-party manifests', () => {
  it('reads C.jpg: created by make_test_images, signer not trusted', async () => {
    const bytes = await corpusCopy(tmp, 'third-party-labelled/C.jpg')
    const before = bytes.slice()
    const s = (await readC2pa(bytes, 'image/jpeg'))!
    expect(Buffer.from(bytes).equals(before)).toBe(true)
    expect(s.activeManifest).toMatch(/^contentauth:urn:uuid:/)
    expect(s.claimGenerator).toBe('make_test_images/0.33.1 c2pa-rs/0.33.1')
    expect(s.title).toBe('C.jpg')
    expect(s.format).toBe('image/jpeg')
    expect(s.signature).toMatchObject({ issuer: 'C2PA Test Signing Cert', commonName: 'C2PA Signer', time: '2024-08-06T21:53:37+00:00' })
    expect(s.signature?.certSerialNumber).toMatch(/^\d+$/)
    expect(codes(s, true)).toEqual(['signingCredential.untrusted'])
    expect(s.validationStatus[0]!.explanation).toBe('signing certificate untrusted')
    expect(s.validationState).toBe('valid')
    expect(s.trusted).toBe(false)
    expect(s.informational.map((e) => e.code)).toContain('timeStamp.untrusted')
    expect(s.actions).toEqual([{ action: 'c2pa.created', digitalSourceType: `${DST}algorithmicMedia`, softwareAgent: 'Make Test Images 0.33.1' }])
    expect(s.digitalSourceTypes).toEqual([`${DST}algorithmicMedia`])
    expect(s.aiGenerated).toBe(true) // algorithmicMedia is one of the IPTC AI terms core recognises
    expect(s.ingredients).toEqual([])
    expect(s.tanbaLabel).toBeNull()
    expect(JSON.parse(JSON.stringify(s))).toEqual(s) // plain JSON
  })

  it('reads CA.jpg: an edit of A.jpg kept as parent ingredient', async () => {
    const s = (await readC2pa(await corpusCopy(tmp, 'third-party-labelled/CA.jpg'), 'image/jpeg', { raw: true }))!
    expect(s.ingredients).toEqual([{ title: 'A.jpg', relationship: 'parentOf', format: 'image/jpeg' }])
    expect(s.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.color_adjustments'])
    expect(s.digitalSourceTypes).toEqual([])
    expect(s.aiGenerated).toBe(false)
    expect(codes(s, true)).toEqual(['signingCredential.untrusted'])
    expect(s.raw).toMatchObject({ active_manifest: s.activeManifest })
  })

  it('reads express-signed.pdf: Adobe Express, expired and untrusted, AI composite with a Firefly ingredient', async () => {
    const s = (await readC2pa(await corpusCopy(tmp, 'third-party-labelled/express-signed.pdf'), 'application/pdf'))!
    expect(s.claimGenerator).toContain('Adobe_Express')
    expect(s.format).toBe('application/pdf')
    expect(s.signature).toMatchObject({ issuer: 'Adobe Inc.', commonName: 'cai-prod' })
    expect(codes(s, true).sort()).toEqual(['signingCredential.expired', 'signingCredential.untrusted'])
    expect(codes(s, false).sort()).toEqual(['signingCredential.expired', 'signingCredential.untrusted']) // the Firefly ingredient
    expect(s.validationStatus.find((e) => e.code === 'signingCredential.expired')?.explanation).toBe('certificate expired')
    expect(s.trusted).toBe(false)
    expect(s.digitalSourceTypes).toEqual([`${DST}compositeWithTrainedAlgorithmicMedia`])
    expect(s.aiGenerated).toBe(true)
    expect(s.ingredients).toEqual([
      { title: 'Imported Ingredient', relationship: 'componentOf', format: 'image/jpeg', activeManifest: expect.stringMatching(/^urn:uuid:/) },
    ])
    expect(s.manifests).toHaveLength(2)
    expect(s.manifests[1]).toMatchObject({ claimGenerator: expect.stringContaining('Adobe_Firefly'), digitalSourceTypes: [`${DST}trainedAlgorithmicMedia`] })
    expect(s.aiInHistory).toBe(true)
  })
})

describe('files without C2PA', () => {
  it('answers null for every readable file in corpus/media', async () => {
    const names = (await readdir(join(CORPUS, 'media'))).filter((n) => typeOf(n))
    expect(names.length).toBeGreaterThan(15)
    for (const name of names) {
      const bytes = await corpusCopy(tmp, `media/${name}`)
      await expect(readC2pa(bytes, typeOf(name)), name).resolves.toBeNull()
    }
  })
})

describe('hostile input', () => {
  it('answers every adversarial file quickly with null or a typed error, and survives the panicking MP3', async () => {
    const names = await readdir(join(CORPUS, 'adversarial'))
    expect(names).toContain('id3v23_compression_underflow.mp3')
    const outcomes: Record<string, string> = {}
    for (const name of names) {
      const bytes = await corpusCopy(tmp, `adversarial/${name}`)
      // The C2PA helper process has its own watchdog: a hang there becomes a typed error.
      try {
        outcomes[name] = (await readC2pa(bytes, typeOf(name))) === null ? 'null' : 'manifest'
      } catch (error) {
        expect(isTanbaError(error), `${name}: ${String(error)}`).toBe(true)
        outcomes[name] = (error as DependencyError).code
        if (name.endsWith('.mp3')) {
          expect(error).toBeInstanceOf(DependencyError)
          expect((error as Error).message).toMatch(/^The C2PA reader failed on this MP3 file: .*panicked/)
        }
      }
    }
    expect(outcomes['id3v23_compression_underflow.mp3']).toBe('TANBA_DEPENDENCY_FAILED')
    expect(outcomes['nested_moov_1000.mp4']).toBe('TANBA_MALFORMED_INPUT')
    expect(outcomes['sample3.invalid.wav']).toBe('TANBA_MALFORMED_INPUT')
    // The worker was replaced after the panic and answers again.
    await expect(readC2pa(await corpusCopy(tmp, 'third-party-labelled/C.jpg'), 'image/jpeg')).resolves.toMatchObject({ title: 'C.jpg' })
  })

  it('signing the panicking MP3 fails with DependencyError too, and the process survives', async () => {
    const { createTestCredentials } = await import('@tanba/core/testing')
    const { signer } = await createTestCredentials()
    const bytes = await corpusCopy(tmp, 'adversarial/id3v23_compression_underflow.mp3')
    for (const origin of ['generated', 'modified'] as const) {
      await expect(signC2pa(bytes, 'audio/mpeg', { signer, origin })).rejects.toMatchObject({
        name: 'DependencyError',
        code: 'TANBA_DEPENDENCY_FAILED',
        message: expect.stringMatching(/^The C2PA signer failed on this MP3 file: the native addon panicked/),
      })
    }
  })

  it('reports a damaged manifest store as MalformedInputError', async () => {
    const bytes = await corpusCopy(tmp, 'third-party-labelled/C.jpg')
    const jumb = Buffer.from(bytes).indexOf('jumb')
    expect(jumb).toBeGreaterThan(0)
    bytes[jumb + 2]! ^= 0xff
    await expect(readC2pa(bytes, 'image/jpeg')).rejects.toMatchObject({
      name: 'MalformedInputError',
      message: expect.stringContaining('C2PA manifest store in this JPEG file is damaged'),
      details: expect.objectContaining({ manifestDamaged: true, c2paError: 'JumbfParseError' }),
    })
  })

  it('reports a truncated JPEG as MalformedInputError', async () => {
    const bytes = await corpusCopy(tmp, 'third-party-labelled/C.jpg')
    await expect(readC2pa(bytes.subarray(0, 2000), 'image/jpeg')).rejects.toMatchObject({ code: 'TANBA_MALFORMED_INPUT', message: expect.stringContaining('JPEG') })
  })
})

describe('worker process', () => {
  it('turns a worker killed mid-call into DependencyError and starts a new one', async () => {
    const client = createC2paClient()
    const bytes = await corpusCopy(tmp, 'media/sample1.m4a')
    const pending = client.readC2pa(bytes, 'audio/mp4')
    const pid = client.workerPid
    expect(pid).toBeTypeOf('number')
    process.kill(pid!, 'SIGKILL')
    await expect(pending).rejects.toMatchObject({
      name: 'DependencyError',
      code: 'TANBA_DEPENDENCY_FAILED',
      message: expect.stringMatching(/^The C2PA reader failed on this M4A file: its process ended unexpectedly \(signal SIGKILL\)/),
    })
    await expect(client.readC2pa(bytes, 'audio/mp4')).resolves.toBeNull()
    expect(client.workerPid).not.toBe(pid)
    await client.close()
    expect(client.workerPid).toBeUndefined()
  })

  it('times out a call that takes too long, and recovers', async () => {
    const client = createC2paClient({ timeoutMs: 1 })
    const bytes = await corpusCopy(tmp, 'third-party-labelled/C.jpg')
    await expect(client.readC2pa(bytes, 'image/jpeg')).rejects.toMatchObject({
      code: 'TANBA_DEPENDENCY_FAILED',
      message: 'The C2PA reader failed on this JPEG file: it did not answer within 1 ms',
    })
    await expect(client.readC2pa(bytes, 'image/jpeg', { timeoutMs: 20_000 })).resolves.toMatchObject({ title: 'C.jpg' })
    await client.close()
  })

  it('runs concurrent calls one after another and answers each', async () => {
    const names = ['third-party-labelled/C.jpg', 'third-party-labelled/CA.jpg', 'media/no_manifest.jpg']
    const results = await Promise.all(names.map(async (n) => readC2pa(await corpusCopy(tmp, n), 'image/jpeg')))
    expect(results.map((r) => r?.title ?? null)).toEqual(['C.jpg', 'CA.jpg', null])
  })

  it('honours an AbortSignal', async () => {
    const bytes = await corpusCopy(tmp, 'third-party-labelled/C.jpg')
    await expect(readC2pa(bytes, 'image/jpeg', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'TANBA_ABORTED' })
    const controller = new AbortController()
    const pending = readC2pa(bytes, 'image/jpeg', { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: 'TANBA_ABORTED' })
    await expect(readC2pa(bytes, 'image/jpeg')).resolves.toMatchObject({ title: 'C.jpg' })
  })

  it('names the package when the native addon cannot be loaded', async () => {
    const client = createC2paClient({ env: { ...process.env, C2PA_LIBRARY_PATH: join(tmp, 'missing', 'index.node') } })
    await expect(client.readC2pa(await corpusCopy(tmp, 'third-party-labelled/C.jpg'), 'image/jpeg')).rejects.toMatchObject({
      name: 'DependencyError',
      code: 'TANBA_DEPENDENCY_MISSING',
      message: expect.stringContaining('@contentauth/c2pa-node'),
    })
    await client.close()
  })

  it('reports a missing worker script as TANBA_DEPENDENCY_MISSING', async () => {
    const client = createC2paClient({ workerPath: join(tmp, 'no-worker.mjs') })
    await expect(client.readC2pa(new Uint8Array([0xff, 0xd8, 0xff]), 'image/jpeg')).rejects.toMatchObject({ code: 'TANBA_DEPENDENCY_MISSING' })
  })

  it('never keeps the calling process alive', async () => {
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))
    const script = `import { readC2pa } from ${JSON.stringify(entry)}
import { readFileSync } from 'node:fs'
const s = await readC2pa(readFileSync(${JSON.stringify(join(CORPUS, 'third-party-labelled/C.jpg'))}), 'image/jpeg')
console.log(s.title)`
    const run = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 120_000, // a hang guard
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout.trim()).toBe('C.jpg')
  })
})

it('reads the bytes it is given, not a file', async () => {
  const bytes = new Uint8Array(await readFile(join(CORPUS, 'third-party-labelled/C.jpg')))
  await expect(readC2pa(bytes.subarray(0), 'image/jpg')).resolves.toMatchObject({ title: 'C.jpg' })
})
