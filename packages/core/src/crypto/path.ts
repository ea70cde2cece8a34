import type * as Pkijs from 'pkijs'
import { equalBytes } from '../bytes.js'
import { loadPki } from './pki.js'

/** What the end-entity certificate of a path is for: signing labels and claims, or RFC 3161 time-stamps. */
export type CertificatePurpose = 'signing' | 'timestamping'

/** Stable rule ids of certificate path validation, as they appear in reports. */
export type CertificateRule =
  | 'certificate.unparseable'
  | 'certificate.no-anchor'
  | 'certificate.signature'
  | 'certificate.name-chaining'
  | 'certificate.validity'
  | 'certificate.issuer-not-ca'
  | 'certificate.path-length'
  | 'certificate.critical-extension'
  | 'certificate.policy'
  | 'certificate.name-constraints'
  | 'certificate.path-invalid'
  | 'certificate.leaf-is-ca'
  | 'certificate.leaf-key-usage'
  | 'certificate.leaf-eku'

export interface PathResult {
  ok: boolean
  rule?: CertificateRule
  problem?: string
  /** The validated path as DER, leaf first, ending with the trust anchor. */
  path?: Uint8Array[]
  /** The latest notBefore and the earliest notAfter over the path: the dates at which it holds. */
  window?: { notBefore: Date; notAfter: Date }
}

/** Extended key usages (RFC 5280, RFC 9336, C2PA 2.x certificate profile). */
export const EKU = {
  any: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  documentSigning: '1.3.6.1.5.5.7.3.36',
  c2paClaimSigning: '1.3.6.1.4.1.62558.2.1',
  microsoftC2paSigning: '1.3.6.1.4.1.311.76.59.1.9',
} as const

/**
 * The EKUs a label or C2PA claim signer may carry: those of the C2PA certificate profile for claim
 * signers. timeStamping and OCSPSigning, which the profile also lists, name other roles (a TSA, an
 * OCSP responder) and are not accepted for a signer.
 */
export const SIGNING_EKUS: readonly string[] = [EKU.emailProtection, EKU.documentSigning, EKU.c2paClaimSigning, EKU.microsoftC2paSigning]

const KU_DIGITAL_SIGNATURE = 0x80
const KU_NON_REPUDIATION = 0x40
const KU_KEY_CERT_SIGN = 0x04
/** Extensions the engine or the profile checks act on (or that are safe to be critical: key ids, CRL/OCSP pointers). */
const PROCESSED_EXTENSIONS = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName (name constraints)
  '2.5.29.19', // basicConstraints
  '2.5.29.30', // nameConstraints
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.32', // certificatePolicies
  '2.5.29.33', // policyMappings
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.36', // policyConstraints
  '2.5.29.37', // extKeyUsage
  '2.5.29.54', // inhibitAnyPolicy
  '1.3.6.1.5.5.7.1.1', // authorityInfoAccess
])
const OID = { keyUsage: '2.5.29.15', basicConstraints: '2.5.29.19', extKeyUsage: '2.5.29.37' }

/**
 * RFC 5280 path validation of `chain` (DER, leaf first, as in x5c) to one of `anchors` at `date`,
 * then the end-entity profile for `purpose`. The path itself is built and checked by PKI.js's
 * CertificateChainValidationEngine (signatures, name chaining, validity of every certificate
 * including the anchor, issuers being CAs with keyCertSign, critical extensions of issuers,
 * policies, name constraints); this adds what it leaves out: pathLenConstraint, the leaf's
 * critical extensions, and the leaf's key usage, extended key usage and CA flag.
 * A chain whose leaf is itself an anchor (a pinned signer certificate) still has its dates,
 * extensions and profile checked.
 */
export async function validateCertificatePath(
  chain: readonly Uint8Array[],
  anchors: readonly Uint8Array[],
  options: { date: Date; purpose: CertificatePurpose },
): Promise<PathResult> {
  const pki = await loadPki()
  const { pkijs } = pki
  const parse = (der: Uint8Array): Pkijs.Certificate | null => {
    try {
      return pkijs.Certificate.fromBER(der as Uint8Array<ArrayBuffer>)
    } catch {
      return null
    }
  }
  const certs = chain.map(parse)
  if (!certs.length) return fail('certificate.unparseable', 'the certificate chain is empty')
  if (certs.some((c) => !c)) return fail('certificate.unparseable', 'the certificate chain cannot be parsed')
  const leaf = certs[0]!
  const trusted = anchors.map(parse).filter((c): c is Pkijs.Certificate => c !== null)
  const date = options.date
  const pinned = trusted.some((a) => equalBytes(der(a), chain[0]!))

  let path: Pkijs.Certificate[]
  if (pinned) {
    path = [leaf]
    const invalid = outOfValidity(leaf, date)
    if (invalid) return fail('certificate.validity', `certificate 0 (${describe(leaf)}) ${invalid}`)
  } else {
    if (!trusted.length) return fail('certificate.no-anchor', 'the chain reaches no certificate in the trust store (the trust store holds no certificates)')
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: trusted,
      // The engine takes its end-entity certificate from the end of the list.
      certs: [...(certs as Pkijs.Certificate[])].reverse(),
      checkDate: date,
      findIssuer: findIssuerWithEd25519,
    })
    const result = await engine.verify({ passedWhenNotRevValues: false }).catch((error: unknown) => ({
      result: false,
      resultCode: -1,
      resultMessage: String((error as Error)?.message ?? error),
      certificatePath: undefined,
    }))
    if (!result.result || !result.certificatePath) {
      return explainFailure(certs as Pkijs.Certificate[], trusted, date, result.resultCode, result.resultMessage)
    }
    path = result.certificatePath
  }

  // pathLenConstraint (RFC 5280 6.1.4 (l), (m)): the non-self-issued intermediates below each CA.
  for (let k = 1; k < path.length; k++) {
    const limit = basicConstraints(path[k]!)?.pathLen
    if (limit === undefined) continue
    let below = 0
    for (let j = 1; j < k; j++) if (!path[j]!.subject.isEqual(path[j]!.issuer)) below++
    if (below > limit) {
      return fail('certificate.path-length', `certificate ${describe(path[k]!)} allows ${limit} intermediate CA certificate(s) below it (pathLenConstraint) but the path has ${below}`)
    }
  }
  // A critical extension this validation does not process makes the path invalid (RFC 5280 4.2);
  // the engine only refuses those it cannot parse, and only on issuers.
  for (const cert of path) {
    const unknown = cert.extensions?.find((e) => e.critical && (!PROCESSED_EXTENSIONS.has(e.extnID) || e.parsedValue === undefined))
    if (unknown) return fail('certificate.critical-extension', `certificate ${describe(cert)} has a critical extension ${unknown.extnID} that is not understood`)
  }
  const profile = checkLeafProfile(leaf, options.purpose)
  if (profile) return profile
  return {
    ok: true,
    path: path.map(der),
    window: {
      notBefore: new Date(Math.max(...path.map((c) => c.notBefore.value.getTime()))),
      notAfter: new Date(Math.min(...path.map((c) => c.notAfter.value.getTime()))),
    },
  }
}

const OID_ED25519 = '1.3.101.112'

/**
 * The engine's own issuer search (key identifiers, then names; each candidate's signature
 * verified), plus Ed25519 links, which PKI.js's crypto engine does not know: those are verified
 * with Web Crypto directly. Name chaining and everything else stay with the engine.
 */
async function findIssuerWithEd25519(cert: Pkijs.Certificate, engine: Pkijs.CertificateChainValidationEngine): Promise<Pkijs.Certificate[]> {
  const found = await engine.defaultFindIssuer(cert, engine)
  if (found.length || cert.signatureAlgorithm.algorithmId !== OID_ED25519) return found
  const candidates = [...engine.trustedCerts, ...engine.certs].filter((c) => cert.issuer.isEqual(c.subject))
  const out: Pkijs.Certificate[] = []
  for (const candidate of candidates) if (await signedBy(cert, candidate)) out.push(candidate)
  return out
}

/** Whether `issuer`'s key made `cert`'s signature: PKI.js for ECDSA and RSA, Web Crypto for Ed25519. */
async function signedBy(cert: Pkijs.Certificate, issuer: Pkijs.Certificate): Promise<boolean> {
  if (cert.signatureAlgorithm.algorithmId !== OID_ED25519) return cert.verify(issuer).catch(() => false)
  try {
    const spki = new Uint8Array(issuer.subjectPublicKeyInfo.toSchema().toBER(false))
    const key = await crypto.subtle.importKey('spki', spki, { name: 'Ed25519' }, false, ['verify'])
    const tbs = cert.tbsView.byteLength ? cert.tbsView : new Uint8Array(cert.encodeTBS().toBER(false))
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, cert.signatureValue.valueBlock.valueHexView as Uint8Array<ArrayBuffer>, tbs as Uint8Array<ArrayBuffer>)
  } catch {
    return false // not an Ed25519 key, or a malformed one
  }
}

/** The end-entity profile: C2PA's for claim signers, RFC 3161 2.3 for a TSA. */
function checkLeafProfile(leaf: Pkijs.Certificate, purpose: CertificatePurpose): PathResult | undefined {
  const who = `the ${purpose === 'signing' ? 'signing' : 'time-stamping'} certificate (${describe(leaf)})`
  if (basicConstraints(leaf)?.ca) return fail('certificate.leaf-is-ca', `${who} is a CA certificate (basicConstraints CA:TRUE); an end-entity certificate is expected`)
  const ku = keyUsage(leaf)
  if (purpose === 'signing') {
    if (ku === undefined) return fail('certificate.leaf-key-usage', `${who} has no keyUsage extension; digitalSignature is required`)
    if (!(ku & KU_DIGITAL_SIGNATURE)) return fail('certificate.leaf-key-usage', `${who} lacks the digitalSignature key usage`)
    if (ku & KU_KEY_CERT_SIGN) return fail('certificate.leaf-key-usage', `${who} has the keyCertSign key usage, which only CA certificates may have`)
  } else if (ku !== undefined && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
    return fail('certificate.leaf-key-usage', `${who} lacks the digitalSignature and nonRepudiation key usages`)
  }
  const eku = extKeyUsage(leaf)
  if (purpose === 'signing') {
    if (!eku?.purposes.length) return fail('certificate.leaf-eku', `${who} has no extended key usage; one of ${SIGNING_EKUS.join(', ')} is required`)
    if (eku.purposes.includes(EKU.any)) return fail('certificate.leaf-eku', `${who} has anyExtendedKeyUsage, which the C2PA certificate profile forbids`)
    if (!eku.purposes.some((p) => SIGNING_EKUS.includes(p))) {
      return fail('certificate.leaf-eku', `${who} has extended key usage ${eku.purposes.join(', ')}; expected one of ${SIGNING_EKUS.join(', ')} (emailProtection, documentSigning, C2PA claim signing)`)
    }
  } else if (!eku || eku.purposes.length !== 1 || eku.purposes[0] !== EKU.timeStamping || !eku.critical) {
    return fail('certificate.leaf-eku', `${who} must have exactly the timeStamping extended key usage, marked critical (RFC 3161 2.3); it has ${eku ? eku.purposes.join(', ') : 'none'}`)
  }
  return undefined
}

/** Turns the engine's result code into a rule, naming the certificate at fault where that can be told. */
async function explainFailure(certs: Pkijs.Certificate[], anchors: Pkijs.Certificate[], date: Date, code: number, message: string): Promise<PathResult> {

  const issuersOf = (cert: Pkijs.Certificate) => [...certs, ...anchors].filter((c) => c !== cert && cert.issuer.isEqual(c.subject))
  switch (code) {
    case 8: {
      for (const [i, cert] of certs.entries()) {
        const invalid = outOfValidity(cert, date)
        if (invalid) return fail('certificate.validity', `certificate ${i} (${describe(cert)}) ${invalid}`)
      }
      const anchor = anchors.find((a) => outOfValidity(a, date) && certs.some((c) => c.issuer.isEqual(a.subject)))
      return fail('certificate.validity', anchor ? `the trust anchor (${describe(anchor)}) ${outOfValidity(anchor, date)}` : `a certificate of the path is not valid at ${date.toISOString()}`)
    }
    case 3:
    case 4:
    case 7:
    case 14: {
      const culprit = certs.slice(1).concat(anchors).find((c) => !isCa(c) && certs.some((x) => x !== c && x.issuer.isEqual(c.subject)))
      const who = culprit ? `certificate ${describe(culprit)}` : 'an issuing certificate'
      return fail('certificate.issuer-not-ca', `${who} issues certificates but is not a CA (basicConstraints CA:TRUE and keyCertSign are required): ${message}`)
    }
    case 6:
      return fail('certificate.critical-extension', `an issuing certificate has a critical extension that is not understood: ${message}`)
    case 10:
      return fail('certificate.name-chaining', `the issuer names do not chain: ${message}`)
    case 9:
      return fail('certificate.path-invalid', message)
    case 41:
    case 42:
      return fail('certificate.name-constraints', `a subject is outside an issuer's name constraints: ${message}`)
    default:
      if (code >= 15 && code <= 99 && code !== 60 && code !== 97) return fail('certificate.policy', `certificate policies: ${message}`)
  }
  // No path: say whether a link's signature is what broke it, else that no anchor was reached.
  for (let i = 0; i + 1 < certs.length; i++) {
    const cert = certs[i]!
    const parent = certs[i + 1]!
    if (!issuersOf(cert).includes(parent)) continue
    const signedByParent = await signedBy(cert, parent)
    if (!signedByParent) return fail('certificate.signature', `certificate ${i} is not signed by certificate ${i + 1} of the chain`)
  }
  return fail('certificate.no-anchor', 'the chain reaches no certificate in the trust store')
}

function fail(rule: CertificateRule, problem: string): PathResult {
  return { ok: false, rule, problem }
}

function der(cert: Pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema().toBER(false))
}

function outOfValidity(cert: Pkijs.Certificate, date: Date): string | undefined {
  const from = cert.notBefore.value
  const to = cert.notAfter.value
  if (date < from) return `is not valid at ${date.toISOString()} (not valid before ${from.toISOString()})`
  if (date > to) return `is not valid at ${date.toISOString()} (expired on ${to.toISOString()})`
  return undefined
}

function basicConstraints(cert: Pkijs.Certificate): { ca: boolean; pathLen?: number } | undefined {
  const value = cert.extensions?.find((e) => e.extnID === OID.basicConstraints)?.parsedValue as Pkijs.BasicConstraints | undefined
  if (!value) return undefined
  const raw = value.pathLenConstraint as unknown
  const pathLen = typeof raw === 'number' ? raw : (raw as { valueBlock?: { valueDec?: number } } | undefined)?.valueBlock?.valueDec
  return { ca: value.cA === true, ...(pathLen !== undefined ? { pathLen } : {}) }
}

function keyUsage(cert: Pkijs.Certificate): number | undefined {
  const value = cert.extensions?.find((e) => e.extnID === OID.keyUsage)?.parsedValue as { valueBlock: { valueHexView: Uint8Array } } | undefined
  return value ? (value.valueBlock.valueHexView[0] ?? 0) : undefined
}

function extKeyUsage(cert: Pkijs.Certificate): { purposes: string[]; critical: boolean } | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === OID.extKeyUsage)
  const value = ext?.parsedValue as Pkijs.ExtKeyUsage | undefined
  return ext && value ? { purposes: value.keyPurposes, critical: ext.critical } : undefined
}

function isCa(cert: Pkijs.Certificate): boolean {
  const ku = keyUsage(cert)
  return Boolean(basicConstraints(cert)?.ca) && (ku === undefined || (ku & KU_KEY_CERT_SIGN) !== 0)
}

/** The common name (else the whole subject) of a certificate, for messages. */
function describe(cert: Pkijs.Certificate): string {
  const parts = cert.subject.typesAndValues.map((tv) => ({ type: tv.type, value: String((tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? '') }))
  const cn = parts.find((p) => p.type === '2.5.4.3')
  return cn ? `CN=${cn.value}` : parts.map((p) => p.value).join(', ') || '(empty subject)'
}
