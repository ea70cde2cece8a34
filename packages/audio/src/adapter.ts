import { c2paChangedEssence, c2paStale, CORE_RULES, InvalidLabelError, isTanbaError, joinBytes, labelFromCarrier, labelToXmpFields, parseLabel, readXmp, readXmpCarrier, resultFromParts, serializeLabel, tc260CarrierMarker, tc260Json, throwIfAborted, toTc260, UnsupportedFormatError, writeXmp, type Adapter, type Asset, type Extraction, type ExtractOptions, type FormatInfo, type Label, type LabelBinding, type LabelNotice, type Limits, type Marker, type OpenOptions, type ReportMessage, type StampContext, type StampResult } from '@tanba/core'
import { readC2paMarkers, signC2pa } from './c2pa.js'
import { codecFor } from './codecs.js'
import { AUDIO_FORMATS, C2PA_FORMATS, NOTICE_FORMATS } from './formats.js'
import { sha256Parts } from './hash.js'
import { prepareNotice, type AudibleNoticeOptions } from './notice/notice.js'
import { detectRhythm, type RhythmDetection } from './notice/rhythm.js'
import type { AudioCodec, AudioRead } from './types.js'
import { AUDIO_RULES } from './rules.js'

export const AUDIO_ADAPTER_NAME = '@tanba/audio'

/** Seconds decoded first when looking for a notice the label declares (the default rhythm lasts 1.75 s). */
const QUICK_NOTICE_SECONDS = 3

/** Options read from `adapterOptions.audio` when stamping and verifying. */
export interface AudioAdapterOptions extends AudibleNoticeOptions {
  /** Look for the audible notice in the decoded samples when verifying (default true). */
  detectNotice?: boolean
  /** Seconds decoded at the start (and end) when looking for the notice (default 6). */
  detectSeconds?: number
  /** Read ordinary tags with music-metadata for `inspect` (default true). */
  musicMetadata?: boolean
}

function audioOptions(adapterOptions: Record<string, unknown>): AudioAdapterOptions {
  const o = adapterOptions.audio
  return o && typeof o === 'object' ? (o as AudioAdapterOptions) : {}
}

/** Creates the audio adapter (MP3, WAV, FLAC, M4A, Ogg Vorbis/Opus). */
export function createAudioAdapter(): Adapter {
  return {
    name: AUDIO_ADAPTER_NAME,
    kind: 'audio',
    formats: AUDIO_FORMATS,
    capabilities: { stamp: true },
    open,
  }
}

/** The container parsed once, and its carriers read once: what read, digest and stamp share. */
interface OpenedAudio {
  input: Uint8Array
  codec: AudioCodec
  parsed: unknown
  carriers(): AudioRead
}

async function open(input: Uint8Array, format: FormatInfo, options: OpenOptions): Promise<Asset> {
  throwIfAborted(options.signal)
  const codec = codecFor(format)
  // Parsing validates the whole structure before any work.
  const parsed = codec.parse(input, options.limits)
  let read: AudioRead | undefined
  const file: OpenedAudio = { input, codec, parsed, carriers: () => (read ??= codec.read(input, options.limits, parsed)) }
  return {
    format,
    size: input.length,
    read: (r) => extract(file, format, { ...options, ...r }),
    digest: async (binding) => digest(file, format, binding, options),
    stamp: (ctx) => stamp(file, ctx),
  }
}

async function stamp(file: OpenedAudio, ctx: StampContext): Promise<StampResult> {
  throwIfAborted(ctx.signal)
  const { input, codec } = file
  const options = audioOptions(ctx.adapterOptions)
  const limits = ctx.limits
  const messages: ReportMessage[] = []
  const before = file.carriers()
  const previous = firstLabel(before, limits)
  let bytes = input
  let notice: LabelNotice | undefined
  if (ctx.notice) {
    if (previous?.notice && previous.notice.method.startsWith('audio-')) {
      // Restamping: the notice is already in the audio; adding it again would double it.
      notice = previous.notice
      messages.push(CORE_RULES.message('notice.kept', 'The file already carries a Tanba label with an audible notice; the notice was not added again'))
    } else {
      if (!codec.addNotice) {
        throw new UnsupportedFormatError(
          `The audible notice can be added to ${NOTICE_FORMATS.map((f) => f.toUpperCase()).join(', ')} files; ${ctx.format.id.toUpperCase()} is not supported. Stamp with notice: { visible: false } to write only the machine-readable carriers.`,
          { details: { format: ctx.format.id, supported: [...NOTICE_FORMATS], option: 'notice.visible' } },
        )
      }
      const prepared = prepareNotice(ctx.notice, options, limits)
      const result = await codec.addNotice(bytes, prepared.request, limits)
      throwIfAborted(ctx.signal)
      bytes = result.bytes
      messages.push(...result.messages)
      notice = { method: prepared.method, langs: prepared.langs, placement: prepared.placement, ...(prepared.text ? { text: prepared.text } : {}) }
    }
  }
  // The input's parse serves while the bytes are still the input's; after the notice they are a new file.
  const same = bytes === input ? file.parsed : undefined
  const essence = codec.essence(bytes, limits, same)
  const binding: LabelBinding = { method: essence.method, alg: 'sha-256', digest: await sha256Parts(essence.parts) }
  const label = await ctx.sign(binding, notice)
  const written = codec.write(
    bytes,
    {
      tc260: tc260Json(toTc260(label)),
      label: serializeLabel(label),
      xmp: (existing) => writeXmp(existing, labelToXmpFields(label), { maxBytes: limits.maxMetadataBytes, maxDepth: limits.maxDepth }),
    },
    limits,
    same,
  )
  const carriers = [...written.carriers]
  if (ctx.c2pa) {
    const c2paFormat = (C2PA_FORMATS as readonly string[]).includes(ctx.format.id)
    // C2PA signs a whole file: only here are the pieces joined in memory.
    const out = c2paFormat ? joinBytes(written.parts) : new Uint8Array(0)
    const signed = await signC2pa(out, input, label, ctx)
    messages.push(...signed.messages)
    if (signed.bytes) {
      // The manifest must sit outside the essence: check before handing the file back.
      const check = await sha256Parts(codec.essence(signed.bytes, limits).parts)
      if (check !== binding.digest) {
        messages.push(c2paChangedEssence(ctx.c2paPolicy, 'audio data'))
      } else {
        carriers.push(signed.carrier)
        return { bytes: signed.bytes, label, carriers, messages }
      }
    }
    if (c2paFormat) return { bytes: out, label, carriers, messages }
  } else if (before.c2pa.length) {
    messages.push(c2paStale(before.c2pa[0]!.carrier))
  }
  return resultFromParts(written.parts, { label, carriers, messages })
}

function firstLabel(read: AudioRead, limits: Limits): Label | null {
  for (const t of [...read.tanba, ...read.xmp.map((x) => ({ carrier: x.carrier, text: safeXmp(x.text, limits)?.tanbaLabel ?? '' }))]) {
    if (!t.text) continue
    try {
      return parseLabel(t.text)
    } catch {
      // a broken copy is replaced anyway
    }
  }
  return null
}

function safeXmp(text: string, limits: Limits) {
  try {
    return readXmp(text, { maxBytes: limits.maxMetadataBytes, maxDepth: limits.maxDepth })
  } catch {
    return null
  }
}

async function extract(file: OpenedAudio, format: FormatInfo, options: ExtractOptions): Promise<Extraction> {
  throwIfAborted(options.signal)
  const { input, codec } = file
  const limits = options.limits
  const read = file.carriers()
  const audio = audioOptions(options.adapterOptions)
  const markers: Marker[] = []
  const labels: Extraction['labels'] = []
  const messages: ReportMessage[] = [...read.messages]
  const fields: Record<string, unknown> = { format: format.id, ...read.fields }

  for (const t of read.tanba) {
    markers.push({ standard: 'tanba', carrier: t.carrier, aiMarked: true, valid: null })
    labels.push(labelFromCarrier(t.carrier, t.text))
  }
  for (const t of read.tc260) tc260CarrierMarker(t.carrier, t.text, { markers, messages })
  for (const x of read.xmp) readXmpCarrier(x.carrier, x.text, limits, { markers, labels, messages, fields })
  // C2PA: read through @tanba/c2pa when asked and when the file's own structure holds a manifest store.
  // The native reader only ever sees files that carry one (it panics on some hostile files that do not),
  // and ordinary files are verified without the round trip to its process.
  const c2pa = options.c2pa && read.c2pa.length ? await readC2paMarkers(input, format, options) : null
  if (c2pa) {
    markers.push(...c2pa.markers)
    messages.push(...c2pa.messages)
    labels.push(...c2pa.labels)
    if (c2pa.fields) fields.c2pa = c2pa.fields
  }
  if (!c2pa?.markers.length) {
    for (const c of read.c2pa) markers.push({ standard: 'c2pa', carrier: c.carrier, aiMarked: false, valid: null, detail: `A C2PA manifest store of ${c.size} bytes is present (not validated)` })
  }
  // The audible notice, found in the decoded samples.
  const declared = labels.find((l) => l.label)?.label?.notice
  if (options.content === false) {
    // Not asked to decode: the notice is neither looked for nor reported missing.
  } else if (audio.detectNotice !== false && codec.excerpt) {
    const places: ('start' | 'end')[] = ['start']
    if (declared?.placement === 'end' || declared?.placement === 'both') places.push('end')
    for (const where of places) {
      const seconds = audio.detectSeconds ?? 6
      // A notice the label declares sits right at the start (or end): a short excerpt finds it at a
      // fraction of the decoding; only when it does not is the whole search window decoded.
      const declaredHere = declared?.method === 'audio-rhythm' && (declared.placement === where || declared.placement === 'both')
      let found = declaredHere && seconds > QUICK_NOTICE_SECONDS ? await detectNotice(codec, input, where, QUICK_NOTICE_SECONDS, limits, []) : null
      if (!found?.found) found = await detectNotice(codec, input, where, seconds, limits, messages)
      if (found?.found) {
        markers.push({
          standard: 'notice',
          carrier: `audio:${where}`,
          aiMarked: true,
          valid: true,
          value: { method: 'audio-rhythm', placement: where, ...(declared?.langs ? { langs: declared.langs } : {}), elementsMs: found.elementsMs, frequency: found.frequency },
          detail: `Rhythm notice short-long-short-short found at the ${where} (${found.frequency} Hz)`,
        })
      } else if (found && declared && declared.method === 'audio-rhythm' && (declared.placement === where || declared.placement === 'both')) {
        messages.push(CORE_RULES.message('notice.not-detected', `The label records an audible notice at the ${where}, but the detector did not find it there: ${found.reason ?? 'no match'}`, { carrier: `audio:${where}` }))
      }
    }
  } else if (declared && !codec.excerpt) {
    messages.push(CORE_RULES.message('notice.unchecked', `The audible notice cannot be checked in ${format.id.toUpperCase()} files (no decoder)`))
  }
  if (options.tags !== false && audio.musicMetadata !== false) fields.tags = { ...(fields.tags as object | undefined), ...(await musicMetadataTags(input, format, messages)) }
  return { markers, labels, messages, fields }
}

async function detectNotice(codec: AudioCodec, input: Uint8Array, where: 'start' | 'end', seconds: number, limits: Limits, messages: ReportMessage[]): Promise<RhythmDetection | null> {
  try {
    const excerpt = await codec.excerpt!(input, where, seconds, limits)
    if (!excerpt) return null
    return detectRhythm(excerpt.samples, excerpt.sampleRate, { searchSeconds: seconds, from: where })
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    messages.push(CORE_RULES.message('notice.undecodable', `The audio could not be decoded to look for the audible notice: ${(error as Error).message}`))
    return null
  }
}

const MM_MIME: Record<string, string> = { mp3: 'audio/mpeg', wav: 'audio/wav', flac: 'audio/flac', m4a: 'audio/mp4', ogg: 'audio/ogg' }

/** Ordinary tags through music-metadata (for `inspect`); its failure is a note, not an error. */
async function musicMetadataTags(input: Uint8Array, format: FormatInfo, messages: ReportMessage[]): Promise<Record<string, unknown>> {
  try {
    const { parseBuffer } = await import('music-metadata')
    const meta = await parseBuffer(input, { mimeType: MM_MIME[format.id] ?? format.mediaTypes[0]!, size: input.length }, { duration: false, skipCovers: true, skipPostHeaders: true })
    const c = meta.common
    const out: Record<string, unknown> = {}
    for (const k of ['title', 'artist', 'album', 'year', 'genre', 'comment', 'encodedby'] as const) {
      const v = c[k as keyof typeof c]
      if (v !== undefined && !(Array.isArray(v) && !v.length)) out[k] = Array.isArray(v) ? v.map((x) => (typeof x === 'object' && x && 'text' in x ? (x as { text: string }).text : x)).join('; ') : v
    }
    if (meta.format.codec) out.codec = meta.format.codec
    if (meta.format.container) out.container = meta.format.container
    return out
  } catch (error) {
    messages.push(AUDIO_RULES.message('tags.unreadable', `music-metadata could not read the tags: ${(error as Error).message}`))
    return {}
  }
}

async function digest(file: OpenedAudio, format: FormatInfo, binding: LabelBinding, options: OpenOptions): Promise<string> {
  throwIfAborted(options.signal)
  const { codec } = file
  if (binding.method !== codec.bindingMethod) {
    throw new InvalidLabelError(`The label binds the essence with "${binding.method}", but a ${format.id.toUpperCase()} file is bound with "${codec.bindingMethod}"`)
  }
  const essence = codec.essence(file.input, options.limits, file.parsed)
  return sha256Parts(essence.parts)
}
