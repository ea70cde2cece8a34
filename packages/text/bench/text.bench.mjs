// Benchmarks for @tanba/text (run `pnpm build` in packages/text first, then `node scripts/bench.mjs text`).
// - stamp and verify throughput on a large multilingual text, against SHA-256 over the same bytes
//   (target: at least 100 MB/s each);
// - the streaming stamper against an identity TransformStream carrying the same tokens (target <= 1.10x).
import { createHash } from 'node:crypto'
import { createPemSigner, generateSigningCredentials, stampWith, verifyWith } from '@tanba/core'
import { TextStampStream, createTextAdapter, htmlFormat, markdownFormat, plainTextFormat } from '../dist/index.js'
import { measure, row } from '../../../scripts/bench-lib.mjs'

const MB = 1e6
const PARAGRAPH = [
  'Жасанды интеллект туралы заң 2026 жылғы 18 қаңтарда күшіне енді. Өнім иесі әр жарияланымды белгілеуі тиіс; һәм ұлттық талаптар үнемі тексеріледі.',
  'Синтетический контент можно распространять только с машиночитаемой меткой и заметным предупреждением.',
  'Sunʼiy intellekt yordamida yaratilgan matnlar oʻzbek tilida ham belgilanadi; gʻoyalar aniq koʻrsatiladi.',
  '人工智能生成的文本应当在适当位置添加显式标识，并在文件元数据中添加隐式标识。',
  'Plain English text, numbers 12345, and emoji ❤️ 👍🏽 with selectors. الذكاء الاصطناعي. בינה מלאכותית.',
].join('\n')

function largeText(bytes) {
  const unit = PARAGRAPH + '\n\n'
  return unit.repeat(Math.ceil(bytes / new TextEncoder().encode(unit).length))
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest()
}

const mbps = (bytes, ms) => bytes / MB / (ms / 1000)

/** A row compared with SHA-256 over the same bytes, passing on absolute throughput. */
function throughputRow(operation, bytes, ms, shaMs, minMBps) {
  const speed = mbps(bytes, ms)
  const r = row({ operation, baseline: 'SHA-256 (node:crypto), same bytes', ms, baselineMs: shaMs })
  return minMBps === undefined
    ? { ...r, note: `${speed.toFixed(0)} MB/s, ${(bytes / MB).toFixed(0)} MB (informative)` }
    : { ...r, target: `>= ${minMBps} MB/s`, pass: speed >= minMBps, note: `${speed.toFixed(0)} MB/s on ${(bytes / MB).toFixed(0)} MB; ratio = time vs SHA-256` }
}

export default async function run() {
  const creds = await generateSigningCredentials({ commonName: 'Tanba bench' })
  const signer = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
  const options = { signer, system: { name: 'Bench Chat', model: 'bench-1' }, owner: { name: 'Bench LLP', id: '123456789012', country: 'KZ' }, profiles: ['kz'] }
  const adapter = createTextAdapter()
  const rows = []

  // Plain text: the ≥ 100 MB/s targets.
  const input = new TextEncoder().encode(largeText(64 * MB))
  const shaMs = await measure(() => sha256(input), { iterations: 5 })
  let stamped
  const stampMs = await measure(async () => {
    stamped = await stampWith(adapter, input, plainTextFormat, options)
  }, { iterations: 5 })
  const verifyMs = await measure(async () => {
    const report = await verifyWith(adapter, stamped.bytes, plainTextFormat)
    if (report.status !== 'valid') throw new Error(`bench: expected a valid label, got ${report.status}`)
  }, { iterations: 5 })
  rows.push(throughputRow('text: stamp plain text', input.length, stampMs, shaMs, 100))
  rows.push(throughputRow('text: verify plain text', stamped.bytes.length, verifyMs, shaMs, 100))

  // Markdown and HTML: informative (front matter merge, HTML tokenizing).
  for (const [format, make] of [
    [markdownFormat, (t) => `---\ntitle: Bench\n---\n${t}`],
    [htmlFormat, (t) => `<!DOCTYPE html><html><head><title>Bench</title></head><body>${t.split('\n\n').map((p) => `<p>${p}</p>`).join('\n')}</body></html>`],
  ]) {
    const bytes = new TextEncoder().encode(make(largeText(16 * MB)))
    const base = await measure(() => sha256(bytes), { iterations: 3 })
    let out
    const s = await measure(async () => {
      out = await stampWith(adapter, bytes, format, options)
    }, { iterations: 3 })
    const v = await measure(async () => {
      const report = await verifyWith(adapter, out.bytes, format)
      if (report.status !== 'valid') throw new Error(`bench: expected a valid ${format.id} label, got ${report.status}`)
    }, { iterations: 3 })
    rows.push(throughputRow(`text: stamp ${format.id}`, bytes.length, s, base))
    rows.push(throughputRow(`text: verify ${format.id}`, out.bytes.length, v, base))
  }

  // Streaming: LLM-sized tokens (a few characters each) through the stamper vs an identity TransformStream.
  const tokens = []
  const source = largeText(2 * MB)
  for (let i = 0, n = 0; i < source.length; n++) {
    const size = 2 + (n % 5)
    tokens.push(source.slice(i, i + size))
    i += size
  }
  const pump = async (transform) => {
    let chars = 0
    let next = 0
    const readable = new ReadableStream({
      pull(controller) {
        if (next < tokens.length) controller.enqueue(tokens[next++])
        else controller.close()
      },
    })
    await readable.pipeThrough(transform).pipeTo(new WritableStream({ write(chunk) { chars += chunk.length } }))
    return chars
  }
  // Alternate the two over several rounds (the order flips each round) and compare the median of
  // the per-round ratios, so a slow spell on a shared machine hits both sides alike.
  const identity = []
  const stamper = []
  for (let round = 0; round < 11; round++) {
    const pair = round % 2 ? ['stamper', 'identity'] : ['identity', 'stamper']
    for (const which of pair) {
      const t0 = performance.now()
      await pump(which === 'identity' ? new TransformStream() : new TextStampStream(options))
      ;(which === 'identity' ? identity : stamper).push(performance.now() - t0)
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  const ratios = stamper.slice(1).map((ms, i) => ms / identity[i + 1])
  const stMs = median(stamper.slice(1))
  rows.push(
    row({
      operation: `text: TextStampStream, ${tokens.length} tokens`,
      baseline: 'identity TransformStream, same tokens',
      ms: stMs,
      baselineMs: median(identity.slice(1)),
      ratio: median(ratios),
      target: { max: 1.1 },
      note: `${((tokens.length / stMs) * 1000 / 1e6).toFixed(2)} M tokens/s; ratio = median of 10 paired rounds`,
    }),
  )
  return rows
}
