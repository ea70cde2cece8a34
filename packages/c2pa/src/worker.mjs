// The only code that calls @contentauth/c2pa-node. It runs in a child process forked by
// client.ts, so a panic or abort in the native addon ends this process, not the caller's.
// Protocol (structured clone over IPC, 'advanced' serialization):
//   parent → worker  { type: 'read', id, bytes, mediaType, settings }
//                    { type: 'sign', id, bytes, mediaType, settings, signer, create, edit, ingredient, parentPolicy ('always' | 'if-manifest' | 'never'), parent? }
//                    { type: 'signature', signId, signature } | { type: 'signature', signId, error }
//   worker → parent  { type: 'result', id, value } | { type: 'error', id, error: { kind, message } }
//                    { type: 'sign-request', id, signId, data }
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** @type {typeof import('@contentauth/c2pa-node') | undefined} */
let c2pa
let signCounter = 0
/** @type {Map<number, { resolve: (b: Buffer) => void, reject: (e: Error) => void }>} */
const signatures = new Map()

async function load() {
  if (c2pa) return c2pa
  try {
    const mod = await import('@contentauth/c2pa-node')
    // The JS wrapper loads the native binary on first use; load it now so a missing or
    // broken binary is reported as "missing", not as a failure on some file.
    const require = createRequire(import.meta.url)
    require(process.env.C2PA_LIBRARY_PATH ?? join(dirname(require.resolve('@contentauth/c2pa-node')), 'index.node'))
    c2pa = mod
    return mod
  } catch (error) {
    throw Object.assign(new Error(String(error?.message ?? error)), { kind: 'missing' })
  }
}

const asBuffer = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

async function read(msg) {
  const { Reader } = await load()
  const reader = await Reader.fromAsset({ buffer: asBuffer(msg.bytes), mimeType: msg.mediaType }, msg.settings)
  return reader ? reader.json() : null
}

/**
 * The parent's manifest store, read once: `store` (its JSON) when readable, `damaged` when the
 * store is there but only partly parseable. Any other reader error means the existing provenance
 * cannot be kept: it is thrown with kind "parent" so the caller can apply its policy.
 */
async function parentManifest(asset, settings) {
  const { Reader } = await load()
  try {
    const reader = await Reader.fromAsset(asset, settings)
    return reader ? { present: true, store: reader.json() } : { present: false }
  } catch (error) {
    // A damaged store is still someone's provenance: keep it as an ingredient (c2pa records
    // its validation errors there) rather than silently starting a fresh history.
    if (/C2pa\((Jumbf|Claim|Manifest|Cbor)/.test(`${error?.name}: ${error?.message}`)) return { present: true, damaged: true }
    throw asParentError(error)
  }
}

function asParentError(error) {
  return Object.assign(new Error(String(error?.message ?? error)), { kind: 'parent', name: String(error?.name ?? 'Error') })
}

async function sign(msg) {
  const { Builder, CallbackSigner } = await load()
  const source = { buffer: asBuffer(msg.bytes), mimeType: msg.mediaType }
  const parent = msg.parent ? { buffer: asBuffer(msg.parent.bytes), mimeType: msg.parent.mediaType } : source
  // "never": the caller dropped the parent's provenance; "generated" starts a fresh history unless
  // the parent already has one; "modified" always edits.
  const found = msg.parentPolicy === 'never' ? { present: false } : await parentManifest(parent, msg.settings)
  const keepParent = msg.parentPolicy === 'always' || found.present
  const plan = keepParent ? msg.edit : msg.create
  const builder = Builder.withJson(plan.manifest, msg.settings)
  builder.setIntent(plan.intent)
  if (keepParent) {
    try {
      await builder.addIngredient(JSON.stringify(msg.ingredient), parent)
    } catch (error) {
      throw found.present ? asParentError(error) : error
    }
  }
  const signer = CallbackSigner.newSigner(
    { alg: msg.signer.alg, certs: [Buffer.from(msg.signer.certificatesPem)], reserveSize: msg.signer.reserveSize, directCoseHandling: false },
    (data) => requestSignature(msg.id, data),
  )
  const output = { buffer: null }
  try {
    await builder.signAsync(signer, source, output)
  } catch (error) {
    // The builder re-reads the source's own store: when that is what fails, it is the parent's fault.
    throw found.damaged || (!msg.parent && /prerelease|unknown algorithm|remote manifest/i.test(String(error?.message))) ? asParentError(error) : error
  }
  if (!output.buffer) throw new Error('The C2PA builder returned no signed asset')
  return {
    bytes: new Uint8Array(output.buffer.buffer, output.buffer.byteOffset, output.buffer.byteLength),
    parentKept: keepParent,
    parentStore: found.store ?? null,
  }
}

/** Asks the parent process to sign: the key never enters this process. */
function requestSignature(id, data) {
  const signId = ++signCounter
  return new Promise((resolve, reject) => {
    signatures.set(signId, { resolve, reject })
    process.send({ type: 'sign-request', id, signId, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })
  })
}

function describe(error) {
  // The addon puts the c2pa-rs error variant in the name, e.g. "C2pa(JumbfParseError(InvalidJumbfHeader))".
  return { kind: error?.kind ?? 'addon', name: String(error?.name ?? 'Error'), message: String(error?.message ?? error) }
}

process.on('message', (msg) => {
  if (msg.type === 'signature') {
    const pending = signatures.get(msg.signId)
    signatures.delete(msg.signId)
    if (!pending) return
    if (msg.error) pending.reject(new Error(`TANBA_SIGNER_FAILED: ${msg.error}`))
    else pending.resolve(asBuffer(msg.signature))
    return
  }
  const run = msg.type === 'read' ? read : msg.type === 'sign' ? sign : null
  if (!run) return
  run(msg).then(
    (value) => process.send({ type: 'result', id: msg.id, value }),
    (error) => process.send({ type: 'error', id: msg.id, error: describe(error) }),
  )
})

// The parent went away (exit, crash, close()): nothing left to do.
process.on('disconnect', () => process.exit(0))
