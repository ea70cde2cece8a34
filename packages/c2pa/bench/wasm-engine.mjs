// Evaluation of @contentauth/c2pa-wasm (issue 15, "The C2PA engine"), not part of `pnpm bench`:
// the package is not a dependency. Install it anywhere and point this script at it:
//   mkdir /tmp/wasm && (cd /tmp/wasm && npm init -y && npm install --ignore-scripts @contentauth/c2pa-wasm@0.13.3)
//   pnpm build && node packages/c2pa/bench/wasm-engine.mjs /tmp/wasm
// It signs every corpus format in-process with a Tanba keygen certificate, reads each result back
// with the same engine and with the native addon (@tanba/c2pa), and prints median sign+read times
// of both engines, measured in the same run.
import { createPrivateKey, sign as nodeSign, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { generateSigningCredentials, createPemSigner } from '@tanba/core'
import { close, readC2pa, signC2pa } from '../dist/index.js'

const where = process.argv[2]
if (!where) throw new Error('usage: node wasm-engine.mjs <folder where @contentauth/c2pa-wasm is installed>')
const entry = createRequire(join(where, 'package.json')).resolve('@contentauth/c2pa-wasm')
const { initSync, WasmReader, WasmBuilder } = await import(pathToFileURL(entry).href)
let t = performance.now()
initSync({ module: readFileSync(join(entry, '../c2pa_bg.wasm')) })
console.log(`wasm load + init: ${(performance.now() - t).toFixed(0)} ms`)

const CORPUS = '/work/shared/corpus/media'
const FILES = [
  ['no_manifest.jpg', 'image/jpeg'], ['sample1.png', 'image/png'], ['sample1.webp', 'image/webp'], ['sample1.gif', 'image/gif'],
  ['sample1.svg', 'image/svg+xml'], ['sample1.avif', 'image/avif'], ['sample1.heic', 'image/heic'], ['TUSCANY.TIF', 'image/tiff'],
  ['sample1.mp3', 'audio/mpeg'], ['sample1.wav', 'audio/wav'], ['sample1.flac', 'audio/flac'], ['sample1.m4a', 'audio/mp4'], ['basic.pdf', 'application/pdf'],
]
const creds = await generateSigningCredentials({ organization: 'Tanba wasm evaluation' })
const chain = creds.chainPem.split(/(?<=-----END CERTIFICATE-----)/).filter((p) => p.includes('BEGIN')).map((p) => new Uint8Array(new X509Certificate(p.trim()).raw))
const key = createPrivateKey(creds.privateKeyPem)
const RESERVE = 10_000

// The wasm signer uses direct COSE handling (c2pa-js wasm_signer.rs: certs() is empty,
// direct_cose_handling() is true): the callback gets the claim and must return a tagged COSE_Sign1
// with the x5chain, padded to exactly reserveSize. Returning a bare signature is what fails with
// "CoseTimeStampGeneration" (c2pa-rs maps a CBOR parse error of the returned bytes to it).
const signer = {
  alg: 'es256',
  reserveSize: RESERVE,
  sign: async (claim) => {
    const protectedHeader = new Uint8Array(cbor(new Map([[1, -7], [33, chain]])))
    const toSign = new Uint8Array(cbor(['Signature1', protectedHeader, new Uint8Array(0), new Uint8Array(claim)]))
    const signature = new Uint8Array(nodeSign('sha256', toSign, { key, dsaEncoding: 'ieee-p1363' }))
    const build = (n) => new Uint8Array([0xd2, ...cbor([protectedHeader, new Map([['pad', new Uint8Array(n)]]), null, signature])])
    let n = RESERVE - build(0).length
    while (n > 0 && build(n).length > RESERVE) n--
    return build(n)
  },
}

// Node 20 has Blob but no FileReaderSync, which the wasm builder reads its source through: a
// synchronous stand-in over Blobs whose bytes (and slices' bytes) are kept beside them.
const kept = new WeakMap()
globalThis.FileReaderSync ??= class {
  readAsArrayBuffer(blob) {
    const b = kept.get(blob)
    if (!b) throw new Error('FileReaderSync stand-in: a Blob whose bytes were not kept')
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)
  }
}
const slice = Blob.prototype.slice
Blob.prototype.slice = function (...args) {
  const part = slice.apply(this, args)
  const b = kept.get(this)
  if (b) {
    const [s = 0, e = b.length] = args
    kept.set(part, b.subarray(s < 0 ? b.length + s : s, e < 0 ? b.length + e : e))
  }
  return part
}
const settings = JSON.stringify({ verify: { remote_manifest_fetch: false, ocsp_fetch: false, verify_after_sign: false }, trust: { trust_anchors: creds.caCertificatePem } })
const manifest = JSON.stringify({
  claim_generator_info: [{ name: 'Tanba', version: '0.1.0' }],
  assertions: [{ label: 'c2pa.actions', data: { actions: [{ action: 'c2pa.created', digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia' }] } }],
})
async function wasmSignRead(bytes, type) {
  const source = new Blob([bytes])
  kept.set(source, bytes)
  const out = await WasmBuilder.fromJson(manifest, settings).sign(signer, [], type, source)
  const store = JSON.parse((await WasmReader.fromBytes(type, out, settings)).json())
  return { out, state: store.validation_state, codes: (store.validation_status ?? []).map((s) => s.code) }
}
const nativeSigner = await createPemSigner({ privateKey: creds.privateKeyPem, certificateChain: creds.chainPem })
t = performance.now()
await readC2pa(new Uint8Array(readFileSync(join(CORPUS, 'no_manifest.jpg'))), 'image/jpeg')
console.log(`native first call (worker start): ${(performance.now() - t).toFixed(0)} ms`)
const median = async (fn) => {
  const times = []
  for (let i = 0; i < 5; i++) {
    const s = performance.now()
    await fn()
    times.push(performance.now() - s)
  }
  return times.sort((a, b) => a - b)[2]
}
console.log('| file | wasm: signed, read back | native reads the wasm output | wasm ms | native ms | ratio |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const [name, type] of FILES) {
  const bytes = new Uint8Array(readFileSync(join(CORPUS, name)))
  let wasm
  try {
    wasm = await wasmSignRead(bytes, type)
  } catch (error) {
    console.log(`| ${name} | failed: ${error?.message ?? error} | | | | |`)
    continue
  }
  const cross = await readC2pa(wasm.out, type, { trustAnchors: creds.caCertificatePem })
  const wasmMs = await median(() => wasmSignRead(bytes, type))
  const nativeMs = type === 'application/pdf' ? NaN : await median(async () => readC2pa(await signC2pa(bytes, type, { signer: nativeSigner }), type, { trustAnchors: creds.caCertificatePem }))
  console.log(`| ${name} | ${wasm.state} ${wasm.codes.join(' ')} | ${cross?.validationState} ${cross?.validationStatus.map((s) => s.code).join(' ')} | ${wasmMs.toFixed(0)} | ${Number.isNaN(nativeMs) ? 'cannot sign' : nativeMs.toFixed(0)} | ${Number.isNaN(nativeMs) ? '' : (wasmMs / nativeMs).toFixed(1) + 'x'} |`)
}
await close()

/** Minimal deterministic CBOR (RFC 8949) for the COSE structures above. */
function cbor(v) {
  const head = (major, n) => (n < 24 ? [(major << 5) | n] : n < 256 ? [(major << 5) | 24, n] : n < 65536 ? [(major << 5) | 25, n >> 8, n & 255] : [(major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255])
  if (v === null) return [0xf6]
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v)
  if (typeof v === 'string') {
    const b = [...Buffer.from(v)]
    return [...head(3, b.length), ...b]
  }
  if (v instanceof Uint8Array) return [...head(2, v.length), ...v]
  if (Array.isArray(v)) return [...head(4, v.length), ...v.flatMap(cbor)]
  if (v instanceof Map) return [...head(5, v.size), ...[...v].flatMap(([k, x]) => [...cbor(k), ...cbor(x)])]
  throw new Error(`cbor: ${typeof v}`)
}
