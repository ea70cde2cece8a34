// Run in a fresh process by native.test.ts: performs one job through the umbrella SDK and prints, as
// JSON, what each input gave and which native libraries the process loaded (libvips, the C2PA addon).
import { readFileSync } from 'node:fs'
import { createPemSigner, generateSigningCredentials, isTanbaError } from '@tanba/core'
import { close, stamp, verify } from 'tanba/node'

interface Job {
  op: 'verify' | 'stamp-visible'
  files: Array<{ name: string; path?: string; bytes?: number[] }>
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Job
const c = await generateSigningCredentials({ commonName: 'Tanba native probe' })
const signer = await createPemSigner({ privateKey: c.privateKeyPem, certificateChain: c.chainPem })
const results: Array<{ name: string; outcome: string; ms: number; cpuMs: number }> = []
for (const f of job.files) {
  const input = f.path ? new Uint8Array(readFileSync(f.path)) : Uint8Array.from(f.bytes!)
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let outcome: string
  try {
    if (job.op === 'verify') {
      const r = await verify(input, { filename: f.name, c2pa: false })
      outcome = `report:${r.status}${r.error ? `:${r.error.code}` : ''}`
    } else {
      await stamp(input, { filename: f.name, signer, system: { name: 'Probe' }, owner: { name: 'Probe LLP' }, c2pa: false })
      outcome = 'stamped'
    }
  } catch (error) {
    outcome = isTanbaError(error) ? `error:${error.code}` : `untyped:${String(error)}`
  }
  const cpu = process.cpuUsage(cpu0)
  results.push({ name: f.name, outcome, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 })
}
const shared = (process.report.getReport() as unknown as { sharedObjects: string[] }).sharedObjects
process.stdout.write(JSON.stringify({ results, libvips: shared.some((s) => /libvips|sharp-.*\.node/.test(s)), c2paAddon: shared.some((s) => /c2pa/i.test(s)) }))
await close()
