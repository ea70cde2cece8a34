import { equalBytes, fromBase64Url, toBase64, toBase64Url } from '../bytes.js'
import { assertLabel, signingInput } from '../codec.js'
import type { Label, LabelSignature, UnsignedLabel } from '../label.js'
import type { SignatureResult, TimestampInfo } from '../report.js'
import { compressP256 } from './keys.js'
import { keyThumbprint, type Signer } from './signer.js'
import type { TimestampClient } from './timestamp.js'
import { TrustStore } from './trust.js'
import { verifyRaw } from './verify.js'

export interface SignLabelOptions {
  /** Put the X.509 chain in `sig.x5c` (default: when the signer has one). Compact carriers turn it off. */
  includeCertificates?: boolean
  /**
   * Get an RFC 3161 time-stamp over the signature and carry it in `sig.tst`, so the certificate
   * is checked at the TSA's time instead of at verification time (an expiring certificate then
   * keeps its labels trusted). Only with the certificate chain: without x5c there are no dates to fix.
   */
  timestamp?: TimestampClient
}

/** Signs an unsigned label; the result is schema-checked. */
export async function signLabel(unsigned: UnsignedLabel, signer: Signer, options: SignLabelOptions = {}): Promise<Label> {
  const pub = toBase64Url(signer.publicKey.length === 65 ? compressP256(signer.publicKey) : signer.publicKey)
  // The kid is written only when it is not the default (the public key thumbprint), to keep compact labels small.
  const defaultKid = await keyThumbprint(signer.publicKey)
  const sig: Partial<LabelSignature> = { alg: signer.alg, ...(signer.kid !== defaultKid ? { kid: signer.kid } : {}), pub }
  const value = await signer.sign(signingInput({ ...unsigned, sig }))
  const includeCerts = Boolean((options.includeCertificates ?? true) && signer.certificates?.length)
  // The token's message imprint is SHA-256 over the raw signature bytes (as C2PA's sigTst covers its signature).
  const tst = includeCerts && options.timestamp ? await options.timestamp.timestamp(value) : undefined
  const label: Label = {
    ...unsigned,
    sig: {
      ...(sig as LabelSignature),
      ...(includeCerts ? { x5c: signer.certificates!.map((c) => toBase64(c)) } : {}),
      ...(tst ? { tst: toBase64(tst) } : {}),
      value: toBase64Url(value),
    },
  }
  assertLabel(label)
  return label
}

export interface VerifySignatureOptions {
  trust?: TrustStore
  /**
   * The time to check certificate validity at. Default: the time of a trusted RFC 3161
   * time-stamp in `sig.tst`, else now. Never the label's own `created`, which is the signer's claim.
   */
  date?: Date
  /** The current time (default: the clock); what "now" means above. */
  now?: Date
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
  const store = trust ?? new TrustStore()
  const token = sig.tst === undefined ? undefined : base64OrNull(sig.tst)
  const sigBytes = base64OrNull(sig.value)
  const time = await signingTime(store, sig.tst === undefined ? undefined : { token, data: sigBytes }, options)
  const { date, timestamp } = time
  if (sig.x5c?.length) {
    chain = await store.checkChain(sig.x5c, date)
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
  // A key pinned in the store counts only while the certificate it came from (if any) holds at `date`.
  const pinnedKey = trust?.findKey(key)
  const pinned = pinnedKey ? await trust!.checkPinnedKey(pinnedKey, date) : undefined
  const { tsFailed, tsUnused } = time
  const trusted = !tsFailed && Boolean(chain?.trusted || pinned?.trusted)
  // Why not: the failed time-stamp first, then the chain's rule, then the pinned certificate's.
  const why = tsFailed
    ? { rule: timestamp!.rule!, problem: `the time-stamp (sig.tst) is not accepted: ${timestamp!.problem}` }
    : chain && !chain.trusted && (chain.rule !== 'certificate.no-anchor' || !pinned)
      ? { rule: chain.rule ?? 'certificate.no-anchor', problem: (chain.problem ?? 'the certificate chain is not trusted') + tsUnused }
      : pinned && !pinned.trusted
        ? { rule: pinned.rule ?? 'certificate.validity', problem: (pinned.problem ?? 'the pinned certificate is not valid') + tsUnused }
        : { rule: 'key.unknown', problem: 'the signing key is not in the trust store' }
  const { rule: _rule, ...timestampInfo } = timestamp ?? { rule: undefined }
  return {
    valid: true,
    trusted,
    trust: trusted ? 'trusted' : 'untrusted',
    signer,
    ...(timestamp ? { timestamp: timestampInfo as TimestampInfo } : {}),
    ...(chain || pinnedKey?.certificate ? { checkedAt: date.toISOString() } : {}),
    ...(trusted ? {} : { problem: `${why.problem} [${why.rule}]`, trustRule: why.rule }),
  }
}

export interface SigningTime {
  /** The time certificates are checked at. */
  date: Date
  timestamp?: TimestampInfo & { rule?: string }
  /** The token is there but broken or covers other data: the signature is not to be trusted. */
  tsFailed: boolean
  /** Why a sound token went unused (its TSA is not trusted), as a suffix for messages; else ''. */
  tsUnused: string
}

/**
 * The signing-time rule shared by Tanba labels and C2PA manifests: the time of an RFC 3161 token
 * over the signature whose TSA chains to a trusted time-stamping root, else now (`options.now`).
 * `options.date` overrides both. Never the signer's own claim of when it signed.
 */
export async function signingTime(
  store: TrustStore,
  tst: { token: Uint8Array | null | undefined; data: Uint8Array | null | undefined } | undefined,
  options: { date?: Date; now?: Date } = {},
): Promise<SigningTime> {
  let timestamp: SigningTime['timestamp']
  if (tst) {
    const check =
      tst.token && tst.data ? await store.checkTimestamp(tst.token, tst.data) : { ok: false, rule: 'timestamp.invalid' as const, problem: 'the time-stamp token is not base64' }
    timestamp = {
      trusted: check.ok,
      ...('time' in check && check.time ? { time: check.time.toISOString() } : {}),
      ...('tsa' in check && check.tsa ? { tsa: check.tsa } : {}),
      ...(check.ok ? {} : { problem: check.problem ?? 'the time-stamp is not valid', rule: check.rule ?? 'timestamp.invalid' }),
    }
  }
  const date = options.date ?? (timestamp?.trusted && timestamp.time ? new Date(timestamp.time) : (options.now ?? new Date()))
  // A token that is broken or covers another signature is tampering: untrusted. A sound token from a
  // TSA this verifier does not trust only goes unused (the certificate is then checked at now).
  const tsFailed = Boolean(timestamp && !timestamp.trusted && timestamp.rule === 'timestamp.invalid')
  const tsUnused = timestamp && !timestamp.trusted && !tsFailed ? ` (the time-stamp was not used: ${timestamp.problem})` : ''
  return { date, ...(timestamp ? { timestamp } : {}), tsFailed, tsUnused }
}

/** base64url (or base64) decoded, or null when the text is not that. */
function base64OrNull(text: string): Uint8Array | null {
  try {
    return fromBase64Url(text)
  } catch {
    return null
  }
}
