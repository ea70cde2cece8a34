import { spawnSync } from 'node:child_process'
import { createPrivateKey, sign as nodeSign } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  InvalidKeyError,
  createCallbackSigner,
  signLabel,
  verifyLabelSignature,
  type Label,
  type Signer,
  type UnsignedLabel,
} from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { close, readC2pa, signC2pa, TANBA_LABEL_ASSERTION, type C2paSummary } from '../src/index.js'
import { corpusCopy, makeTmp } from './helpers.js'

const DST = 'http://cv.iptc.org/newscodes/digitalsourcetype/'
const ffmpeg = spawnSync('ffmpeg', ['-version']).status === 0

let tmp: string
let creds: TestCredentials
let label: Label

beforeAll(async () => {
  tmp = await makeTmp('sign')
  creds = await createTestCredentials()
  const unsigned: UnsignedLabel = {
    tanba: 1,
    id: '0193a1c2-7b4e-7c1d-8f00-1234567890ab',
    created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    origin: 'generated',
    system: { name: 'Acme Image Studio', version: '3.1', model: 'acme-diffusion-3' },
    owner: { name: 'Acme LLP', id: '123456789012', country: 'KZ' },
    profiles: ['kz'],
    binding: { method: 'tanba.image.pixels/1', alg: 'sha-256', digest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' },
  }
  label = await signLabel(unsigned, creds.signer)
})
afterAll(() => close())

const activeCodes = (s: C2paSummary) => s.validationStatus.filter((e) => e.active).map((e) => e.code)

// Every signable format in corpus/media: c2pa-node 0.5.5 must sign it and read it back.
const SAMPLES: Array<[string, string]> = [
  ['no_manifest.jpg', 'image/jpeg'],
  ['sample1.png', 'image/png'],
  ['sample1.webp', 'image/webp'],
  ['sample1.avif', 'image/avif'],
  ['sample1.heic', 'image/heic'],
  ['TUSCANY.TIF', 'image/tiff'],
  ['MultiPage.tif', 'image/tiff'],
  ['sample1.gif', 'image/gif'],
  ['sample1.svg', 'image/svg+xml'],
  ['sample1.mp3', 'audio/mpeg'],
  ['sample1.wav', 'audio/wav'],
  ['sample1.flac', 'audio/flac'],
  ['sample1.m4a', 'audio/mp4'],
]

describe('sign and read back', () => {
  for (const [name, type] of SAMPLES) {
    it(`${name}: c2pa.created with trainedAlgorithmicMedia and the Tanba label, trusted with our CA`, async () => {
      const input = await corpusCopy(tmp, `media/${name}`)
      const before = input.slice()
      const signed = await signC2pa(input, type, { signer: creds.signer, tanbaLabel: label, title: name })
      expect(Buffer.from(input).equals(before)).toBe(true) // deep toEqual on megabytes is slow
      expect(signed.length).toBeGreaterThan(input.length)
      await writeFile(join(tmp, `signed-${name}`), signed)

      const s = (await readC2pa(signed, type, { trustAnchors: creds.caPem }))!
      expect(s.validationState).toBe('trusted')
      expect(s.trusted).toBe(true)
      expect(s.validationStatus).toEqual([])
      expect(s.claimGenerator).toBe('Tanba/0.1.0')
      expect(s.title).toBe(name)
      expect(s.signature).toMatchObject({ alg: 'Es256', commonName: 'Tanba test signer', issuer: 'Tanba tests' })
      expect(s.actions).toEqual([{ action: 'c2pa.created', digitalSourceType: `${DST}trainedAlgorithmicMedia`, softwareAgent: 'Tanba/0.1.0' }])
      expect(s.aiGenerated).toBe(true)
      expect(s.ingredients).toEqual([])
      expect(s.tanbaLabel).toEqual(label)
      const check = await verifyLabelSignature(s.tanbaLabel as Label, { trust: creds.trust })
      expect(check).toMatchObject({ valid: true, trusted: true })

      // Without our root the same manifest is intact but untrusted.
      const untrusted = (await readC2pa(signed, type))!
      expect(activeCodes(untrusted)).toEqual(['signingCredential.untrusted'])
      expect(untrusted.trusted).toBe(false)
    })
  }

  it('keeps the pixels of JPEG, PNG and WebP unchanged', async () => {
    for (const [name, type] of SAMPLES.slice(0, 3)) {
      const input = await corpusCopy(tmp, `media/${name}`)
      const signed = await signC2pa(input, type, { signer: creds.signer })
      const [a, b] = await Promise.all([sharp(input).raw().toBuffer(), sharp(signed).raw().toBuffer()])
      expect(b.equals(a), name).toBe(true)
    }
  })

  it.skipIf(!ffmpeg)('signed audio still decodes without errors (ffmpeg)', async () => {
    for (const [name, type] of SAMPLES.filter(([, t]) => t.startsWith('audio/'))) {
      const path = join(tmp, `decode-${name}`)
      await writeFile(path, await signC2pa(await corpusCopy(tmp, `media/${name}`), type, { signer: creds.signer }))
      const run = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' })
      expect(run.status, name).toBe(0)
      expect(run.stderr, name).toBe('')
    }
  })

  it.skipIf(!ffmpeg)('signs MP4 video (made with ffmpeg; the corpus has none)', async () => {
    const path = join(tmp, 'clip.mp4')
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10:duration=1', '-pix_fmt', 'yuv420p', '-y', path])
    expect(made.status).toBe(0)
    const signed = await signC2pa(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(path))), 'video/mp4', { signer: creds.signer })
    const s = (await readC2pa(signed, 'video/mp4', { trustAnchors: creds.caPem }))!
    expect(s.validationState).toBe('trusted')
  })

  it('detects a changed pixel after signing (assertion.dataHash.mismatch)', async () => {
    const signed = await signC2pa(await corpusCopy(tmp, 'media/no_manifest.jpg'), 'image/jpeg', { signer: creds.signer })
    const tampered = signed.slice()
    tampered[tampered.length - 2000]! ^= 0xff
    const s = (await readC2pa(tampered, 'image/jpeg', { trustAnchors: creds.caPem }))!
    expect(s.validationState).toBe('invalid')
    expect(activeCodes(s)).toContain('assertion.dataHash.mismatch')
  })
})

describe('origin and provenance', () => {
  it('modified: c2pa.opened on the input as parent, then c2pa.edited with compositeWithTrainedAlgorithmicMedia', async () => {
    const input = await corpusCopy(tmp, 'media/sample1.png')
    const signed = await signC2pa(input, 'image/png', { signer: creds.signer, origin: 'modified', title: 'edited.png' })
    const s = (await readC2pa(signed, 'image/png', { trustAnchors: creds.caPem }))!
    expect(s.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.edited'])
    expect(s.digitalSourceTypes).toEqual([`${DST}compositeWithTrainedAlgorithmicMedia`])
    expect(s.aiGenerated).toBe(true)
    expect(s.ingredients).toEqual([{ title: 'edited.png', relationship: 'parentOf', format: 'image/png' }])
    expect(s.validationState).toBe('trusted')
  })

  it('an explicit digital source type wins over the origin', async () => {
    const signed = await signC2pa(await corpusCopy(tmp, 'media/sample1.png'), 'image/png', { signer: creds.signer, digitalSourceType: `${DST}compositeSynthetic` })
    expect((await readC2pa(signed, 'image/png'))!.digitalSourceTypes).toEqual([`${DST}compositeSynthetic`])
  })

  for (const [name, origin] of [['C.jpg', 'generated'], ['CA.jpg', 'modified']] as const) {
    it(`${name} (${origin}): the existing manifest becomes the parent ingredient, never stripped`, async () => {
      const input = await corpusCopy(tmp, `third-party-labelled/${name}`)
      const original = (await readC2pa(input, 'image/jpeg'))!
      const signed = await signC2pa(input, 'image/jpeg', { signer: creds.signer, origin, tanbaLabel: label, title: name })
      await writeFile(join(tmp, `signed-${name}`), signed)
      const s = (await readC2pa(signed, 'image/jpeg', { trustAnchors: creds.caPem }))!
      expect(s.activeManifest).not.toBe(original.activeManifest)
      expect(s.ingredients).toEqual([{ title: name, relationship: 'parentOf', format: 'image/jpeg', activeManifest: original.activeManifest }])
      expect(s.manifests.map((m) => m.label)).toContain(original.activeManifest)
      const kept = s.manifests.find((m) => m.label === original.activeManifest)!
      expect(kept).toMatchObject({ claimGenerator: original.claimGenerator, title: name, actions: original.actions, ingredients: original.ingredients })
      expect(s.actions.map((a) => a.action)).toEqual(['c2pa.opened', 'c2pa.edited'])
      const expected = origin === 'generated' ? 'trainedAlgorithmicMedia' : 'compositeWithTrainedAlgorithmicMedia'
      expect(s.digitalSourceTypes).toEqual([`${DST}${expected}`])
      expect(s.tanbaLabel).toEqual(label)
      // Our manifest is trusted; the third-party ingredient keeps its own trust problem.
      expect(s.trusted).toBe(true)
      expect(activeCodes(s)).toEqual([])
      expect(s.validationStatus.filter((e) => !e.active)).toEqual([
        expect.objectContaining({ code: 'signingCredential.untrusted', manifest: original.activeManifest }),
      ])
    })
  }

  it('takes the parent from options.parent when the signed bytes were re-encoded (metadata gone)', async () => {
    const original = await corpusCopy(tmp, 'third-party-labelled/C.jpg')
    const reencoded = new Uint8Array(await sharp(original).jpeg({ quality: 90 }).toBuffer())
    expect(await readC2pa(reencoded, 'image/jpeg')).toBeNull()
    const signed = await signC2pa(reencoded, 'image/jpeg', { signer: creds.signer, parent: { bytes: original, title: 'C.jpg' }, title: 'C-labelled.jpg' })
    const s = (await readC2pa(signed, 'image/jpeg', { trustAnchors: creds.caPem }))!
    expect(s.title).toBe('C-labelled.jpg')
    expect(s.ingredients).toEqual([expect.objectContaining({ title: 'C.jpg', relationship: 'parentOf' })])
    expect(s.manifests).toHaveLength(2)
    expect(activeCodes(s)).toEqual([])
  })

  it('a generated asset whose parent has no manifest starts a fresh history', async () => {
    const original = await corpusCopy(tmp, 'media/no_manifest.jpg')
    const signed = await signC2pa(original, 'image/jpeg', { signer: creds.signer, parent: { bytes: original } })
    const s = (await readC2pa(signed, 'image/jpeg'))!
    expect(s.actions.map((a) => a.action)).toEqual(['c2pa.created'])
    expect(s.ingredients).toEqual([])
  })

  it('signing an already signed Tanba output keeps the previous manifest as parent', async () => {
    const once = await signC2pa(await corpusCopy(tmp, 'media/sample1.wav'), 'audio/wav', { signer: creds.signer, tanbaLabel: label })
    const twice = await signC2pa(once, 'audio/wav', { signer: creds.signer, tanbaLabel: label })
    const s = (await readC2pa(twice, 'audio/wav', { trustAnchors: creds.caPem }))!
    expect(s.manifests).toHaveLength(2)
    expect(s.manifests[1]!.actions.map((a) => a.action)).toEqual(['c2pa.created'])
    expect(s.validationState).toBe('trusted')
  })
})

describe('signers', () => {
  it('works with a KMS-style callback signer that returns DER signatures', async () => {
    const key = createPrivateKey(creds.keyPem)
    let calls = 0
    const kms: Signer = await createCallbackSigner({
      alg: 'ES256',
      publicKey: creds.signer.publicKey,
      certificates: creds.chainPem,
      sign: async (data) => {
        calls++
        await new Promise((r) => setTimeout(r, 5)) // a network round trip
        return new Uint8Array(nodeSign('sha256', data, { key, dsaEncoding: 'der' }))
      },
    })
    const signed = await signC2pa(await corpusCopy(tmp, 'media/sample1.flac'), 'audio/flac', { signer: kms })
    expect(calls).toBe(1)
    expect((await readC2pa(signed, 'audio/flac', { trustAnchors: creds.caPem }))!.validationState).toBe('trusted')
  })

  it('passes a DER signature straight from a bare Signer through as raw r||s', async () => {
    const key = createPrivateKey(creds.keyPem)
    const bare: Signer = { ...creds.signer, sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key, dsaEncoding: 'der' })) }
    const signed = await signC2pa(await corpusCopy(tmp, 'media/sample1.png'), 'image/png', { signer: bare })
    expect((await readC2pa(signed, 'image/png', { trustAnchors: creds.caPem }))!.trusted).toBe(true)
  })

  it('surfaces the signer’s own error, and the worker keeps working', async () => {
    const failing: Signer = {
      ...creds.signer,
      sign: async () => {
        throw new InvalidKeyError('The KMS refused the key')
      },
    }
    await expect(signC2pa(await corpusCopy(tmp, 'media/sample1.png'), 'image/png', { signer: failing })).rejects.toThrow('The KMS refused the key')
    const plain: Signer = { ...creds.signer, sign: async () => Promise.reject(new Error('socket hang up')) }
    await expect(signC2pa(await corpusCopy(tmp, 'media/sample1.png'), 'image/png', { signer: plain })).rejects.toMatchObject({
      code: 'TANBA_DEPENDENCY_FAILED',
      message: expect.stringContaining('socket hang up'),
    })
    await expect(signC2pa(await corpusCopy(tmp, 'media/sample1.png'), 'image/png', { signer: creds.signer })).resolves.toBeInstanceOf(Uint8Array)
  })

  it('needs a certificate chain', async () => {
    const { certificates: _c, ...bare } = creds.signer
    await expect(signC2pa(await corpusCopy(tmp, 'media/sample1.png'), 'image/png', { signer: bare as Signer })).rejects.toMatchObject({
      code: 'TANBA_INVALID_KEY',
      message: expect.stringContaining('certificate chain'),
    })
  })

  it('signs several files at once (calls are queued)', async () => {
    const names = ['sample1.png', 'no_manifest.jpg', 'sample1.mp3'] as const
    const types = ['image/png', 'image/jpeg', 'audio/mpeg']
    const signed = await Promise.all(names.map(async (n, i) => signC2pa(await corpusCopy(tmp, `media/${n}`), types[i]!, { signer: creds.signer, title: n })))
    const titles = await Promise.all(signed.map(async (b, i) => (await readC2pa(b, types[i]!))!.title))
    expect(titles).toEqual([...names])
  })
})

it('names the Tanba assertion tanba.label', () => {
  expect(TANBA_LABEL_ASSERTION).toBe('tanba.label')
})
