import { InvalidKeyError } from '../errors.js'
import { fromBase64Url, toBase64 } from '../bytes.js'

export interface PemBlock {
  label: string
  der: Uint8Array
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g

/** All PEM blocks in a text, in order. Text outside the blocks is ignored. */
export function parsePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = []
  for (const match of text.matchAll(PEM_RE)) {
    const body = match[2]!.replace(/\s+/g, '')
    try {
      blocks.push({ label: match[1]!, der: fromBase64Url(body) })
    } catch (cause) {
      throw new InvalidKeyError(`The PEM block "${match[1]}" is not valid base64`, { cause })
    }
  }
  return blocks
}

/** The DER body of the first PEM block with this label. */
export function pemBody(text: string, label: string): Uint8Array {
  const block = parsePemBlocks(text).find((b) => b.label === label)
  if (!block) {
    const found = parsePemBlocks(text).map((b) => b.label)
    throw new InvalidKeyError(`Expected a "BEGIN ${label}" PEM block but found ${found.length ? found.join(', ') : 'none'}`)
  }
  return block.der
}

export function toPem(label: string, der: Uint8Array): string {
  const body = toBase64(der).replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
}

/** Compresses an uncompressed P-256 point (0x04||X||Y) to 33 bytes. */
export function compressP256(raw: Uint8Array): Uint8Array {
  if (raw.length === 33) return raw
  if (raw.length !== 65 || raw[0] !== 4) throw new InvalidKeyError(`Expected an uncompressed P-256 point of 65 bytes but received ${raw.length} bytes`)
  const out = new Uint8Array(33)
  out[0] = (raw[64]! & 1) === 0 ? 2 : 3
  out.set(raw.subarray(1, 33), 1)
  return out
}

/** Converts an ASN.1 DER ECDSA signature to raw r||s (64 bytes for P-256). */
export function derToP1363(der: Uint8Array, size = 32): Uint8Array {
  const fail = (): never => {
    throw new InvalidKeyError('Expected an ECDSA signature as 64 raw bytes or ASN.1 DER but could not parse it')
  }
  let p = 0
  if (der[p++] !== 0x30) fail()
  let len = der[p++] ?? fail()
  if (len & 0x80) p += len & 0x7f
  const readInt = (): Uint8Array => {
    if (der[p++] !== 0x02) fail()
    const l = der[p++] ?? fail()
    let v = der.subarray(p, p + l)
    p += l
    while (v.length > size && v[0] === 0) v = v.subarray(1)
    if (v.length > size) fail()
    const out = new Uint8Array(size)
    out.set(v, size - v.length)
    return out
  }
  const r = readInt()
  const s = readInt()
  const out = new Uint8Array(size * 2)
  out.set(r, 0)
  out.set(s, size)
  return out
}

export interface PublicJwk {
  kty: string
  crv?: string
  x?: string
  y?: string
  kid?: string
}

/** Raw public key from a public JWK (OKP Ed25519 or EC P-256). */
export function rawKeyFromJwk(jwk: PublicJwk): Uint8Array {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) return fromBase64Url(jwk.x)
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) {
    return compressP256(new Uint8Array([4, ...fromBase64Url(jwk.x), ...fromBase64Url(jwk.y)]))
  }
  throw new InvalidKeyError(`Expected an OKP/Ed25519 or EC/P-256 public JWK but received kty=${jwk.kty} crv=${jwk.crv ?? '(none)'}`)
}
