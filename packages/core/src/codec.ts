import canonicalize from 'canonicalize'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import validateSchema from './generated/validate-label.js'
import { InvalidLabelError } from './errors.js'
import { equalBytes, fromBase64Url, fromHex, toBase64, toBase64Url, toHex, utf8 } from './bytes.js'
import type { Label, LabelSignature, UnsignedLabel } from './label.js'

/** Throws InvalidLabelError unless `value` follows the label v1 schema (and holds only well-formed text). */
export function assertLabel(value: unknown): asserts value is Label {
  if (!validateSchema(value)) {
    const errors = (validateSchema.errors ?? []).slice(0, 5)
    const list = errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ')
    throw new InvalidLabelError(`The label does not follow the Tanba label v1 schema: ${list}`, { details: { errors } })
  }
  // JSON text may escape a lone surrogate ("\ud800"); a label holding one has no canonical form to sign.
  const bad = loneSurrogatePath(value, '')
  if (bad !== null) throw new InvalidLabelError(`The label holds a lone UTF-16 surrogate at ${bad || '/'}; expected well-formed Unicode text`)
}

export function isLabel(value: unknown): value is Label {
  return validateSchema(value) === true && loneSurrogatePath(value, '') === null
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** The JSON pointer of the first string (or key) holding a lone surrogate, or null. */
function loneSurrogatePath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : null
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = loneSurrogatePath(value[i], `${path}/${i}`)
      if (bad !== null) return bad
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(k)) return `${path}/${k}`
      const bad = loneSurrogatePath(v, `${path}/${k}`)
      if (bad !== null) return bad
    }
  }
  return null
}

/** RFC 8785 (JCS) canonical JSON of any JSON value. */
export function canonicalJson(value: unknown): string {
  let out: string | undefined
  try {
    out = canonicalize(value)
  } catch (cause) {
    // JCS refuses lone surrogates and non-finite numbers.
    throw new InvalidLabelError(`The value cannot be canonicalised as JSON: ${(cause as Error).message}`, { cause })
  }
  if (out === undefined) throw new InvalidLabelError('The value cannot be canonicalised as JSON')
  return out
}

/**
 * The exact bytes a label's signature covers: the JCS form of the label with
 * `sig.value` and `sig.x5c` removed (so `alg`, `kid` and `pub` are signed).
 */
export function signingInput(label: UnsignedLabel & { sig?: Partial<LabelSignature> }): Uint8Array {
  const { sig, ...rest } = label
  const signedSig: Partial<LabelSignature> = {}
  if (sig?.alg) signedSig.alg = sig.alg
  if (sig?.kid) signedSig.kid = sig.kid
  if (sig?.pub) signedSig.pub = sig.pub
  return utf8(canonicalJson({ ...rest, sig: signedSig }))
}

/** The label as JSON text (canonical, so copies compare byte for byte). */
export function serializeLabel(label: Label): string {
  return canonicalJson(label)
}

/** Parses and schema-checks a label from JSON text; accepts `{"tanba-label": {...}}` wrapping too. */
export function parseLabel(json: string): Label {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (cause) {
    throw new InvalidLabelError(`Expected the label as JSON text but could not parse it: ${(cause as Error).message}`, { cause })
  }
  if (value && typeof value === 'object' && 'tanba-label' in value) value = (value as Record<string, unknown>)['tanba-label']
  assertLabel(value)
  return value
}

// ---------------------------------------------------------------------------
// Compact binary form (CBOR with integer keys) for carriers where every byte counts,
// such as the invisible text wrapper. Lossless: decode(encode(label)) deep-equals label.

const TOP = {
  tanba: 1, id: 2, created: 3, origin: 4, system: 5, owner: 6, distributor: 7,
  prompt: 8, notice: 9, profiles: 10, binding: 11, sig: 12, watermark: 13,
} as const
const SYSTEM = { name: 1, version: 2, model: 3 } as const
const OWNER = { name: 1, id: 2, country: 3, contact: 4 } as const
const DISTRIBUTOR = { name: 1, id: 2 } as const
const PROMPT = { text: 1, writer: 2 } as const
const NOTICE = { method: 1, langs: 2, placement: 3, text: 4, height: 5 } as const
const BINDING = { method: 1, alg: 2, digest: 3, extent: 4 } as const
const WATERMARK = { method: 1, payload: 2, detection: 3 } as const
const SIG = { alg: 1, kid: 2, pub: 3, x5c: 4, value: 5, tst: 6 } as const
const ORIGINS = ['generated', 'modified'] as const
const SIG_ALGS = ['Ed25519', 'ES256'] as const
const NOTICE_METHODS = ['text', 'overlay', 'page-text', 'audio-rhythm', 'audio-speech', 'none'] as const
/** Binding methods that compact carriers use, coded as integers; any other method stays a string. */
const BINDING_METHODS = ['tanba.text/1', 'tanba.text.markdown/1', 'tanba.text.html/1'] as const

type KeyMap = Readonly<Record<string, number>>

function packObject(obj: Record<string, unknown> | undefined, keys: KeyMap, convert?: (key: string, v: unknown) => unknown): Map<number, unknown> | undefined {
  if (!obj) return undefined
  const out = new Map<number, unknown>()
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue
    const code = keys[k]
    if (code === undefined) throw new InvalidLabelError(`Cannot encode unknown label field "${k}"`)
    out.set(code, convert ? convert(k, v) : v)
  }
  return out
}

function unpackObject(value: unknown, keys: KeyMap, where: string, convert?: (key: string, v: unknown) => unknown): Record<string, unknown> {
  if (!(value instanceof Map)) throw new InvalidLabelError(`Compact label: expected a map at ${where}`)
  const names = Object.fromEntries(Object.entries(keys).map(([k, v]) => [v, k]))
  const out: Record<string, unknown> = {}
  for (const [code, v] of value) {
    const name = names[code as number]
    if (!name) throw new InvalidLabelError(`Compact label: unknown key ${String(code)} at ${where}`)
    out[name] = convert ? convert(name, v) : v
  }
  return out
}

function uuidToBytes(id: string): Uint8Array {
  return fromHex(id.replace(/-/g, ''))
}

function bytesToUuid(bytes: unknown): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) throw new InvalidLabelError('Compact label: expected 16 bytes for the id')
  const h = toHex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

function asBytes(v: unknown, where: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new InvalidLabelError(`Compact label: expected bytes at ${where}`)
  return v
}

function indexOf<T extends string>(list: readonly T[], value: unknown, where: string): number {
  const i = list.indexOf(value as T)
  if (i < 0) throw new InvalidLabelError(`Cannot encode ${where} ${JSON.stringify(value)}`)
  return i
}

function fromIndex<T>(list: readonly T[], value: unknown, where: string): T {
  const v = typeof value === 'number' ? list[value] : undefined
  if (v === undefined) throw new InvalidLabelError(`Compact label: unknown ${where} code ${String(value)}`)
  return v
}

/** Encodes a (schema-valid) label to the compact CBOR form. */
export function encodeCompactLabel(label: Label): Uint8Array {
  assertLabel(label)
  const top = new Map<number, unknown>()
  top.set(TOP.tanba, label.tanba)
  top.set(TOP.id, uuidToBytes(label.id))
  top.set(TOP.created, Math.floor(Date.parse(label.created) / 1000))
  top.set(TOP.origin, indexOf(ORIGINS, label.origin, 'origin'))
  top.set(TOP.system, packObject({ ...label.system }, SYSTEM))
  top.set(TOP.owner, packObject({ ...label.owner }, OWNER))
  if (label.distributor) top.set(TOP.distributor, packObject({ ...label.distributor }, DISTRIBUTOR))
  if (label.prompt) top.set(TOP.prompt, packObject({ ...label.prompt }, PROMPT))
  if (label.notice) {
    top.set(TOP.notice, packObject({ ...label.notice }, NOTICE, (k, v) => (k === 'method' ? indexOf(NOTICE_METHODS, v, 'notice method') : v)))
  }
  if (label.watermark) top.set(TOP.watermark, packObject({ ...label.watermark }, WATERMARK))
  top.set(TOP.profiles, label.profiles)
  top.set(
    TOP.binding,
    packObject({ ...label.binding }, BINDING, (k, v) => {
      if (k === 'digest') return fromBase64Url(v as string)
      if (k === 'alg') return 0
      if (k === 'method') {
        const code = BINDING_METHODS.indexOf(v as (typeof BINDING_METHODS)[number])
        return code >= 0 ? code : v
      }
      return v
    }),
  )
  top.set(
    TOP.sig,
    packObject({ ...label.sig }, SIG, (k, v) => {
      if (k === 'alg') return indexOf(SIG_ALGS, v, 'signature algorithm')
      if (k === 'pub' || k === 'value') return fromBase64Url(v as string)
      if (k === 'x5c') return (v as string[]).map((c) => fromBase64Url(c))
      if (k === 'tst') return fromBase64Url(v as string)
      return v
    }),
  )
  return cborEncode(top)
}

/** Decodes the compact form and schema-checks the result. */
export function decodeCompactLabel(bytes: Uint8Array): Label {
  let top: unknown
  try {
    top = cborDecode(bytes, { useMaps: true, rejectDuplicateMapKeys: true, strict: true })
  } catch (cause) {
    throw new InvalidLabelError(`The compact label is not valid CBOR: ${(cause as Error).message}`, { cause })
  }
  const raw = unpackObject(top, TOP, 'label')
  const created = raw.created
  if (typeof created !== 'number' || !Number.isSafeInteger(created)) throw new InvalidLabelError('Compact label: expected an integer creation time')
  const label: Record<string, unknown> = {
    ...raw,
    id: bytesToUuid(raw.id),
    created: new Date(created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    origin: fromIndex(ORIGINS, raw.origin, 'origin'),
    system: unpackObject(raw.system, SYSTEM, 'system'),
    owner: unpackObject(raw.owner, OWNER, 'owner'),
    binding: unpackObject(raw.binding, BINDING, 'binding', (k, v) => {
      if (k === 'digest') return toBase64Url(asBytes(v, 'binding.digest'))
      if (k === 'alg') {
        if (v !== 0) throw new InvalidLabelError(`Compact label: unknown binding digest algorithm code ${String(v)}; expected 0 (sha-256)`)
        return 'sha-256'
      }
      if (k === 'method' && typeof v === 'number') return fromIndex(BINDING_METHODS, v, 'binding method')
      return v
    }),
    sig: unpackObject(raw.sig, SIG, 'sig', (k, v) => {
      if (k === 'alg') return fromIndex(SIG_ALGS, v, 'signature algorithm')
      if (k === 'pub' || k === 'value') return toBase64Url(asBytes(v, `sig.${k}`))
      if (k === 'x5c') {
        if (!Array.isArray(v)) throw new InvalidLabelError('Compact label: expected an array of certificates at sig.x5c')
        return v.map((c) => toBase64(asBytes(c, 'sig.x5c')))
      }
      if (k === 'tst') return toBase64(asBytes(v, 'sig.tst'))
      return v
    }),
  }
  if (raw.distributor !== undefined) label.distributor = unpackObject(raw.distributor, DISTRIBUTOR, 'distributor')
  if (raw.prompt !== undefined) label.prompt = unpackObject(raw.prompt, PROMPT, 'prompt')
  if (raw.notice !== undefined) {
    label.notice = unpackObject(raw.notice, NOTICE, 'notice', (k, v) => (k === 'method' ? fromIndex(NOTICE_METHODS, v, 'notice method') : v))
  }
  if (raw.watermark !== undefined) label.watermark = unpackObject(raw.watermark, WATERMARK, 'watermark')
  assertLabel(label)
  // One label, one encoding: bytes that decode to this label but are not what encodeCompactLabel
  // writes for it (another code for a fixed field, a reordered top-level map) are refused, so no
  // byte of a carried label can change without the verdict changing.
  if (!equalBytes(encodeCompactLabel(label as Label), bytes)) {
    throw new InvalidLabelError('Compact label: the bytes are not the canonical encoding of the label they hold (a field is coded in a way Tanba never writes)')
  }
  return label
}
