// Video benchmarks: a metadata-only stamp of a 10-minute 1080p30 H.264 + AAC MP4 against reading and
// writing the same file unchanged; verifying its binding from disk against reading and hashing it;
// and the peak memory of verifying a 2 GB file from disk. Ratios are measured in one run.
// The clips are made by Debian's ffmpeg: 10 s encoded once, then looped with -c copy.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs'
import { open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { stampWith, verifyWith, createPemSigner, generateSigningCredentials } from '@tanba/core'
import { createVideoAdapter, MP4_FORMAT } from '../dist/index.js'
import { digestVideoFile } from '../dist/node.js'
import { measurePair, row } from '../../../scripts/bench-lib.mjs'

const ff = (cwd, ...args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { cwd, stdio: ['ignore', 'ignore', 'inherit'] })

function clips(tmp) {
  mkdirSync(tmp, { recursive: true })
  const ten = join(tmp, 'ten-seconds-1080p.mp4')
  const long = join(tmp, 'ten-minutes-1080p.mp4')
  const big = join(tmp, 'two-gigabytes-1080p.mp4')
  if (!existsSync(ten)) {
    ff(tmp, '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '10',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-b:v', '8M', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', ten)
  }
  if (!existsSync(long)) ff(tmp, '-stream_loop', '59', '-i', ten, '-c', 'copy', long)
  if (!existsSync(big)) ff(tmp, '-stream_loop', '3', '-i', long, '-c', 'copy', '-fs', String(2 * 1024 ** 3 - 64 * 1024 ** 2), big)
  return { long, big }
}

async function readAndHash(path) {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * 1024 ** 2 })) h.update(chunk)
  return h.digest()
}

async function writeParts(path, result) {
  const handle = await open(path, 'w')
  try {
    await handle.writev(result.parts ?? [result.bytes])
  } finally {
    await handle.close()
  }
}

/** Peak resident memory (MB) of a fresh Node process verifying the binding of `path` from disk. */
function peakRssOfDigest(path) {
  const node = pathToFileURL(new URL('../dist/node.js', import.meta.url).pathname).href
  // VmHWM, not getrusage's maxRSS: Linux keeps ru_maxrss across exec, so a child forked from this
  // process (which holds the 600 MB clip) would report the parent's size.
  const script = `const { digestVideoFile } = await import(${JSON.stringify(node)}); const { readFileSync } = await import('node:fs'); digestVideoFile(${JSON.stringify(path)}); const hwm = /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]; console.log(hwm ?? process.resourceUsage().maxRSS)`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return Number(r.stdout.trim()) / 1024
}

export default async function run({ tmp }) {
  if (spawnSync('sh', ['-c', 'command -v ffmpeg']).status !== 0) {
    return [row({ operation: 'video benchmarks', baseline: '-', note: 'skipped: ffmpeg is not installed' })]
  }
  const dir = join(tmp, 'video')
  const { long, big } = clips(dir)
  const creds = await generateSigningCredentials({ commonName: 'bench' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const adapter = createVideoAdapter()
  const options = { signer, system: { name: 'Bench' }, owner: { name: 'Bench' }, profiles: ['kz'], c2pa: false, notice: { visible: false } }
  const mb = (statSync(long).size / 1024 ** 2).toFixed(0)
  const rows = []

  const stampPair = await measurePair(
    async () => {
      const buf = await readFile(long)
      const input = new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
      await writeParts(join(dir, 'stamped.mp4'), await stampWith(adapter, input, MP4_FORMAT, options))
    },
    async () => writeFile(join(dir, 'copy.mp4'), await readFile(long)),
    { rounds: 5 },
  )
  rows.push(row({ operation: `metadata-only stamp, 10-min 1080p30 H.264 MP4 (${mb} MB)`, baseline: 'read + write the file', ...stampPair, target: { max: 1.5 } }))

  // The floor of any bound stamp: the samples must be hashed once, so read + SHA-256 + write.
  const floorPair = await measurePair(
    async () => {
      const buf = await readFile(long)
      const input = new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
      await writeParts(join(dir, 'stamped.mp4'), await stampWith(adapter, input, MP4_FORMAT, options))
    },
    async () => {
      const buf = await readFile(long)
      createHash('sha256').update(buf).digest()
      await writeFile(join(dir, 'copy.mp4'), buf)
    },
    { rounds: 5 },
  )
  rows.push(row({ operation: 'metadata-only stamp, same file', baseline: 'read + SHA-256 + write (the floor)', ...floorPair, note: 'how far the stamp is from hashing the samples once' }))

  const stamped = join(dir, 'stamped.mp4')
  const verifyDisk = await measurePair(async () => digestVideoFile(stamped), async () => readAndHash(stamped), { rounds: 5 })
  rows.push(row({ operation: 'verify the binding from disk (digestVideoFile)', baseline: 'read + SHA-256 of the file', ...verifyDisk, invert: true, target: { min: 0.5 }, note: 'speed ratio: baseline ms / op ms' }))

  const verifyBytes = await measurePair(
    async () => {
      const buf = await readFile(stamped)
      return verifyWith(adapter, new Uint8Array(buf.buffer, buf.byteOffset, buf.length), MP4_FORMAT, { c2pa: false })
    },
    async () => readAndHash(stamped),
    { rounds: 5 },
  )
  rows.push(row({ operation: 'verify in memory (read + verifyWith, signature included)', baseline: 'read + SHA-256 of the file', ...verifyBytes, invert: true, target: { min: 0.5 }, note: 'speed ratio: baseline ms / op ms' }))

  const size = statSync(big).size
  const rss = peakRssOfDigest(big)
  rows.push(row({ operation: `peak RSS verifying the binding of a ${(size / 1024 ** 3).toFixed(2)} GB MP4 from disk`, baseline: '512 MB', ms: rss, baselineMs: 512, target: { max: 1 }, note: `${rss.toFixed(0)} MB peak (op column: MB)` }))
  return rows
}
