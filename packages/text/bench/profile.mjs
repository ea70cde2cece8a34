// Profiles one operation on a large text: node --cpu-prof bench/profile.mjs <stamp|verify> <text|markdown|html> [MB]
import { createPemSigner, generateSigningCredentials, stampWith, verifyWith } from '@tanba/core'
import { createTextAdapter, htmlFormat, markdownFormat, plainTextFormat } from '../dist/index.js'
import { largeText, pageOf } from './corpus.mjs'

const [op = 'stamp', id = 'text', mb = '64'] = process.argv.slice(2)
const format = { text: plainTextFormat, markdown: markdownFormat, html: htmlFormat }[id]
const creds = await generateSigningCredentials({ commonName: 'Tanba profile' })
const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
const options = { signer, system: { name: 'Bench Chat', model: 'bench-1' }, owner: { name: 'Bench LLP', id: '123456789012', country: 'KZ' }, profiles: ['kz'] }
const adapter = createTextAdapter()
const input = new TextEncoder().encode(pageOf(id, largeText(Number(mb) * 1e6)))
const stamped = await stampWith(adapter, input, format, options)
const t0 = performance.now()
for (let i = 0; i < 3; i++) {
  if (op === 'stamp') await stampWith(adapter, input, format, options)
  else if ((await verifyWith(adapter, stamped.bytes, format)).status !== 'valid') throw new Error('not valid')
}
const ms = (performance.now() - t0) / 3
console.log(`${op} ${id}: ${ms.toFixed(0)} ms, ${(input.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s`)
