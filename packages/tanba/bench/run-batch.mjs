// One batch in a fresh process, as `tanba stamp`/`tanba verify` would run it; used by batch.bench.mjs.
// Prints one JSON line: wall ms, CPU seconds of this process and of its helper processes, files, and
// peak resident memory of this process (all its threads) and of its helper processes (C2PA worker, ExifTool).
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { close, stampFiles, verifyFiles } from '../dist/node.js'

const [op, input, out, concurrency, c2pa] = process.argv.slice(2)
let peak = { own: 0, helpers: 0 }
function helpers() {
  let sum = 0
  for (const task of readdirSync('/proc/self/task')) {
    let list = ''
    try {
      list = readFileSync(`/proc/self/task/${task}/children`, 'utf8')
    } catch {
      continue
    }
    for (const pid of list.trim().split(/\s+/).filter(Boolean)) {
      try {
        sum += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
      } catch {
        // it just exited
      }
    }
  }
  return sum
}
const sample = () => {
  const own = process.memoryUsage.rss()
  const h = process.platform === 'linux' ? helpers() : 0
  if (own + h > peak.own + peak.helpers) peak = { own, helpers: h }
}
const timer = setInterval(sample, 20)
const options = { concurrency: Number(concurrency), config: false, c2pa: c2pa !== 'no-c2pa' }
const cpu0 = process.cpuUsage()
const t0 = performance.now()
let files
if (op === 'stamp') {
  rmSync(out, { recursive: true, force: true })
  const s = await stampFiles([input], { ...options, outDir: out, owner: { name: 'Bench LLP' }, system: { name: 'Bench' } })
  if (s.counts.failed) throw new Error(`${s.counts.failed} files failed to stamp: ${s.results.find((r) => r.status === 'error')?.error?.message}`)
  files = s.counts.total
} else {
  const v = await verifyFiles([input], options)
  if (v.counts.valid !== v.counts.total) throw new Error(`${v.counts.total - v.counts.valid} files did not verify as valid`)
  files = v.counts.total
}
const ms = performance.now() - t0
const used = process.cpuUsage(cpu0)
sample()
clearInterval(timer)
await close()
// CPU of the helper processes (C2PA worker, ExifTool): they have ended and been reaped by now, so
// the kernel has added their time to this process's children counters (clock ticks, Linux).
let helpersCpuS = null
if (process.platform === 'linux') {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  helpersCpuS = (Number(fields[13]) + Number(fields[14])) / 100
}
process.stdout.write(JSON.stringify({ ms, cpuS: (used.user + used.system) / 1e6, helpersCpuS, files, peakOwn: peak.own, peakHelpers: peak.helpers }) + '\n')
