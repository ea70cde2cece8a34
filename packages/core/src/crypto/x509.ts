// @peculiar/x509, with the Reflect metadata polyfill its tsyringe container needs, loaded on first
// use: loading it costs each thread ~150 ms and ~20 MB, and signing labels never needs it (only
// reading certificates does: trust anchors, x5c chains, generating credentials).
import type * as X509 from '@peculiar/x509'

export type X509Module = typeof X509

let pending: Promise<X509Module> | undefined

export function loadX509(): Promise<X509Module> {
  pending ??= import('reflect-metadata')
    .then(() => import('@peculiar/x509'))
    .catch((error: unknown) => {
      pending = undefined
      throw error
    })
  return pending
}
