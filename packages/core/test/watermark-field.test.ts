// The label's watermark record: schema, compact form, signature coverage.
import { describe, expect, it } from 'vitest'
import { decodeCompactLabel, encodeCompactLabel, isLabel, signLabel, verifyLabelSignature } from '../src/index.js'
import { createTestCredentials } from '../src/testing.js'
import { sampleUnsigned } from './helpers.js'

const creds = await createTestCredentials()
const watermark = { method: 'tanba.wm.ss/1', payload: '10a245c1c65531e4', detection: 'public' as const }

describe('label.watermark', () => {
  it('is schema-valid, survives the compact form and is covered by the signature', async () => {
    const label = await signLabel(sampleUnsigned({ watermark }), creds.signer)
    expect(isLabel(label)).toBe(true)
    expect(decodeCompactLabel(encodeCompactLabel(label))).toEqual(label)
    expect((await verifyLabelSignature(label)).valid).toBe(true)
    const changed = { ...label, watermark: { ...watermark, payload: '10a245c1c65531e5' } }
    expect((await verifyLabelSignature(changed)).valid).toBe(false)
  })

  it('rejects a payload that is not lowercase hex, an unknown detection and extra fields', async () => {
    const label = await signLabel(sampleUnsigned({ watermark }), creds.signer)
    expect(isLabel({ ...label, watermark: { ...watermark, payload: '10A2' } })).toBe(false)
    expect(isLabel({ ...label, watermark: { ...watermark, detection: 'secret' } })).toBe(false)
    expect(isLabel({ ...label, watermark: { ...watermark, extra: 1 } })).toBe(false)
  })
})
