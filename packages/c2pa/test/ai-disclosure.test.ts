// C2PA 2.2 §18.14.4.5: C2PA's own AI digital source type (trainedAlgorithmicData, and the deprecated
// bare form) counts as AI when read; another writer's c2pa.ai-disclosure assertion is read too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { C2PA_AI_SOURCE_TYPES, c2paFindingsFromSummary, close, readC2pa, signC2pa, summariseManifestStore } from '../src/index.js'
import { corpusCopy, makeTmp } from './helpers.js'

let tmp: string
let creds: TestCredentials
beforeAll(async () => {
  tmp = await makeTmp('ai')
  creds = await createTestCredentials()
})
afterAll(() => close())

describe('C2PA digital source types for AI (C2PA 2.2 §18.14.4.5)', () => {
  for (const [file, mediaType] of [
    ['no_manifest.jpg', 'image/jpeg'],
    ['sample1.mp3', 'audio/mpeg'],
  ] as const) {
    it(`${file}: a manifest declaring http://c2pa.org/digitalsourcetype/trainedAlgorithmicData reads as AI`, async () => {
      const signed = await signC2pa(await corpusCopy(tmp, `media/${file}`), mediaType, { signer: creds.signer, digitalSourceType: C2PA_AI_SOURCE_TYPES[0]! })
      const summary = (await readC2pa(signed, mediaType, { trustAnchors: creds.caPem }))!
      expect(summary.digitalSourceTypes).toEqual([C2PA_AI_SOURCE_TYPES[0]])
      expect(summary.aiGenerated).toBe(true)
      expect(c2paFindingsFromSummary(summary).markers[0]).toMatchObject({ standard: 'c2pa', aiMarked: true, valid: true })
    })
  }

  it('the deprecated bare c2pa.trainedAlgorithmicData (1.3–2.1) still reads as AI; a non-AI type does not', () => {
    const store = (dst: string) => ({
      active_manifest: 'urn:m',
      manifests: { 'urn:m': { claim_generator: 'Other/1', assertions: [{ label: 'c2pa.actions', data: { actions: [{ action: 'c2pa.created', digitalSourceType: dst }] } }] } },
    })
    expect(summariseManifestStore(store('c2pa.trainedAlgorithmicData')).aiGenerated).toBe(true)
    expect(summariseManifestStore(store('http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture')).aiGenerated).toBe(false)
    expect(summariseManifestStore(store('http://c2pa.org/digitalsourcetype/empty')).aiGenerated).toBe(false)
  })
})

describe("another writer's c2pa.ai-disclosure assertion", () => {
  it('is read into the summary, the marker and the inspect fields, and marks the manifest as AI', () => {
    const disclosure = { modelType: 'generative', modelName: 'Acme Diffusion', modelIdentifier: 'acme-d-3', humanOversight: 'none' }
    const summary = summariseManifestStore({
      active_manifest: 'urn:m',
      manifests: { 'urn:m': { claim_generator: 'Other/1', assertions: [{ label: 'c2pa.ai-disclosure', data: disclosure }] } },
    })
    expect(summary.aiDisclosure).toEqual(disclosure)
    expect(summary.aiGenerated).toBe(true)
    const found = c2paFindingsFromSummary(summary)
    expect(found.markers[0]).toMatchObject({ aiMarked: true, value: { aiDisclosure: disclosure } })
    expect(found.fields).toMatchObject({ aiDisclosure: disclosure })
  })
})
