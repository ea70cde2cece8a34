// pkijs (PKI.js, with asn1js), loaded on first use like @peculiar/x509: certificate path validation
// and RFC 3161 time-stamps need it, signing a label without a time-stamp never does. Both libraries
// are pure JavaScript over Web Crypto, so they run in browsers and edge runtimes too.
import type * as Asn1js from 'asn1js'
import type * as Pkijs from 'pkijs'

export interface PkiModules {
  pkijs: typeof Pkijs
  asn1js: typeof Asn1js
}

let pending: Promise<PkiModules> | undefined

export function loadPki(): Promise<PkiModules> {
  pending ??= Promise.all([import('pkijs'), import('asn1js')])
    .then(([pkijs, asn1js]) => ({ pkijs, asn1js }))
    .catch((error: unknown) => {
      pending = undefined
      throw error
    })
  return pending
}
