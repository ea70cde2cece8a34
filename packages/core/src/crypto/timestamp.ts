import type * as Pkijs from 'pkijs'
import { equalBytes, sha256 } from '../bytes.js'
import { DependencyError, InvalidOptionError } from '../errors.js'
import { validateCertificatePath, type CertificateRule } from './path.js'
import { loadPki } from './pki.js'

/**
 * Gets an RFC 3161 time-stamp token over some bytes: a TSA over HTTP (createTsaClient) or
 * anything else that can (a signing service that stamps too). Returns the TimeStampToken
 * (a CMS ContentInfo) as DER.
 */
export interface TimestampClient {
  timestamp(data: Uint8Array): Promise<Uint8Array>
}

export interface TsaClientOptions {
  /** The TSA's URL (RFC 3161 over HTTP: POST application/timestamp-query). */
  url: string
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch
  /** Optional TSA policy OID to ask for. */
  policy?: string
}

const OID_SHA256 = '2.16.840.1.101.3.4.2.1'
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4'
/** A TSA reply larger than this is refused (a token with its chain is a few kilobytes). */
export const MAX_TIMESTAMP_RESPONSE_BYTES = 256 * 1024

/** A TimestampClient for an RFC 3161 TSA over HTTP (works wherever fetch and Web Crypto do). */
export function createTsaClient(options: TsaClientOptions): TimestampClient {
  let url: URL
  try {
    url = new URL(options.url)
  } catch (cause) {
    throw new InvalidOptionError(`Expected the TSA URL (--tsa) as an http(s) URL but received ${JSON.stringify(options.url)}`, { cause, details: { option: 'tsa' } })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(`Expected the TSA URL (--tsa) to be http or https but received ${url.protocol}`, { details: { option: 'tsa' } })
  }
  const doFetch = options.fetch ?? globalThis.fetch
  return {
    async timestamp(data) {
      const { pkijs, asn1js } = await loadPki()
      const nonce = crypto.getRandomValues(new Uint8Array(8))
      nonce[0]! &= 0x7f
      nonce[0]! |= 0x01
      const request = new pkijs.TimeStampReq({
        version: 1,
        messageImprint: new pkijs.MessageImprint({
          hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 }),
          hashedMessage: new asn1js.OctetString({ valueHex: (await sha256(data)) as Uint8Array<ArrayBuffer> }),
        }),
        nonce: new asn1js.Integer({ valueHex: nonce }),
        certReq: true,
        ...(options.policy ? { reqPolicy: options.policy } : {}),
      })
      const body = new Uint8Array(request.toSchema().toBER(false))
      let response: Response
      try {
        response = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body })
      } catch (cause) {
        throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} could not be reached: ${(cause as Error).message}`, { cause })
      }
      if (!response.ok) throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} answered HTTP ${response.status}`)
      const reply = new Uint8Array(await response.arrayBuffer())
      if (reply.length > MAX_TIMESTAMP_RESPONSE_BYTES) {
        throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} answered ${reply.length} bytes; at most ${MAX_TIMESTAMP_RESPONSE_BYTES} are accepted`)
      }
      let parsed: Pkijs.TimeStampResp
      try {
        parsed = pkijs.TimeStampResp.fromBER(reply)
      } catch (cause) {
        throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} did not answer with an RFC 3161 TimeStampResp`, { cause })
      }
      const status = parsed.status.status
      if ((status !== 0 && status !== 1) || !parsed.timeStampToken) {
        const text = parsed.status.statusStrings?.map((s) => s.valueBlock.value).join('; ')
        throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} refused the request (PKIStatus ${status}${text ? `: ${text}` : ''})`)
      }
      const token = new Uint8Array(parsed.timeStampToken.toSchema().toBER(false))
      const info = tstInfoOf(pkijs, token)
      if (!info) throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} answered a token without TSTInfo`)
      if (!equalBytes(new Uint8Array(info.messageImprint.hashedMessage.valueBlock.valueHexView), await sha256(data))) {
        throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} stamped other data than was sent`)
      }
      if (!info.nonce || !equalBytes(new Uint8Array(info.nonce.valueBlock.valueHexView), nonce)) {
        throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The time-stamping authority at ${url.href} answered with another nonce (a replayed or mixed-up reply)`)
      }
      return token
    },
  }
}

export interface TimestampCheck {
  ok: boolean
  /** The TSA's time (TSTInfo genTime), when the token could be read. */
  time?: Date
  /** Subject of the TSA certificate. */
  tsa?: string
  rule?: CertificateRule | 'timestamp.invalid' | 'timestamp.untrusted'
  problem?: string
}

/**
 * Checks an RFC 3161 token over `data`: its TSTInfo's message imprint is SHA-256 (or another hash
 * Web Crypto has) of `data`, the CMS signature verifies with the TSA certificate inside the token,
 * and that certificate is a time-stamping end entity whose path reaches one of `anchors` at genTime.
 */
export async function verifyTimestampToken(token: Uint8Array, data: Uint8Array, anchors: readonly Uint8Array[]): Promise<TimestampCheck> {
  const { pkijs } = await loadPki()
  let signed: Pkijs.SignedData
  let info: Pkijs.TSTInfo
  try {
    const content = pkijs.ContentInfo.fromBER(token as Uint8Array<ArrayBuffer>)
    signed = new pkijs.SignedData({ schema: content.content })
    const parsed = tstInfoOf(pkijs, token)
    if (!parsed || signed.encapContentInfo.eContentType !== OID_TST_INFO) throw new Error('no TSTInfo')
    info = parsed
  } catch {
    return { ok: false, rule: 'timestamp.invalid', problem: 'the time-stamp token (sig.tst) cannot be parsed as an RFC 3161 TimeStampToken' }
  }
  const time = info.genTime
  const detached = data.slice().buffer as ArrayBuffer
  const result: { signatureVerified?: boolean | null; signerCertificate?: Pkijs.Certificate | null; message?: string } = await signed
    .verify({ signer: 0, data: detached, checkChain: false, extendedMode: true })
    .catch((error: unknown) => ({ signatureVerified: false, signerCertificate: (error as { signerCertificate?: Pkijs.Certificate }).signerCertificate ?? null, message: (error as Error).message }))
  const tsaCert = result.signerCertificate ?? undefined
  const tsa = tsaCert ? subjectText(tsaCert) : undefined
  if (!result.signatureVerified) {
    return { ok: false, time, ...(tsa ? { tsa } : {}), rule: 'timestamp.invalid', problem: `the time-stamp token does not cover this label's signature or its own signature does not verify${result.message ? ` (${result.message})` : ''}` }
  }
  if (!tsaCert) return { ok: false, time, rule: 'timestamp.invalid', problem: 'the time-stamp token holds no TSA certificate' }
  if (!anchors.length) return { ok: false, time, ...(tsa ? { tsa } : {}), rule: 'timestamp.untrusted', problem: 'no time-stamping authority is trusted (pass its root as a TSA trust anchor)' }
  const others = (signed.certificates ?? []).filter((c): c is Pkijs.Certificate => c instanceof pkijs.Certificate && c !== tsaCert)
  const chain = [tsaCert, ...others].map((c) => new Uint8Array(c.toSchema().toBER(false)))
  const path = await validateCertificatePath(chain, anchors, { date: time, purpose: 'timestamping' })
  if (!path.ok) return { ok: false, time, ...(tsa ? { tsa } : {}), rule: path.rule ?? 'timestamp.untrusted', problem: `the time-stamping authority is not trusted: ${path.problem}` }
  return { ok: true, time, ...(tsa ? { tsa } : {}) }
}

function tstInfoOf(pkijs: typeof Pkijs, token: Uint8Array): Pkijs.TSTInfo | undefined {
  try {
    const content = pkijs.ContentInfo.fromBER(token as Uint8Array<ArrayBuffer>)
    const signed = new pkijs.SignedData({ schema: content.content })
    const e = signed.encapContentInfo.eContent
    if (!e) return undefined
    return pkijs.TSTInfo.fromBER(e.getValue())
  } catch {
    return undefined
  }
}

function subjectText(cert: Pkijs.Certificate): string {
  const names: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.6': 'C', '2.5.4.11': 'OU' }
  return cert.subject.typesAndValues.map((tv) => `${names[tv.type] ?? tv.type}=${String((tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? '')}`).join(', ')
}
