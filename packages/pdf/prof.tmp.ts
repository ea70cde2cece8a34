import { readFileSync } from 'node:fs'
import { verifyWith } from '@tanba/core'
import { createPdfAdapter } from './src/adapter.ts'
import { PDF_FORMAT } from './src/formats.ts'
import { resolveLimits } from '@tanba/core'
const a = createPdfAdapter()
const bytes = new Uint8Array(readFileSync('/tmp/pdft/out/express-signed.pdf'))
let t = performance.now()
const x = await a.extract(bytes, PDF_FORMAT, { limits: resolveLimits(), c2pa: true, adapterOptions: {} })
console.log('extract', performance.now() - t); t = performance.now()
const label = x.labels[0].label!
await a.digest(bytes, PDF_FORMAT, label.binding, { limits: resolveLimits(), c2pa: true, adapterOptions: {} })
console.log('digest', performance.now() - t); t = performance.now()
const r = await verifyWith(a, bytes, PDF_FORMAT, {})
console.log('verify', performance.now() - t, r.status)
