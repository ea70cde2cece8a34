// Verifies a folder twice in one thread of a fresh process, as a batch worker would, and prints
// one JSON line with both passes' wall times: the first pays for loading the adapters and for
// V8 compiling and optimising their code (every worker thread pays this again), the second is
// the steady cost per file. Used by batch.bench.mjs.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { close, verify } from '../dist/node.js'

const [dir, c2pa] = process.argv.slice(2)
const files = readdirSync(dir, { recursive: true })
  .map((f) => join(dir, f))
  .filter((p) => statSync(p).isFile())
  .sort()
const passes = []
for (let pass = 0; pass < 2; pass++) {
  const t0 = performance.now()
  for (const file of files) {
    const bytes = readFileSync(file)
    const report = await verify(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), { filename: file, c2pa: c2pa !== 'no-c2pa' })
    if (report.status !== 'valid') throw new Error(`${file}: ${report.status}`)
  }
  passes.push(performance.now() - t0)
}
await close()
process.stdout.write(JSON.stringify({ files: files.length, firstMs: passes[0], secondMs: passes[1] }) + '\n')
