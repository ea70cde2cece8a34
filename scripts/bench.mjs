// Runs every benchmark module (packages/*/bench/*.bench.mjs), prints one table and writes
// out/bench.json (every round of every row, the date and the machine facts).
// Usage: pnpm bench [filter]   (filter: substring of the module path)
//        node scripts/bench.mjs --doc [file] [--partial]   regenerates the table in docs/performance.md from
//        out/bench.json (or `file`), between the bench-table markers; runs nothing. A filtered
//        run is refused unless --partial.
import { readdirSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { pathToFileURL } from 'node:url'
import { formatTable, verdictOf } from './bench-lib.mjs'
import { writeDoc } from './bench-doc.mjs'

const root = new URL('..', import.meta.url).pathname
if (process.argv[2] === '--doc') {
  const args = process.argv.slice(3)
  const file = args.find((a) => a !== '--partial') ?? join(root, 'out', 'bench.json')
  const result = JSON.parse(readFileSync(file, 'utf8'))
  if (result.filter && !args.includes('--partial')) {
    process.stderr.write(`bench: ${file} holds a filtered run ("${result.filter}"), not a full pnpm bench; the committed table comes from a full run (pass --partial to write it anyway)\n`)
    process.exit(1)
  }
  const doc = writeDoc(join(root, 'docs', 'performance.md'), result)
  process.stderr.write(`bench: regenerated the table in ${doc.slice(root.length)} from ${file}\n`)
  process.exit(0)
}
const filter = process.argv[2]
const modules = []
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'bench')
  if (!existsSync(dir)) continue
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.bench.mjs')) modules.push(join(dir, f))
}
const load = () => loadavg().map((x) => Number(x.toFixed(2)))
const started = new Date()
const loadAtStart = load()
const rows = []
for (const mod of modules) {
  if (filter && !mod.includes(filter)) continue
  process.stderr.write(`bench: ${mod.slice(root.length)}\n`)
  const { default: run } = await import(pathToFileURL(mod).href)
  rows.push(...(await run({ root, tmp: join(root, 'out', 'bench') })))
}
const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'cpu',
  memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(0)),
  node: process.version,
  platform: process.platform,
  loadAverage: { start: loadAtStart, end: load() },
  gcExposed: typeof globalThis.gc === 'function',
}
const result = { date: started.toISOString(), finished: new Date().toISOString(), filter: filter ?? null, machine, rows }
console.log(`\nTanba benchmarks (${result.date}; ${describeMachine(machine)})\n`)
console.log(formatTable(rows))
mkdirSync(join(root, 'out'), { recursive: true })
writeFileSync(join(root, 'out', 'bench.json'), JSON.stringify(result, null, 2))
const failed = rows.filter((r) => verdictOf(r) === 'no')
const unstable = rows.filter((r) => verdictOf(r) === 'unstable')
if (failed.length) console.log(`\n${failed.length} row(s) miss their target on the median.`)
if (unstable.length) console.log(`${unstable.length} row(s) unstable: their spread crosses the target.`)

function describeMachine(m) {
  return `${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.loadAverage.start.join(' ')} → ${m.loadAverage.end.join(' ')}`
}
