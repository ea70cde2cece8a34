import { describe, expect, it } from 'vitest'
import { createTestCredentials } from '../src/testing.js'
import { decodeCompactLabel, encodeCompactLabel, signLabel, verifyLabelSignature, type UnsignedLabel } from '../src/index.js'

const unsigned: UnsignedLabel = {
  tanba: 1,
  id: '0b8f6a52-3c1e-4f7a-9d2b-5e6f7a8b9c0d',
  created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  origin: 'generated',
  system: { name: 'Demo' },
  owner: { name: 'Acme LLP', id: '123456789012' },
  profiles: ['kz'],
  notice: { method: 'text', langs: ['kk', 'ru'], placement: 'start' },
  binding: { method: 'tanba.text/1', alg: 'sha-256', digest: 'A'.repeat(43) },
}

describe('smoke', () => {
  it('signs, verifies, and round-trips the compact form', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(unsigned, creds.signer)
    const res = await verifyLabelSignature(label, { trust: creds.trust })
    expect(res).toMatchObject({ valid: true, trusted: true })
    const { x5c: _x5c, ...sig } = label.sig
    const compactLabel = { ...label, sig }
    const bytes = encodeCompactLabel(compactLabel)
    expect(decodeCompactLabel(bytes)).toEqual(compactLabel)
    console.log('compact bytes', bytes.length)
    const res2 = await verifyLabelSignature(compactLabel)
    expect(res2).toMatchObject({ valid: true, trusted: false })
  })
})
