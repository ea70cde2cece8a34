import { createTestCredentials } from '@tanba/core/testing'
import { stamp, verify, inspect } from 'tanba/node'
import { hardeningRegistry } from './test/hardening/helpers.js'
import { yamlDeep } from './test/hardening/mutate.js'
const registry = hardeningRegistry()
const creds = await createTestCredentials()
const d = Number(process.argv[2])
const input = yamlDeep(d)
if (process.argv[3]) { console.log((await verify(input, { registry, filename: 'x.md' })).status); console.log((await inspect(input, { registry, filename: 'x.md' })).markers.length) }
const t0 = performance.now()
try {
const r = await stamp(input, { registry, filename: 'x.md', signer: creds.signer, system: { name: 'S' }, owner: { name: 'O' }, c2pa: false, notice: { visible: false } })
console.log('ok', r.bytes.length)
} catch (e) { console.log('threw', e.name, e.message.slice(0, 300)) }
console.log(performance.now() - t0)
