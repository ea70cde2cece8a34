// Certificates made in the test with @peculiar/x509: a root, intermediates and leaves with exactly
// the defect each test wants, so every path rule can be exercised on its own.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { createCallbackSigner, toBase64, toPem, type Signer } from '../src/index.js'

x509.cryptoProvider.set(crypto)

const ECDSA: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' }
const ALG: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' }
const DAY = 86400_000

export const OID = {
  emailProtection: '1.3.6.1.5.5.7.3.4',
  documentSigning: '1.3.6.1.5.5.7.3.36',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  anyEku: '2.5.29.37.0',
}

export interface Issued {
  cert: x509.X509Certificate
  keys: CryptoKeyPair
  der: Uint8Array
  pem: string
}

export interface IssueOptions {
  cn: string
  /** The issuer; omitted: self-signed. */
  issuer?: Issued
  /** Sign with these keys instead of the issuer's (a forged link). */
  signWith?: CryptoKeyPair
  /** Issuer name to write instead of the issuer's subject (broken name chaining). */
  issuerName?: string
  /** basicConstraints: true/false, or null for none. */
  ca?: boolean | null
  pathLen?: number
  /** keyUsage flags, or null for none. */
  ku?: number | null
  /** extended key usages, or null for none. */
  eku?: string[] | null
  ekuCritical?: boolean
  notBefore?: Date
  notAfter?: Date
  /** An extra critical extension nobody understands. */
  unknownCritical?: boolean
  /** Further extensions, as they are. */
  extraExtensions?: x509.Extension[]
  /** Subject to use instead of CN=<cn>. */
  subject?: string
  /** An Ed25519 key instead of P-256. */
  ed25519?: boolean
}

export const KU = x509.KeyUsageFlags

export async function issue(o: IssueOptions): Promise<Issued> {
  const keys = (await crypto.subtle.generateKey(o.ed25519 ? { name: 'Ed25519' } : ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair
  const now = Date.now()
  const ca = o.ca === undefined ? !o.issuer : o.ca
  const extensions: x509.Extension[] = []
  if (ca !== null) extensions.push(new x509.BasicConstraintsExtension(ca, o.pathLen, true))
  const ku = o.ku === undefined ? (ca ? KU.keyCertSign | KU.cRLSign : KU.digitalSignature) : o.ku
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, true))
  const eku = o.eku === undefined ? (ca ? null : [OID.emailProtection, OID.documentSigning]) : o.eku
  if (eku) extensions.push(new x509.ExtendedKeyUsageExtension(eku, o.ekuCritical ?? false))
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey))
  const signer = o.signWith ?? o.issuer?.keys ?? keys
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(o.signWith ? o.signWith.publicKey : (o.issuer?.keys ?? keys).publicKey))
  if (o.unknownCritical) extensions.push(new x509.Extension('1.3.6.1.4.1.55555.1.1', true, new Uint8Array([0x05, 0x00])))
  extensions.push(...(o.extraExtensions ?? []))
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Math.floor(Math.random() * 1e9).toString(16).padStart(8, '1'),
    subject: o.subject ?? `CN=${o.cn}`,
    issuer: o.issuerName ? `CN=${o.issuerName}` : o.issuer ? o.issuer.cert.subject : `CN=${o.cn}`,
    notBefore: o.notBefore ?? new Date(now - DAY),
    notAfter: o.notAfter ?? new Date(now + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signer.privateKey.algorithm.name === 'Ed25519' ? { name: 'Ed25519' } : ALG,
    extensions,
  })
  const der = new Uint8Array(cert.rawData)
  return { cert, keys, der, pem: toPem('CERTIFICATE', der) }
}

/** A Signer for `leaf`'s key carrying `chain` (leaf first) as its certificates. */
export async function signerFor(leaf: Issued, chain: Issued[]): Promise<Signer> {
  const ed = leaf.keys.privateKey.algorithm.name === 'Ed25519'
  return createCallbackSigner({
    alg: ed ? 'Ed25519' : 'ES256',
    publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', leaf.keys.publicKey)),
    certificates: chain.map((c) => c.der),
    sign: async (data) => new Uint8Array(await crypto.subtle.sign(ed ? { name: 'Ed25519' } : ALG, leaf.keys.privateKey, data as Uint8Array<ArrayBuffer>)),
  })
}

export function x5c(chain: Issued[]): string[] {
  return chain.map((c) => toBase64(c.der))
}

export const days = (n: number) => new Date(Date.now() + n * DAY)

/** A critical nameConstraints extension permitting only subjects under O=<org> (built with PKI.js). */
export async function permittedOrganisation(org: string): Promise<x509.Extension> {
  const pkijs = await import('pkijs')
  const asn1js = await import('asn1js')
  const name = new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.10', value: new asn1js.Utf8String({ value: org }) })],
  })
  const constraints = new pkijs.NameConstraints({ permittedSubtrees: [new pkijs.GeneralSubtree({ base: new pkijs.GeneralName({ type: 4, value: name }) })] })
  return new x509.Extension('2.5.29.30', true, new Uint8Array(constraints.toSchema().toBER(false)))
}
