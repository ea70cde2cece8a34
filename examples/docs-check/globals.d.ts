// Names that documentation fragments use without declaring them (the reader's own data). Samples
// marked `run` must not rely on these: they are executed as they are.
import type { Label, ReportMessage, Signer, StampContext, StampOptions, TrustStore, UnsignedLabel } from '@tanba/core'

declare global {
  /** PEM texts: a PKCS#8 private key, a certificate chain (leaf first), a root certificate. */
  const keyPem: string
  const chainPem: string
  const caPem: string
  const privateKey: string
  const certificateChain: string
  /** File contents the reader already has. */
  const bytes: Uint8Array
  const input: Uint8Array
  // eslint-disable-next-line no-var -- samples assign to it
  var output: Uint8Array
  const imageBytes: Uint8Array
  const pngBytes: Uint8Array
  const someBytes: Uint8Array
  const clipBytes: Uint8Array
  const mediaType: string
  const trust: TrustStore
  const signer: Signer
  const label: Label
  const unsignedLabel: UnsignedLabel
  /** Stamp options as in the surrounding text. */
  const options: StampOptions
  /** Inside an adapter's stamp(): the context core passes. */
  const ctx: StampContext
  /** An adapter's report messages so far. */
  const messages: ReportMessage[]
  /** A web or Node response, its headers, a token stream and where it goes. */
  const response: { setHeader(name: string, value: string): void }
  const headers: Headers
  const tokens: ReadableStream<string>
  const sink: WritableStream<string>
}
export {}
