import { equalBytes, fromBase64Url, toBase64, toBase64Url } from '../bytes.js'
import { assertLabel, signingInput } from '../codec.js'
import type { Label, LabelSignature, UnsignedLabel } from '../label.js'
import type { SignatureResult } from '../report.js'
import { compressP256 } from './keys.js'
import { keyThumbprint, type Signer } from './signer.js'
import { TrustStore } from './trust.js'
import { verifyRaw } from './verify.js'

export interface SignLabelOptions {
  /** Put the X.509 chain in `sig.x5c` (default: when the signer has one). Compact carriers turn it off. */
  includeCertificates?: boolean
}

/** Signs an unsigned label; the result is schema-checked. */
export async function signLabel(unsigned: UnsignedLabel, signer: Signer, options: SignLabelOptions = {}): Promise<Label> {
  const pub = toBase64Url(signer.publicKey.length === 65 ? compressP256(signer.publicKey) : signer.publicKey)
  // The kid is written only when it is not the default (the public key thumbprint), to keep compact labels small.
  const defaultKid = await keyThumbprint(signer.publicKey)
  const sig: Partial<LabelSignature> = { alg: signer.alg, ...(signer.kid !== defaultKid ? { kid: signer.kid } : {}), pub }
  const value = await signer.sign(signingInput({ ...unsigned, sig }))
  const includeCerts = options.includeCertificates ?? true
  const label: Label = {
    ...unsigned,
    sig: {
      ...(sig as LabelSignature),
      ...(includeCerts && signer.certificates?.length ? { x5c: signer.certificates.map((c) => toBase64(c)) } : {}),
      value: toBase64Url(value),
    },
  }
  assertLabel(label)
  return label
}

export interface VerifySignatureOptions {
  trust?: TrustStore
  /** The time to check certificate validity at (default: the label's creation time). */
  date?: Date
}

/**
 * Verifies a label's signature and decides trust:
 * - the public key comes from the leaf certificate (x5c), else from `sig.pub`;
 * - trusted when the chain reaches a trust anchor, or the key itself is in the trust store.
 * Never throws for bad input: a broken signature is `{ valid: false, trust: 'invalid' }`.
 */
export async function verifyLabelSignature(label: Label, options: VerifySignatureOptions = {}): Promise<SignatureResult & { problem?: string }> {
  const sig = label.sig
  let defaultKid: string | undefined
  try {
    defaultKid = sig.pub ? await keyThumbprint(fromBase64Url(sig.pub)) : undefined
  } catch {
    defaultKid = undefined
  }
  const kid = sig.kid ?? defaultKid
  const base = { alg: sig.alg, ...(kid ? { kid } : {}) }
  const invalid = (problem: string): SignatureResult & { problem: string } => ({ valid: false, trusted: false, trust: 'invalid', signer: base, problem })
  let key: Uint8Array | undefined
  let chain: Awaited<ReturnType<TrustStore['checkChain']>> | undefined
  const trust = options.trust
  if (sig.x5c?.length) {
    chain = await (trust ?? new TrustStore()).checkChain(sig.x5c, options.date ?? new Date(label.created))
    key = chain.leafKey
    if (!key) return invalid('the leaf certificate holds no usable public key')
    if (sig.pub) {
      const pub = base64OrNull(sig.pub)
      if (!pub) return invalid('sig.pub is not base64url')
      if (!equalBytes(pub, key)) return invalid('sig.pub does not match the leaf certificate key')
    }
  } else if (sig.pub) {
    key = base64OrNull(sig.pub) ?? undefined
    if (!key) return invalid('sig.pub is not base64url')
  }
  if (!key) return invalid('the label carries neither a public key nor a certificate chain')
  let value: Uint8Array
  try {
    value = fromBase64Url(sig.value)
  } catch {
    return invalid('sig.value is not base64url')
  }
  if (!verifyRaw(sig.alg, key, signingInput(label), value)) return invalid('the signature does not match the label content')
  const signer = {
    ...base,
    ...(chain?.subject ? { subject: chain.subject, issuer: chain.issuer } : {}),
    ...(chain?.notAfter ? { notAfter: chain.notAfter } : {}),
    ...(chain?.anchor ? { anchor: chain.anchor } : {}),
  }
  const keyTrusted = trust?.findKey(key)
  const trusted = Boolean(chain?.trusted || keyTrusted)
  return {
    valid: true,
    trusted,
    trust: trusted ? 'trusted' : 'untrusted',
    signer,
    ...(trusted ? {} : { problem: chain?.problem ?? 'the signing key is not in the trust store' }),
  }
}

/** base64url (or base64) decoded, or null when the text is not that. */
function base64OrNull(text: string): Uint8Array | null {
  try {
    return fromBase64Url(text)
  } catch {
    return null
  }
}
