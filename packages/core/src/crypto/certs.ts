import { toPem } from './keys.js'
import { loadX509 } from './x509.js'

export interface GenerateCredentialsOptions {
  /** Common name of the signing (leaf) certificate, e.g. "Acme AI labelling". */
  commonName?: string
  /**
   * Organisation (the owner or holder of the AI system). Defaults to the common name: C2PA
   * validators require an organizationName in the signing certificate's subject (c2pa-rs,
   * crypto/cose/verifier.rs, reports every manifest signed without one as claimSignature.mismatch).
   */
  organization?: string
  /** ISO 3166-1 alpha-2 country code. */
  country?: string
  /** Validity of the leaf in days (the CA lives twice as long). */
  validityDays?: number
  /** Start of validity; defaults to now minus one hour (clock skew). */
  notBefore?: Date
}

export interface SigningCredentials {
  /** Root certificate to put in verifiers' trust stores. */
  caCertificatePem: string
  /** The CA's private key (PKCS#8). Keep it offline; it is only needed to issue new leaves. */
  caPrivateKeyPem: string
  /** Leaf certificate followed by the CA certificate. */
  chainPem: string
  /** The leaf's private key (PKCS#8, P-256). */
  privateKeyPem: string
  /** The leaf's subject, e.g. "CN=Tanba signer, O=Tanba signer". */
  subject: string
}

const DEFAULT_COMMON_NAME = 'Tanba signer'
const ECDSA: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' }
const SIGNING_ALG: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' }
/** id-kp-documentSigning (RFC 9336). */
export const EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36'
/** c2pa-kp-claimSigning (C2PA 2.2, §14.4.1 "C2PA Signers"): the EKU the C2PA Trust List is for. */
export const EKU_C2PA_CLAIM_SIGNING = '1.3.6.1.4.1.62558.2.1'

function name(cn: string, options: GenerateCredentialsOptions): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1')
  const parts = [`CN=${esc(cn)}`, `O=${esc(options.organization || options.commonName || DEFAULT_COMMON_NAME)}`]
  if (options.country) parts.push(`C=${esc(options.country)}`)
  return parts.join(', ')
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[0]! &= 0x7f // positive
  bytes[0]! |= 0x01 // no leading zero byte
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Makes a private CA and an ES256 leaf certificate that satisfies the C2PA signing
 * certificate profile (v3, not a CA, digitalSignature, emailProtection + documentSigning +
 * c2pa-kp-claimSigning EKU, an organisation in the subject, authority and subject key identifiers), usable for Tanba labels too.
 * For production, have a real CA issue the leaf; this is for development and closed deployments.
 */
export async function generateSigningCredentials(options: GenerateCredentialsOptions = {}): Promise<SigningCredentials> {
  const x509 = await loadX509()
  x509.cryptoProvider.set(crypto)
  const days = options.validityDays ?? 825
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000)
  const leafNotAfter = new Date(notBefore.getTime() + days * 86400_000)
  const caNotAfter = new Date(notBefore.getTime() + 2 * days * 86400_000)
  const caKeys = (await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair
  const leafKeys = (await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair
  const caName = name(`${options.commonName ?? 'Tanba'} Root CA`, options)
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: caName,
    notBefore,
    notAfter: caNotAfter,
    keys: caKeys,
    signingAlgorithm: SIGNING_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name(options.commonName ?? DEFAULT_COMMON_NAME, options),
    issuer: ca.subject,
    notBefore,
    notAfter: leafNotAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGNING_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // C2PA 2.2 §14.4.1: c2pa-kp-claimSigning, with emailProtection and documentSigning for older validators.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.emailProtection, EKU_DOCUMENT_SIGNING, EKU_C2PA_CLAIM_SIGNING], false),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })
  const pkcs8 = async (key: CryptoKey) => new Uint8Array(await crypto.subtle.exportKey('pkcs8', key))
  return {
    caCertificatePem: ca.toString('pem') + '\n',
    caPrivateKeyPem: toPem('PRIVATE KEY', await pkcs8(caKeys.privateKey)),
    chainPem: leaf.toString('pem') + '\n' + ca.toString('pem') + '\n',
    privateKeyPem: toPem('PRIVATE KEY', await pkcs8(leafKeys.privateKey)),
    subject: name(options.commonName ?? DEFAULT_COMMON_NAME, options),
  }
}
