// Audio benchmarks: metadata-only stamps of 10-minute MP3, FLAC and WAV files against reading and
// writing the same file unchanged; the audible notice on a 10-minute WAV against a plain copy; and
// the notice on MP3 against decoding and re-encoding the whole file. Operation and baseline run
// interleaved (measurePair) over at least 5 rounds and rows report the median ratio and its spread;
// the MP3 transcode baseline (about 30 s) runs once, so that row is a single measurement.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { copyFile, open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stampWith, verifyWith, createPemSigner, generateSigningCredentials } from '@tanba/core'
import { MPEGDecoder } from 'mpg123-decoder'
import { Mp3Encoder } from '@breezystack/lamejs'
import { createAudioAdapter, encodeFlac, FLAC_FORMAT, MP3_FORMAT, WAV_FORMAT } from '../dist/index.js'
import { measure, measurePair, row } from '../../../scripts/bench-lib.mjs'

const SECONDS = 600
const RATE = 44100

/** A deterministic 10-minute stereo programme as 16-bit integers. */
function programme() {
  const n = SECONDS * RATE
  const l = new Int16Array(n)
  const r = new Int16Array(n)
  let seed = 1
  for (let i = 0; i < n; i++) {
    const t = i / RATE
    const v = 0.2 * Math.sin(2 * Math.PI * 220 * t) + 0.1 * Math.sin(2 * Math.PI * 331 * t) * Math.sin(t) + ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 0.01
    l[i] = Math.round(v * 32767)
    r[i] = Math.round(v * 0.9 * 32767)
  }
  return [l, r]
}

function wavFile([l, r]) {
  const n = l.length
  const out = Buffer.alloc(44 + n * 4)
  out.write('RIFF', 0)
  out.writeUInt32LE(36 + n * 4, 4)
  out.write('WAVEfmt ', 8)
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(1, 20)
  out.writeUInt16LE(2, 22)
  out.writeUInt32LE(RATE, 24)
  out.writeUInt32LE(RATE * 4, 28)
  out.writeUInt16LE(4, 32)
  out.writeUInt16LE(16, 34)
  out.write('data', 36)
  out.writeUInt32LE(n * 4, 40)
  const pcm = new Int16Array(out.buffer, out.byteOffset + 44, n * 2)
  for (let i = 0; i < n; i++) ((pcm[2 * i] = l[i]), (pcm[2 * i + 1] = r[i]))
  return out
}

function mp3File([l, r]) {
  const enc = new Mp3Encoder(2, RATE, 128)
  const parts = []
  for (let i = 0; i < l.length; i += 1152 * 20) parts.push(Buffer.from(enc.encodeBuffer(l.subarray(i, i + 1152 * 20), r.subarray(i, i + 1152 * 20))))
  parts.push(Buffer.from(enc.flush()))
  return Buffer.concat(parts)
}

async function files(tmp) {
  mkdirSync(tmp, { recursive: true })
  const paths = { wav: join(tmp, 'ten-minutes.wav'), mp3: join(tmp, 'ten-minutes.mp3'), flac: join(tmp, 'ten-minutes.flac') }
  if (!existsSync(paths.wav) || !existsSync(paths.mp3) || !existsSync(paths.flac)) {
    const pcm = programme()
    writeFileSync(paths.wav, wavFile(pcm))
    writeFileSync(paths.mp3, mp3File(pcm))
    writeFileSync(paths.flac, encodeFlac(pcm.map((c) => Int32Array.from(c)), { sampleRate: RATE, bitsPerSample: 16, blockSize: 4096 }))
  }
  return paths
}

/**
 * Writes a stamp result as tanba's file writer does: its pieces (new tags and chunks around views
 * of the untouched audio) in one writev, never joined in memory. The baseline writes one buffer.
 */
async function writeResult(path, result) {
  const handle = await open(path, 'w')
  try {
    await handle.writev(result.parts ?? [result.bytes])
  } finally {
    await handle.close()
  }
}

export default async function run(ctx) {
  const tmp = join(ctx.tmp, 'audio')
  const paths = await files(tmp)
  const creds = await generateSigningCredentials({ commonName: 'Tanba bench' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const adapter = createAudioAdapter()
  const base = { signer, system: { name: 'Bench Generator' }, owner: { name: 'Bench Owner', id: '123456789012' }, c2pa: false }
  const out = join(tmp, 'out.bin')
  const copy = (path) => async () => writeFile(out, await readFile(path))
  const stamp = (path, format, notice) => async () => {
    const buf = await readFile(path)
    const input = new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
    const result = await stampWith(adapter, input, format, { ...base, notice: notice ? { placement: 'start' } : { visible: false } })
    await writeResult(out, result)
  }
  const rows = []
  for (const [name, path, format] of [['MP3', paths.mp3, MP3_FORMAT], ['FLAC', paths.flac, FLAC_FORMAT], ['WAV', paths.wav, WAV_FORMAT]]) {
    const size = (readFileSync(path).length / 1e6).toFixed(1)
    // Alternating runs: both overwrite the same output file (as a rerun into a folder does), so
    // write-back and dropping the old pages hit both alike.
    const { roundTimes } = await measurePair(stamp(path, format, false), copy(path), { rounds: name === 'MP3' ? 15 : 9, warmup: 2 })
    rows.push(row({ operation: `audio: metadata-only stamp, 10-min ${name} (${size} MB)`, baseline: 'read + write unchanged', roundTimes, target: { max: 1.5 } }))
    if (name === 'MP3') {
      // The floor of any stamp whose label is bound to the audio: read, SHA-256 of every byte, write.
      const floor = async () => {
        const buf = await readFile(path)
        createHash('sha256').update(buf).digest()
        await writeResult(out, { parts: [buf] })
      }
      const f = await measurePair(floor, copy(path), { rounds: 15, warmup: 2 })
      rows.push(row({ operation: 'audio: the floor for MP3: read + SHA-256 of the file + write', baseline: 'read + write unchanged', roundTimes: f.roundTimes, note: 'no stamp at all: what the binding alone costs, against the same baseline' }))
    }
  }
  // The same stamps writing a new file each run (an output folder filled for the first time).
  for (const [name, path, format] of [['MP3', paths.mp3, MP3_FORMAT], ['FLAC', paths.flac, FLAC_FORMAT], ['WAV', paths.wav, WAV_FORMAT]]) {
    let n = 0
    const fresh = () => join(tmp, `fresh-${name}-${n++}.bin`)
    const freshCopy = async () => writeFile(fresh(), await readFile(path))
    const freshStamp = async () => {
      const buf = await readFile(path)
      const result = await stampWith(adapter, new Uint8Array(buf.buffer, buf.byteOffset, buf.length), format, { ...base, notice: { visible: false } })
      await writeResult(fresh(), result)
    }
    const { roundTimes } = await measurePair(freshStamp, freshCopy, { rounds: name === 'MP3' ? 9 : 5, warmup: 1 })
    for (let i = 0; i < n; i++) rmSync(join(tmp, `fresh-${name}-${i}.bin`), { force: true })
    rows.push(row({ operation: `audio: metadata-only stamp, 10-min ${name}, each run writing a new file`, baseline: 'read + write to a new file', roundTimes, note: 'no target of its own: the issue\'s 1.5x holds above only because overwriting costs the copy more' }))
  }
  // Verifying a large labelled file from disk against reading and hashing it: the per-file work
  // (signature, parsing, the notice search) is small next to the binding's SHA-256 of the audio.
  for (const [name, path, format] of [['MP3', paths.mp3, MP3_FORMAT], ['WAV', paths.wav, WAV_FORMAT]]) {
    const input = new Uint8Array(readFileSync(path))
    const labelled = join(tmp, `labelled.${format.extensions[0]}`)
    writeFileSync(labelled, (await stampWith(adapter, input, format, { ...base, notice: { visible: false } })).bytes)
    const verify = async () => {
      const buf = await readFile(labelled)
      const report = await verifyWith(adapter, new Uint8Array(buf.buffer, buf.byteOffset, buf.length), format, { c2pa: false })
      if (report.status !== 'valid') throw new Error(`bench: labelled ${name} did not verify: ${report.status}`)
    }
    const hash = async () => createHash('sha256').update(await readFile(labelled)).digest()
    const { roundTimes } = await measurePair(verify, hash, { rounds: 9, warmup: 2 })
    rows.push(row({ operation: `audio: verify a labelled 10-min ${name} from disk`, baseline: 'read + SHA-256 of the same file', roundTimes, invert: true, note: 'ratio = SHA-256 speed share (issue 7 asks >= 0.5x of a mixed folder; large files reach it)' }))
  }
  {
    const { roundTimes } = await measurePair(stamp(paths.wav, WAV_FORMAT, true), copy(paths.wav), { rounds: 9, warmup: 2 })
    rows.push(row({ operation: 'audio: audible notice + carriers, 10-min WAV', baseline: 'plain copy (read + write)', roundTimes, target: { max: 1.5 } }))
  }
  {
    const { roundTimes } = await measurePair(stamp(paths.flac, FLAC_FORMAT, true), copy(paths.flac), { rounds: 5, warmup: 1 })
    rows.push(row({ operation: 'audio: audible notice + carriers, 10-min FLAC', baseline: 'plain copy (read + write)', roundTimes, note: 'every frame renumbered (header CRC-8, frame CRC-16)' }))
  }
  {
    const ms = await measure(stamp(paths.mp3, MP3_FORMAT, true), { iterations: 3, warmup: 1 })
    // The alternative: decode the whole file and encode it again with the notice in front.
    const baselineMs = await measure(
      async () => {
        const bytes = new Uint8Array(await readFile(paths.mp3))
        const decoder = new MPEGDecoder()
        await decoder.ready
        const decoded = decoder.decode(bytes)
        decoder.free()
        const toInt = (f) => Int16Array.from(f, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))))
        const [l, r] = decoded.channelData.map(toInt)
        const enc = new Mp3Encoder(2, RATE, 128)
        const parts = []
        for (let i = 0; i < l.length; i += 1152 * 20) parts.push(enc.encodeBuffer(l.subarray(i, i + 1152 * 20), r.subarray(i, i + 1152 * 20)))
        parts.push(enc.flush())
        await writeFile(out, Buffer.concat(parts.map((p) => Buffer.from(p))))
      },
      { iterations: 1, warmup: 0 },
    )
    rows.push(row({ operation: 'audio: audible notice + carriers, 10-min MP3', baseline: 'decode + re-encode whole file (mpg123 + lamejs)', ms, baselineMs, note: 'no target: reported as the cost against a full transcode' }))
  }
  await copyFile(paths.wav, out).catch(() => {})
  return rows
}
