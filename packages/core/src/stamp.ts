import type { Adapter, Asset, C2paPolicy, FormatInfo, ResolvedNotice, StampContext, StampResult } from './adapter.js'
import { InvalidOptionError, throwIfAborted, UnsupportedFormatError } from './errors.js'
import { resolveLimits, type Limits } from './limits.js'
import { PROFILE_IDS, type AiSystem, type Distributor, type LabelBinding, type LabelNotice, type LabelWatermark, type Origin, type Party, type ProfileId, type PromptInfo } from './label.js'
import { noticeText } from './notices.js'
import { PROFILES } from './profiles.js'
import type { Signer } from './crypto/signer.js'
import { signLabel } from './crypto/label-signature.js'
import { createTsaClient, type TimestampClient } from './crypto/timestamp.js'
import { joinBytes, randomUuid } from './bytes.js'
import type { LabelLedger } from './ledger.js'

export interface NoticeOptions {
  /** Apply the perceivable notice (default true). */
  visible?: boolean
  /** Override texts: one string for every language, or per language. */
  text?: string | Record<string, string | Partial<Record<Origin, string>>>
  /** Languages to use, overriding the profiles' languages. */
  languages?: string[]
  /** Extra languages added to the profiles' languages (e.g. a user language for `eu`). */
  addLanguages?: string[]
  placement?: ResolvedNotice['placement']
  /** Minimum text height as a fraction of the shortest side (default 0.05). */
  minTextHeight?: number
}

export interface StampOptions {
  signer: Signer
  origin?: Origin
  system: AiSystem
  owner: Party
  distributor?: Distributor
  prompt?: PromptInfo
  /** Jurisdiction profiles (default ["kz"]). */
  profiles?: ProfileId[]
  notice?: NoticeOptions
  /**
   * C2PA manifest: `'preferred'` (default, same as `true`) embeds one where the format and signer
   * allow it and otherwise reports one `c2pa.*` message; `'required'` fails the stamp with a typed
   * error instead; `false` writes none.
   */
  c2pa?: boolean | C2paPolicy
  /** Fixed content id (default: a random UUID). */
  id?: string
  /** Fixed creation time (default: now). */
  created?: Date
  limits?: Partial<Limits>
  signal?: AbortSignal
  /** Per-adapter options, e.g. `{ image: { plate: 'dark' } }`. */
  adapterOptions?: Record<string, unknown>
  /**
   * An RFC 3161 time-stamping authority: `{ url }` (plain data, fine for worker threads) or any
   * TimestampClient. Each label then carries a token over its signature (sig.tst), and verifiers
   * that trust the TSA check the certificate at that time instead of now.
   */
  tsa?: { url: string } | TimestampClient
  /** Records each signed label (e.g. a JSON-lines file from @tanba/watermark/node). */
  ledger?: LabelLedger
}

/** Languages for the notice: explicit list, else the union of the profiles' languages, plus additions. */
export function noticeLanguages(profiles: ProfileId[], notice: NoticeOptions = {}): string[] {
  const base = notice.languages ?? profiles.flatMap((p) => PROFILES[p].languages)
  return [...new Set([...base, ...(notice.addLanguages ?? [])])]
}

/** Resolves the notice to concrete lines, or null when it is turned off. */
export function resolveNotice(origin: Origin, profiles: ProfileId[], notice: NoticeOptions = {}): ResolvedNotice | null {
  if (notice.visible === false) return null
  const overrides = typeof notice.text === 'string' ? { '*': notice.text } : notice.text
  const lines: ResolvedNotice['lines'] = []
  const seen = new Set<string>()
  for (const lang of noticeLanguages(profiles, notice)) {
    const text = noticeText(lang, origin, overrides)
    if (!text) throw new InvalidOptionError(`No built-in notice text for language "${lang}"; pass notice.text for it`, { details: { option: 'notice.text' } })
    if (seen.has(text)) continue
    seen.add(text)
    lines.push({ lang, text })
  }
  const minTextHeight = Math.max(notice.minTextHeight ?? 0.05, profiles.includes('cn') ? 0.05 : 0)
  return { lines, placement: notice.placement ?? 'start', minTextHeight, text: lines.map((l) => l.text).join(' / ') }
}

function validateOptions(options: StampOptions): void {
  if (!options || typeof options !== 'object') throw new InvalidOptionError('Expected stamp options with signer, system and owner')
  if (!options.signer || typeof options.signer.sign !== 'function') throw new InvalidOptionError('Expected options.signer to be a Signer (see createPemSigner)', { details: { option: 'signer' } })
  if (!options.system?.name) throw new InvalidOptionError('Expected options.system.name: the AI system that made the content', { details: { option: 'system.name' } })
  if (!options.owner?.name) throw new InvalidOptionError('Expected options.owner.name: the owner or holder of the AI system', { details: { option: 'owner.name' } })
  if (options.origin && options.origin !== 'generated' && options.origin !== 'modified') {
    throw new InvalidOptionError(`Expected origin "generated" or "modified" but received ${JSON.stringify(options.origin)}`, { details: { option: 'origin' } })
  }
  if (options.c2pa !== undefined && typeof options.c2pa !== 'boolean' && options.c2pa !== 'required' && options.c2pa !== 'preferred') {
    throw new InvalidOptionError(`Expected options.c2pa to be true, false, "required" or "preferred" but received ${JSON.stringify(options.c2pa)}`, { details: { option: 'c2pa' } })
  }
  for (const p of options.profiles ?? []) {
    if (!PROFILE_IDS.includes(p)) throw new InvalidOptionError(`Expected profiles from ${PROFILE_IDS.join(', ')} but received ${JSON.stringify(p)}`, { details: { option: 'profiles' } })
  }
}

function isoSeconds(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new InvalidOptionError('Expected options.created to be a valid Date', { details: { option: 'created' } })
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T
}

/** Builds the context an adapter's `stamp` receives. */
export function createStampContext(format: FormatInfo, options: StampOptions): StampContext {
  validateOptions(options)
  const origin = options.origin ?? 'generated'
  const profiles = [...new Set(options.profiles?.length ? options.profiles : (['kz'] as ProfileId[]))]
  const draft = {
    tanba: 1 as const,
    id: options.id ?? randomUuid(),
    created: isoSeconds(options.created ?? new Date()),
    origin,
    system: stripUndefined({ ...options.system }),
    owner: stripUndefined({ ...options.owner }),
    ...(options.distributor ? { distributor: stripUndefined({ ...options.distributor }) } : {}),
    ...(options.prompt && (options.prompt.text || options.prompt.writer) ? { prompt: stripUndefined({ ...options.prompt }) } : {}),
    profiles,
  }
  const signer = options.signer
  const timestamp = options.tsa ? ('timestamp' in options.tsa ? options.tsa : createTsaClient(options.tsa)) : undefined
  return {
    format,
    origin,
    draft,
    profiles,
    notice: resolveNotice(origin, profiles, options.notice),
    signer,
    c2pa: options.c2pa !== false,
    c2paPolicy: options.c2pa === 'required' ? 'required' : 'preferred',
    limits: resolveLimits(options.limits),
    ...(options.signal ? { signal: options.signal } : {}),
    adapterOptions: options.adapterOptions ?? {},
    async sign(binding: LabelBinding, notice?: LabelNotice, extra?: { watermark?: LabelWatermark }) {
      throwIfAborted(options.signal)
      return signLabel({ ...draft, ...(notice ? { notice } : {}), ...(extra?.watermark ? { watermark: extra.watermark } : {}), binding }, signer, timestamp ? { timestamp } : {})
    },
  }
}

/**
 * A stamp result whose file is `parts`: `bytes` joins them on its first read (and keeps the
 * result), so callers that write the pieces never pay for the copy. Spreading the result, or any
 * other read of `bytes`, joins them.
 */
export function resultFromParts<T extends Omit<StampResult, 'bytes' | 'parts'>>(parts: readonly Uint8Array[], rest: T): T & Pick<StampResult, 'bytes' | 'parts'> {
  let joined: Uint8Array | undefined
  const result = { ...rest, parts } as T & Pick<StampResult, 'bytes' | 'parts'>
  Object.defineProperty(result, 'bytes', {
    enumerable: true,
    configurable: true,
    get: () => (joined ??= parts.length === 1 ? parts[0]! : joinBytes(parts)),
  })
  return result
}

/** Copies a stamp result with more properties, keeping `bytes` unjoined when it still is. */
export function extendResult<R extends StampResult, E extends object>(result: R, extra: E): R & E {
  return Object.defineProperties({}, { ...Object.getOwnPropertyDescriptors(result), ...Object.getOwnPropertyDescriptors(extra) }) as R & E
}

/** The length of a stamp result's file, without joining its parts. */
export function resultLength(result: Pick<StampResult, 'bytes' | 'parts'>): number {
  return result.parts ? result.parts.reduce((n, p) => n + p.length, 0) : result.bytes.length
}

/** Stamps bytes with an already-loaded adapter: opens the file once and stamps that asset. The umbrella `tanba` package adds detection, the look for an earlier label, and I/O. */
export async function stampWith(adapter: Adapter, input: Uint8Array, format: FormatInfo, options: StampOptions): Promise<StampResult> {
  throwIfAborted(options.signal)
  validateOptions(options)
  if (!adapter.capabilities.stamp) throw readOnly(adapter, format)
  const asset = await adapter.open(input, format, { limits: resolveLimits(options.limits), adapterOptions: options.adapterOptions ?? {}, ...(options.signal ? { signal: options.signal } : {}) })
  return stampAsset(asset, options)
}

/** Stamps an opened file (see `stampWith`), reusing its parse. */
export async function stampAsset(asset: Asset, options: StampOptions): Promise<StampResult> {
  throwIfAborted(options.signal)
  if (!asset.stamp) throw readOnly(undefined, asset.format)
  const context = createStampContext(asset.format, options)
  const result = await asset.stamp(context)
  if (options.ledger) await options.ledger.append(result.label)
  return result
}

function readOnly(adapter: Adapter | undefined, format: FormatInfo): UnsupportedFormatError {
  return new UnsupportedFormatError(`${adapter ? `The ${adapter.name} adapter` : 'This adapter'} only reads ${format.id.toUpperCase()} files: it cannot stamp them (load the adapter that writes them, e.g. in Node.js)`, { details: { format: format.id, readOnly: true } })
}
