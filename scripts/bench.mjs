// Runs every benchmark module (packages/*/bench/*.bench.mjs) and prints one table.
// Usage: pnpm bench [filter]   (filter: substring of the module path)
import { readdirSync, existsSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, totalmem } from 'node:os'
import { pathToFileURL } from 'node:url'
import { formatTable } from './bench-lib.mjs'

const root = new URL('..', import.meta.url).pathname
const filter = process.argv[2]
const modules = []
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'bench')
  if (!existsSync(dir)) continue
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.bench.mjs')) modules.push(join(dir, f))
}
const rows = []
for (const mod of modules) {
  if (filter && !mod.includes(filter)) continue
  process.stderr.write(`bench: ${mod.slice(root.length)}\n`)
  const { default: run } = await import(pathToFileURL(mod).href)
  rows.push(...(await run({ root, tmp: join(root, 'out', 'bench') })))
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}`
const table = formatTable(rows)
console.log(`\nTanba benchmarks (${new Date().toISOString()}; ${machine})\n`)
console.log(table)
mkdirSync(join(root, 'out'), { recursive: true })
writeFileSync(join(root, 'out', 'bench.json'), JSON.stringify({ machine, rows }, null, 2))
const failed = rows.filter((r) => r.pass === false)
if (failed.length) console.log(`\n${failed.length} row(s) miss their target.`)
