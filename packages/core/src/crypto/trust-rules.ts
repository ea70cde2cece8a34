import { toBase64 } from '../bytes.js'
import type { TimestampInfo } from '../report.js'
import { signingTime } from './label-signature.js'
import { SIGNING_EKUS } from './path.js'
import type { TrustStore } from './trust.js'

export interface SignerTrustCheck {
  trusted: boolean
  /** The rule that failed (e.g. "certificate.leaf-eku", "timestamp.invalid"), when not trusted. */
  rule?: string
  problem?: string
  /** Subject of the trust anchor reached. */
  anchor?: string
  /** The time the certificates were checked at (RFC 3339). */
  checkedAt: string
  timestamp?: TimestampInfo
}

/** The trust anchors and the trust decision of Tanba labels, for other validators (C2PA). */
export interface SignerTrustRules {
  /** Roots (and pinned certificates) that vouch for signers, as PEM: e.g. c2pa-rs `trust.trust_anchors`. */
  anchorsPem: string
  /** Roots of trusted time-stamping authorities, as PEM. */
  timestampAnchorsPem: string
  /** Extended key usages accepted on a signer certificate (OIDs): e.g. c2pa-rs `trust.trust_config`. */
  signingEkus: readonly string[]
  /**
   * The same decision a Tanba label gets: RFC 5280 path validation of `chain` (DER, leaf first) plus
   * the signer profile, at the time of a trusted RFC 3161 token over `timestamp.data` when one is
   * given, else at `now`. A token that is broken or covers other data makes the signer untrusted.
   */
  check(chain: readonly Uint8Array[], options?: { timestamp?: { token: Uint8Array; data: Uint8Array }; now?: Date }): Promise<SignerTrustCheck>
}

/** Tanba's trust anchors and rules (see SignerTrustRules), so C2PA manifests are judged like labels. */
export function signerTrustRules(store: TrustStore): SignerTrustRules {
  return {
    anchorsPem: store.certificatesPem(),
    timestampAnchorsPem: store.timestampAuthoritiesPem(),
    signingEkus: SIGNING_EKUS,
    async check(chain, options = {}) {
      const time = await signingTime(store, options.timestamp, options.now ? { now: options.now } : {})
      const { rule: _rule, ...timestamp } = time.timestamp ?? { rule: undefined }
      const base = { checkedAt: time.date.toISOString(), ...(time.timestamp ? { timestamp: timestamp as TimestampInfo } : {}) }
      if (time.tsFailed) return { ...base, trusted: false, rule: time.timestamp!.rule!, problem: `the time-stamp is not accepted: ${time.timestamp!.problem}` }
      const result = await store.checkChain(chain.map((c) => toBase64(c)), time.date)
      if (result.trusted) return { ...base, trusted: true, ...(result.anchor ? { anchor: result.anchor } : {}) }
      return { ...base, trusted: false, rule: result.rule ?? 'certificate.no-anchor', problem: (result.problem ?? 'the certificate chain is not trusted') + time.tsUnused }
    },
  }
}
