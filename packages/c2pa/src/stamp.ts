// The one C2PA signing path every adapter uses: format and signer checks, the caller's failure
// policy, what happens to an existing manifest, and the same rule ids for the same situation.
import { C2PA_OFF_HINT, C2PA_RULES, DependencyError, InvalidKeyError, InvalidOptionError, isTanbaError, MalformedInputError, UnsupportedFormatError, type Label, type Origin, type ReportMessage, type Signer, type TanbaError } from '@tanba/core'
import { readC2pa, signC2paDetailed, TANBA_CLAIM_GENERATOR, type C2paParent } from './c2pa.js'
import { c2paSupport, formatName, normaliseMediaType } from './formats.js'
import type { C2paRule } from './rules.js'
import { integrityCodes } from './summary-findings.js'
import type { C2paSummary } from './summary.js'

/**
 * What the caller wants when C2PA cannot be written: `required` fails the stamp with a typed error,
 * `preferred` writes the other carriers and reports one message (a rule of C2PA_RULES).
 */
export type C2paPolicy = 'required' | 'preferred'

/** An input's own manifest that is invalid or unreadable: keep it as the parent ingredient (default) or drop it. */
export type BrokenParentPolicy = 'keep' | 'drop'

export interface StampC2paOptions {
  policy: C2paPolicy
  signer: Signer
  origin?: Origin
  /** The signed Tanba label, embedded as the `tanba.label` assertion. */
  label: Label
  title?: string
  /** The asset whose manifest becomes the parent ingredient (default: `bytes` themselves). */
  parent?: C2paParent
  brokenParent?: BrokenParentPolicy
  /** Carrier name in the messages (default "c2pa"). */
  carrier?: string
  signal?: AbortSignal
}

export interface StampC2paResult {
  /** The signed file, or null when C2PA was left out under the `preferred` policy. */
  bytes: Uint8Array | null
  messages: ReportMessage[]
}

/** The option and CLI flag that turn C2PA off, named in every message that can be solved by it. */
const OFF_HINT = C2PA_OFF_HINT
const DROP_HINT = "drop the broken manifest with --c2pa-drop-broken-parent (in the SDK: adapterOptions.c2pa.brokenParent set to 'drop')"

/** Reads `adapterOptions.c2pa.brokenParent`, the one C2PA stamping option adapters pass through. */
export function brokenParentOption(adapterOptions: Record<string, unknown>): BrokenParentPolicy {
  const value = (adapterOptions.c2pa as { brokenParent?: unknown } | undefined)?.brokenParent
  if (value === undefined || value === 'keep') return 'keep'
  if (value === 'drop') return 'drop'
  throw new InvalidOptionError(`Expected adapterOptions.c2pa.brokenParent to be "keep" or "drop" but received ${JSON.stringify(value)}`, {
    details: { option: 'adapterOptions.c2pa.brokenParent' },
  })
}

/**
 * Embeds a signed C2PA manifest (the AI action and digital source type, the Tanba label assertion;
 * an existing manifest as the parent ingredient) under the caller's policy. Under `preferred`
 * every problem becomes one non-fatal message and `bytes: null`; under `required` it is thrown as
 * the typed error with `details.rule` set. Aborts and key errors are always thrown.
 */
export async function stampC2pa(bytes: Uint8Array, mimeType: string, options: StampC2paOptions): Promise<StampC2paResult> {
  const carrier = options.carrier ?? 'c2pa'
  const mediaType = normaliseMediaType(mimeType)
  const messages: ReportMessage[] = []
  const fail = (rule: C2paRule, error: TanbaError): StampC2paResult => {
    if (options.policy === 'required') throw error
    return { bytes: null, messages: [C2PA_RULES.message(rule, `C2PA left out: ${error.message}`, { carrier })] }
  }
  if (!c2paSupport(mediaType).sign) {
    return fail(
      'c2pa.unsupported-format',
      new UnsupportedFormatError(`${formatName(mediaType)} files cannot carry a C2PA manifest; ${OFF_HINT}`, { details: { mediaType, rule: 'c2pa.unsupported-format', option: 'c2pa' } }),
    )
  }
  const unsuitable = signerProblem(options.signer)
  if (unsuitable) return fail('c2pa.signer-unsuitable', new InvalidKeyError(`${unsuitable}; ${OFF_HINT}`, { details: { rule: 'c2pa.signer-unsuitable', option: 'c2pa' } }))

  let dropParent: { reason: string } | undefined
  if (options.brokenParent === 'drop') {
    const problem = await parentProblem(options.parent?.bytes ?? bytes, options.parent?.mimeType ?? mediaType, options.signal)
    if (problem) {
      dropParent = { reason: `Tanba dropped the input's C2PA manifest: ${problem}` }
      messages.push(C2PA_RULES.message('c2pa.parent-dropped', `${dropParent.reason}; the new manifest starts a fresh history and says so in its action description`, { carrier }))
    }
  }
  try {
    const signed = await signC2paDetailed(bytes, mediaType, {
      signer: options.signer,
      ...(options.origin ? { origin: options.origin } : {}),
      tanbaLabel: options.label,
      claimGenerator: TANBA_CLAIM_GENERATOR,
      ...(options.title ? { title: options.title } : {}),
      ...(options.parent ? { parent: options.parent } : {}),
      ...(dropParent ? { dropParent } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
    if (signed.parentKept && signed.parentStore) {
      const broken = integrityCodes(signed.parentStore)
      if (broken.length) {
        messages.push(C2PA_RULES.message('c2pa.parent-invalid', `The input's C2PA manifest is invalid (${broken.join(', ')}) and was kept as the parent ingredient, so C2PA validators report the new manifest's history as invalid too; ${DROP_HINT}`, { carrier }))
      } else {
        messages.push(C2PA_RULES.message('c2pa.parent-kept', 'The existing C2PA manifest was kept as the parent ingredient', { carrier }))
      }
    } else if (signed.parentKept && !options.parent) {
      messages.push(C2PA_RULES.message('c2pa.parent-kept', 'The existing C2PA manifest was kept as the parent ingredient', { carrier }))
    }
    return { bytes: signed.bytes, messages }
  } catch (error) {
    if (!isTanbaError(error)) throw error
    if (error.code === 'TANBA_ABORTED' || error.code === 'TANBA_INVALID_KEY') throw error
    if (error.details?.rule === 'c2pa.parent-unreadable') {
      return fail(
        'c2pa.parent-unreadable',
        new MalformedInputError(`${error.message}; ${DROP_HINT}, or ${OFF_HINT}`, { cause: error, details: { ...error.details, option: 'c2pa' } }),
      )
    }
    if (error.code === 'TANBA_DEPENDENCY_MISSING') {
      return fail('c2pa.unavailable', new DependencyError('TANBA_DEPENDENCY_MISSING', `${error.message}; or ${OFF_HINT}`, { cause: error, details: { ...error.details, rule: 'c2pa.unavailable', option: 'c2pa' } }))
    }
    return fail(
      'c2pa.failed',
      new DependencyError('TANBA_DEPENDENCY_FAILED', `C2PA signing failed (${error.code}): ${error.message}; ${OFF_HINT}`, { cause: error, details: { ...error.details, rule: 'c2pa.failed', option: 'c2pa' } }),
    )
  }
}

/** Why this signer cannot sign a clean C2PA manifest, or null. */
function signerProblem(signer: Signer): string | null {
  if (signer.alg !== 'ES256' && signer.alg !== 'Ed25519') return `C2PA signing supports ES256 and Ed25519 keys but the signer's alg is ${JSON.stringify(signer.alg)}`
  const leaf = signer.certificates?.[0]
  if (!leaf) return 'C2PA signing needs an X.509 certificate chain (signer.certificates, DER, leaf first) but the signer has none; create one with `tanba keygen`'
  // c2pa-rs (crypto/cose/verifier.rs, verify_signature) refuses a signing certificate whose
  // subject has no organizationName: every manifest it signs then reads as claimSignature.mismatch.
  // Without a trusted time-stamp, C2PA judges the certificate at the current time (c2pa-rs
  // check_certificate_profile), the same rule as the Tanba label: c2pa-node refuses to sign otherwise.
  const validity = validityOf(leaf)
  const now = new Date()
  if (validity && (now < validity.notBefore || now > validity.notAfter)) {
    return `the signing certificate is not valid now (valid ${validity.notBefore.toISOString()} to ${validity.notAfter.toISOString()}), so no C2PA manifest can be signed with it; renew it (\`tanba keygen\`)`
  }
  if (!hasOrganisation(leaf)) {
    return 'the signing certificate\'s subject has no organisation (O=), which C2PA validators require (c2pa-rs reports every such manifest as claimSignature.mismatch); issue a certificate with an organisation (`tanba keygen --org "Name"`)'
  }
  return null
}

/** Whether a DER certificate's subject holds an organizationName (2.5.4.10) attribute. */
export function hasOrganisation(der: Uint8Array): boolean {
  const subject = tbsField(der, 4)
  if (!subject) return true // not parseable here: let the signer and validator decide
  // AttributeTypeAndValue: SEQUENCE { OID 2.5.4.10 (06 03 55 04 0a), value }
  for (let i = subject.start; i + 4 < subject.end; i++) {
    if (der[i] === 0x06 && der[i + 1] === 0x03 && der[i + 2] === 0x55 && der[i + 3] === 0x04 && der[i + 4] === 0x0a) return true
  }
  return false
}

/** The certificate's validity period, or null when it cannot be read here. */
function validityOf(der: Uint8Array): { notBefore: Date; notAfter: Date } | null {
  const validity = tbsField(der, 3)
  const first = validity && derItem(der, validity.start)
  const second = first && derItem(der, first.end)
  const notBefore = first && asn1Time(der, first)
  const notAfter = second && asn1Time(der, second)
  return notBefore && notAfter ? { notBefore, notAfter } : null
}

interface DerItem {
  tag: number
  start: number
  end: number
}

function derItem(der: Uint8Array, at: number): DerItem | null {
  if (at + 2 > der.length) return null
  const tag = der[at]!
  let len = der[at + 1]!
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4 || start + n > der.length) return null
    len = 0
    for (let k = 0; k < n; k++) len = len * 256 + der[start + k]!
    start += n
  }
  return start + len <= der.length ? { tag, start, end: start + len } : null
}

/** TBSCertificate field `index` after the optional version: 0 serial, 1 signature, 2 issuer, 3 validity, 4 subject. */
function tbsField(der: Uint8Array, index: number): DerItem | null {
  const cert = derItem(der, 0)
  const tbs = cert && derItem(der, cert.start)
  if (!tbs) return null
  let field = derItem(der, tbs.start)
  if (field?.tag === 0xa0) field = derItem(der, field.end)
  for (let k = 0; k < index && field; k++) field = derItem(der, field.end)
  return field && field.tag === 0x30 ? field : null
}

/** UTCTime (YYMMDDHHMMSSZ, RFC 5280 4.1.2.5.1) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
function asn1Time(der: Uint8Array, item: DerItem): Date | null {
  const text = String.fromCharCode(...der.subarray(item.start, item.end))
  const m = item.tag === 0x17 ? text.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/) : item.tag === 0x18 ? text.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/) : null
  if (!m) return null
  const year = item.tag === 0x17 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1])
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
}

/** Why the parent's manifest should be dropped under `brokenParent: 'drop'`: unreadable or invalid; null when fine or absent. */
async function parentProblem(bytes: Uint8Array, mediaType: string, signal?: AbortSignal): Promise<string | null> {
  let summary: C2paSummary | null
  try {
    summary = await readC2pa(bytes, mediaType, signal ? { signal } : {})
  } catch (error) {
    if (isTanbaError(error) && (error.code === 'TANBA_MALFORMED_INPUT' || error.code === 'TANBA_DEPENDENCY_FAILED')) return `it cannot be read (${error.message})`
    throw error
  }
  if (!summary) return null
  const broken = integrityCodes(summary)
  return broken.length ? `it is invalid (${broken.join(', ')})` : null
}
