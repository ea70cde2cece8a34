import { createPemSigner, toPem, type Signer, type UnsignedLabel } from '../src/index.js'

export function nowSeconds(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function sampleUnsigned(overrides: Partial<UnsignedLabel> = {}): UnsignedLabel {
  return {
    tanba: 1,
    id: '0b8f6a52-3c1e-4f7a-9d2b-5e6f7a8b9c0d',
    created: nowSeconds(),
    origin: 'generated',
    system: { name: 'Demo Studio', version: '2.1', model: 'demo-diffusion-3' },
    owner: { name: 'Acme LLP', id: '123456789012', country: 'KZ', contact: 'ai@acme.kz' },
    profiles: ['kz'],
    notice: { method: 'text', langs: ['kk', 'ru'], placement: 'start' },
    binding: { method: 'tanba.text/1', alg: 'sha-256', digest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' },
    ...overrides,
  }
}

/** A fresh Ed25519 PEM signer (no certificate). */
export async function ed25519Signer(): Promise<{ signer: Signer; pem: string; publicPem: string }> {
  const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const pem = toPem('PRIVATE KEY', new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey)))
  const publicPem = toPem('PUBLIC KEY', new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)))
  return { signer: await createPemSigner({ privateKey: pem }), pem, publicPem }
}
