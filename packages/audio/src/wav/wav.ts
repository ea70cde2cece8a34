import { MalformedInputError, riffChunk, TooLargeError, UnsupportedFormatError, walkRiff, type Limits, type RiffChunk, type RiffForm } from '@tanba/core'
import { readId3Tag } from '../mp3/id3.js'
import type { AudioCodec, AudioRead, CarrierPayload, DecodedExcerpt, EssenceResult, NoticeRequest, NoticeResult, WriteResult } from '../types.js'
import { emptyRead } from '../types.js'
import { checkInputSize, joinBytes, NO_NOTICE_HINT, payloadText, utf8 } from '../util.js'
import { decodePcmToMono, encodeMonoToPcm, estimatePcmRms, pcmKind, type PcmKind } from './pcm.js'
import { AUDIO_RULES } from '../rules.js'

/** v2: every chunk a player may use (all but the metadata chunks in WAV_METADATA_CHUNKS) and the bytes after the RIFF form. */
export const WAV_BINDING = 'tanba.audio.wav/2'
/**
 * Chunks no player uses to produce sound: tags, padding and Tanba's carriers. Every other chunk
 * (fmt, data, fact, cue, smpl, LIST adtl, unknown ones) is inside the binding.
 */
export const WAV_METADATA_CHUNKS: ReadonlySet<string> = new Set(['id3 ', 'ID3 ', '_PMX', 'AIGC', 'TNBA', 'C2PA', 'bext', 'iXML', 'JUNK', 'junk', 'PAD ', 'FLLR', 'PEAK', 'DISP'])
/** Streaming writers (ffmpeg to a pipe, text-to-speech services) leave these sizes when they cannot seek back. */
const STREAMED_SIZES = new Set([0, 0xffffffff])
/** RIFF chunk ids Tanba writes: the TC260 label, XMP and the Tanba label. */
export const WAV_CHUNKS = { tc260: 'AIGC', xmp: '_PMX', tanba: 'TNBA', c2pa: 'C2PA' } as const

export interface WavFormat {
  /** The format tag with WAVE_FORMAT_EXTENSIBLE resolved to its sub-format (1 PCM, 3 float, ...). */
  formatTag: number
  extensible: boolean
  channels: number
  sampleRate: number
  byteRate: number
  blockAlign: number
  bitsPerSample: number
  /** Sample encoding when the audible notice can be written (linear PCM or float), else null. */
  kind: PcmKind | null
}

export interface ParsedWav {
  form: RiffForm
  fmt: WavFormat
  data: RiffChunk
  /** The RIFF or data size was left 0 or 0xFFFFFFFF by a streaming writer: the data runs to the end of the file, as ffmpeg reads it. */
  streamed: boolean
  /** Chunk ids that occur more than once where a player uses only one ("fmt ", "data"). */
  duplicates: string[]
}

const INFO_FIELDS: Record<string, string> = { INAM: 'title', IART: 'artist', IPRD: 'album', ICMT: 'comment', ICRD: 'date', IGNR: 'genre', ISFT: 'software', ICOP: 'copyright' }

export function parseWav(bytes: Uint8Array, limits: Limits): ParsedWav {
  checkInputSize(bytes, limits)
  const streamedData = streamedDataOffset(bytes, limits)
  const form = streamedData === null ? walkRiff(bytes, { maxDepth: limits.maxDepth, maxChunks: limits.maxChunks }) : streamedForm(bytes, streamedData, limits)
  if (form.magic !== 'RIFF' || form.formType !== 'WAVE') throw new MalformedInputError(`Expected a RIFF WAVE file but found ${form.magic} form ${JSON.stringify(form.formType)}`)
  const fmtChunk = form.chunks.find((c) => c.id === 'fmt ')
  const data = form.chunks.find((c) => c.id === 'data')
  const duplicates = ['fmt ', 'data'].filter((id) => form.chunks.filter((c) => c.id === id).length > 1)
  if (!fmtChunk) throw new MalformedInputError('Expected a "fmt " chunk in the WAV file but found none')
  if (!data) throw new MalformedInputError('Expected a "data" chunk in the WAV file but found none')
  if (fmtChunk.size < 16) throw new MalformedInputError(`Expected a "fmt " chunk of at least 16 bytes but it has ${fmtChunk.size}`)
  const v = new DataView(bytes.buffer, bytes.byteOffset + fmtChunk.dataOffset, fmtChunk.size)
  let formatTag = v.getUint16(0, true)
  const channels = v.getUint16(2, true)
  const sampleRate = v.getUint32(4, true)
  const byteRate = v.getUint32(8, true)
  const blockAlign = v.getUint16(12, true)
  const bitsPerSample = v.getUint16(14, true)
  const extensible = formatTag === 0xfffe
  if (extensible) {
    if (fmtChunk.size < 40) throw new MalformedInputError(`WAVE_FORMAT_EXTENSIBLE needs a 40-byte "fmt " chunk but it has ${fmtChunk.size}`)
    formatTag = v.getUint16(24, true)
  }
  if (channels === 0 || sampleRate === 0 || blockAlign === 0) {
    throw new MalformedInputError(`The WAV "fmt " chunk declares ${channels} channels, ${sampleRate} Hz and block align ${blockAlign}; none may be 0`)
  }
  const container = blockAlign % channels === 0 ? blockAlign / channels : 0
  const kind = container ? pcmKind(formatTag, bitsPerSample, container) : null
  return { form, fmt: { formatTag, extensible, channels, sampleRate, byteRate, blockAlign, bitsPerSample, kind }, data, streamed: streamedData !== null, duplicates }
}

/**
 * The offset of the `data` chunk header when the file was written by a streaming writer (RIFF or
 * data size 0 or 0xFFFFFFFF), else null. Only the chunks before `data` are walked.
 */
function streamedDataOffset(bytes: Uint8Array, limits: Limits): number | null {
  if (bytes.length < 12) return null
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const riffStreamed = STREAMED_SIZES.has(v.getUint32(4, true))
  let o = 12
  for (let n = 0; o + 8 <= bytes.length && n < limits.maxChunks; n++) {
    const size = v.getUint32(o + 4, true)
    if (bytes[o] === 0x64 && bytes[o + 1] === 0x61 && bytes[o + 2] === 0x74 && bytes[o + 3] === 0x61) {
      // A data size that fits the file, in a file whose RIFF size is also streamed, is kept as declared only if it is not a streaming size.
      return STREAMED_SIZES.has(size) || (riffStreamed && o + 8 + size > bytes.length) ? o : null
    }
    o += 8 + size + (size & 1)
  }
  return null
}

/** The form of a streamed file: the chunks before `data`, then `data` running to the end of the file. */
function streamedForm(bytes: Uint8Array, dataAt: number, limits: Limits): RiffForm {
  const head = new Uint8Array(dataAt)
  head.set(bytes.subarray(0, dataAt))
  new DataView(head.buffer).setUint32(4, dataAt - 8, true)
  const before = walkRiff(head, { maxDepth: limits.maxDepth, maxChunks: limits.maxChunks })
  const data: RiffChunk = { id: 'data', offset: dataAt, dataOffset: dataAt + 8, size: bytes.length - dataAt - 8, end: bytes.length }
  return { ...before, declaredSize: bytes.length - 8, end: bytes.length, chunks: [...before.chunks, data], sizeMismatch: false }
}

function readWav(bytes: Uint8Array, limits: Limits, wav: ParsedWav = parseWav(bytes, limits)): AudioRead {
  const out = emptyRead()
  const { fmt, data, form } = wav
  if (form.sizeMismatch) {
    // More bytes declared than present: the file was cut short, so nothing in it can be vouched for.
    const cut = form.declaredSize + 8 > bytes.length
    out.messages.push(
      AUDIO_RULES.message(cut ? 'riff.truncated' : 'riff.size-mismatch', `The RIFF header declares ${form.declaredSize + 8} bytes but the file has ${bytes.length}${cut ? ': the file is truncated' : ''}`),
    )
  }
  if (wav.streamed) out.messages.push(AUDIO_RULES.message('riff.streamed', 'The WAV header leaves the RIFF or data size unset (0 or 0xFFFFFFFF), as streaming writers do: the data runs to the end of the file'))
  for (const id of wav.duplicates) {
    out.messages.push(AUDIO_RULES.message('riff.duplicate-chunk', `The WAV file has more than one ${JSON.stringify(id)} chunk; players disagree about which one they use, so no label on it can be vouched for`, { carrier: `riff:${id}` }))
  }
  out.fields = {
    container: 'RIFF WAVE',
    formatTag: fmt.formatTag,
    channels: fmt.channels,
    sampleRate: fmt.sampleRate,
    bitsPerSample: fmt.bitsPerSample,
    ...(fmt.byteRate ? { durationSeconds: data.size / fmt.byteRate } : {}),
  }
  const tags: Record<string, string> = {}
  for (const chunk of form.chunks) {
    const payload = bytes.subarray(chunk.dataOffset, chunk.dataOffset + chunk.size)
    if (chunk.id === WAV_CHUNKS.tc260) out.tc260.push({ carrier: 'riff:AIGC', text: payloadText(payload) })
    else if (chunk.id === WAV_CHUNKS.tanba) out.tanba.push({ carrier: 'riff:TNBA', text: payloadText(payload) })
    else if (chunk.id === WAV_CHUNKS.xmp) out.xmp.push({ carrier: 'xmp:riff:_PMX', text: payloadText(payload) })
    else if (chunk.id === WAV_CHUNKS.c2pa) out.c2pa.push({ carrier: 'riff:C2PA', size: chunk.size })
    else if (chunk.id === 'LIST' && chunk.listType === 'INFO') {
      for (const sub of chunk.children ?? []) {
        const name = INFO_FIELDS[sub.id]
        if (name) tags[name] = payloadText(bytes.subarray(sub.dataOffset, sub.dataOffset + sub.size))
      }
    } else if (chunk.id === 'id3 ' || chunk.id === 'ID3 ') {
      try {
        const tag = readId3Tag(payload, 0, limits)
        for (const t of tag.txxx) {
          if (t.description === 'AIGC') out.tc260.push({ carrier: 'riff:id3:TXXX:AIGC', text: t.value })
          if (t.description === 'TANBA') out.tanba.push({ carrier: 'riff:id3:TXXX:TANBA', text: t.value })
        }
        if (tag.xmp) out.xmp.push({ carrier: 'xmp:riff:id3:PRIV', text: tag.xmp })
        Object.assign(tags, tag.fields)
      } catch (error) {
        out.messages.push(AUDIO_RULES.message('id3.unreadable', `The ID3 tag inside the WAV file could not be read: ${(error as Error).message}`, { carrier: 'riff:id3' }))
      }
    }
  }
  if (Object.keys(tags).length) out.fields.tags = tags
  return out
}

/**
 * Essence: every chunk a player may use, in file order, as id, size and payload (the `data` chunk of a
 * streamed file with its real size), then any bytes after the RIFF form (ffmpeg reads chunks there).
 * Only the metadata chunks of WAV_METADATA_CHUNKS and LIST INFO are left out.
 */
function wavEssence(bytes: Uint8Array, limits: Limits, wav: ParsedWav = parseWav(bytes, limits)): EssenceResult {
  const parts: Uint8Array[] = [utf8(`${WAV_BINDING}\n`)]
  for (const chunk of wav.form.chunks) {
    if (WAV_METADATA_CHUNKS.has(chunk.id) || (chunk.id === 'LIST' && chunk.listType === 'INFO')) continue
    const head = new Uint8Array(8)
    for (let i = 0; i < 4; i++) head[i] = chunk.id.charCodeAt(i)
    new DataView(head.buffer).setUint32(4, chunk.size, true)
    parts.push(head, bytes.subarray(chunk.dataOffset, chunk.dataOffset + chunk.size))
  }
  if (wav.form.end < bytes.length) parts.push(utf8('\ntrailing\n'), bytes.subarray(wav.form.end))
  return { method: WAV_BINDING, parts }
}

/** Refuses to stamp a file whose sound players disagree about. */
function checkStampable(wav: ParsedWav): void {
  if (wav.duplicates.length) {
    throw new MalformedInputError(`Expected one "fmt " and one "data" chunk in the WAV file but found more than one ${wav.duplicates.map((d) => JSON.stringify(d)).join(' and ')}; players disagree about which one they play`, { details: { duplicates: wav.duplicates } })
  }
}

/** A streamed file's `data` chunk with its real size (and a pad byte), so the output has a correct header. */
function fixedData(bytes: Uint8Array, wav: ParsedWav): Uint8Array[] {
  const header = new Uint8Array(8)
  header.set([0x64, 0x61, 0x74, 0x61])
  new DataView(header.buffer).setUint32(4, wav.data.size, true)
  return [header, bytes.subarray(wav.data.dataOffset, wav.data.dataOffset + wav.data.size), wav.data.size & 1 ? new Uint8Array(1) : new Uint8Array(0)]
}

/**
 * Buffers this codec made itself (the audible-notice output), with spare room after their end. Writing
 * the carriers into such a buffer appends them in place instead of copying the whole file again; a
 * caller's input is never in this set, so it is never modified.
 */
const scratch = new WeakSet<ArrayBufferLike>()
/** Room left after a notice output for the carrier chunks (label, TC260, XMP). */
const CARRIER_ROOM = 256 * 1024

/**
 * The WAV file rebuilt from its chunks, with replacements and new chunks at the end of the RIFF
 * form, as pieces: a new RIFF header, then the kept
 * chunks as views into `bytes`, the new chunks, and whatever followed the RIFF form.
 */
function wavPieces(bytes: Uint8Array, wav: ParsedWav, replace: Map<RiffChunk, Uint8Array | Uint8Array[] | null>, append: Uint8Array[]): Uint8Array[] {
  const pieces: Uint8Array[] = [new Uint8Array(12)]
  for (const chunk of wav.form.chunks) {
    if (replace.has(chunk)) {
      const r = replace.get(chunk)
      if (Array.isArray(r)) pieces.push(...r)
      else if (r) pieces.push(r)
      continue
    }
    pieces.push(bytes.subarray(chunk.offset, chunk.end))
    // A final odd-sized chunk without its pad byte gets one, so chunks after it stay aligned.
    if (chunk.size & 1 && chunk.end === chunk.dataOffset + chunk.size) pieces.push(new Uint8Array(1))
  }
  pieces.push(...append)
  let riffLength = 0
  for (const p of pieces) riffLength += p.length
  if (riffLength - 8 > 0xffffffff) throw new TooLargeError('The WAV file would exceed the 4 GiB RIFF size limit (RF64 is not supported)')
  const header = pieces[0]!
  header.set([0x52, 0x49, 0x46, 0x46], 0)
  new DataView(header.buffer, header.byteOffset).setUint32(4, riffLength - 8, true)
  header.set([0x57, 0x41, 0x56, 0x45], 8)
  // Bytes after the RIFF form (e.g. an appended ID3v1 tag) are kept after it.
  if (8 + wav.form.declaredSize < bytes.length) pieces.push(bytes.subarray(wav.form.end))
  return pieces
}

/** `wavPieces` joined into one buffer, with `room` spare bytes after it for carriers (see `appendInPlace`). */
function assembleWav(bytes: Uint8Array, wav: ParsedWav, replace: Map<RiffChunk, Uint8Array | Uint8Array[] | null>, append: Uint8Array[], room = 0): Uint8Array {
  const pieces = wavPieces(bytes, wav, replace, append)
  if (!room) return joinBytes(pieces)
  let length = 0
  for (const p of pieces) length += p.length
  const buffer = new ArrayBuffer(length + room)
  const out = new Uint8Array(buffer, 0, length)
  let o = 0
  for (const p of pieces) (out.set(p, o), (o += p.length))
  scratch.add(buffer)
  return out
}

function writeWav(bytes: Uint8Array, payload: CarrierPayload, limits: Limits, wav: ParsedWav = parseWav(bytes, limits)): WriteResult {
  checkStampable(wav)
  const replace = new Map<RiffChunk, Uint8Array | Uint8Array[] | null>()
  if (wav.streamed) replace.set(wav.data, fixedData(bytes, wav))
  const append: Uint8Array[] = [riffChunk(WAV_CHUNKS.tc260, utf8(payload.tc260))]
  let xmpDone = false
  for (const chunk of wav.form.chunks) {
    if (chunk.id === WAV_CHUNKS.tc260 || chunk.id === WAV_CHUNKS.tanba) replace.set(chunk, null)
    else if (chunk.id === WAV_CHUNKS.xmp) {
      if (xmpDone) {
        replace.set(chunk, null)
        continue
      }
      const existing = payloadText(bytes.subarray(chunk.dataOffset, chunk.dataOffset + chunk.size))
      replace.set(chunk, riffChunk(WAV_CHUNKS.xmp, utf8(payload.xmp(existing))))
      xmpDone = true
    }
  }
  if (!xmpDone) append.push(riffChunk(WAV_CHUNKS.xmp, utf8(payload.xmp(undefined))))
  append.push(riffChunk(WAV_CHUNKS.tanba, utf8(payload.label)))
  const carriers = ['riff:AIGC', 'xmp:riff:_PMX', 'riff:TNBA']
  const inPlace = appendInPlace(bytes, wav, replace, append)
  return { parts: inPlace ? [inPlace] : wavPieces(bytes, wav, replace, append), carriers }
}

/**
 * Appends chunks to a buffer this codec made (see `scratch`) when nothing earlier in the file changes
 * and the spare room suffices: the file is not copied again. Otherwise null.
 */
function appendInPlace(bytes: Uint8Array, wav: ParsedWav, replace: Map<RiffChunk, unknown>, append: Uint8Array[]): Uint8Array | null {
  if (replace.size || !scratch.has(bytes.buffer) || bytes.byteOffset !== 0 || wav.form.end !== bytes.length || 8 + wav.form.declaredSize !== bytes.length) return null
  let extra = 0
  for (const a of append) extra += a.length
  if (bytes.length + extra > bytes.buffer.byteLength || bytes.length + extra - 8 > 0xffffffff) return null
  scratch.delete(bytes.buffer) // used once: the next writer must not find it half-filled
  const out = new Uint8Array(bytes.buffer, 0, bytes.length + extra)
  let o = bytes.length
  for (const a of append) (out.set(a, o), (o += a.length))
  new DataView(out.buffer).setUint32(4, out.length - 8, true)
  return out
}

async function addWavNotice(bytes: Uint8Array, request: NoticeRequest, limits: Limits): Promise<NoticeResult> {
  const wav = parseWav(bytes, limits)
  checkStampable(wav)
  const { fmt, data } = wav
  if (!fmt.kind) {
    throw new UnsupportedFormatError(`The audible notice needs linear PCM (8, 16, 24 or 32 bit) or float WAV; this WAV has format tag ${fmt.formatTag} with ${fmt.bitsPerSample} bits. ${NO_NOTICE_HINT}`, { details: { formatTag: fmt.formatTag, option: 'notice.visible' } })
  }
  const kind = fmt.kind
  const audio = bytes.subarray(data.dataOffset, data.dataOffset + data.size - (data.size % fmt.blockAlign))
  const rms = estimatePcmRms(audio, kind, fmt.channels, fmt.blockAlign)
  const mono = request.render(fmt.sampleRate, rms)
  const pcm = encodeMonoToPcm(mono, kind, fmt.channels, fmt.blockAlign)
  const atStart = request.placement !== 'end'
  const atEnd = request.placement !== 'start'
  const tail = bytes.subarray(data.dataOffset + audio.length, data.dataOffset + data.size)
  const parts = [atStart ? pcm : null, audio, atEnd ? pcm : null, tail].filter((p): p is Uint8Array => p !== null)
  let newSize = 0
  for (const p of parts) newSize += p.length
  const header = new Uint8Array(8)
  header.set([0x64, 0x61, 0x74, 0x61])
  new DataView(header.buffer).setUint32(4, newSize, true)
  const replace = new Map<RiffChunk, Uint8Array | Uint8Array[] | null>()
  // Pieces, not a joined chunk: the audio is copied once, into the output.
  replace.set(data, [header, ...parts, newSize & 1 ? new Uint8Array(1) : new Uint8Array(0)])
  const shift = atStart ? mono.length : 0
  const added = mono.length * (Number(atStart) + Number(atEnd))
  for (const chunk of wav.form.chunks) {
    if (chunk.id === 'fact' && chunk.size >= 4) replace.set(chunk, patchFact(bytes, chunk, added))
    else if (chunk.id === 'cue ' && shift) replace.set(chunk, patchCue(bytes, chunk, shift))
    else if (chunk.id === 'smpl' && shift) replace.set(chunk, patchSmpl(bytes, chunk, shift))
  }
  // Spare room after the file, so the carriers can be appended without copying the audio again.
  return { bytes: assembleWav(bytes, wav, replace, [], CARRIER_ROOM), added: { start: atStart ? mono.length : 0, end: atEnd ? mono.length : 0 }, sampleRate: fmt.sampleRate, messages: [] }
}

function copyChunk(bytes: Uint8Array, chunk: RiffChunk): { out: Uint8Array; view: DataView } {
  const out = riffChunk(chunk.id, bytes.slice(chunk.dataOffset, chunk.dataOffset + chunk.size))
  return { out, view: new DataView(out.buffer, 8) }
}

function patchFact(bytes: Uint8Array, chunk: RiffChunk, added: number): Uint8Array {
  const { out, view } = copyChunk(bytes, chunk)
  view.setUint32(0, (view.getUint32(0, true) + added) >>> 0, true)
  return out
}

/** Cue points in the data chunk move by the samples inserted before them. */
function patchCue(bytes: Uint8Array, chunk: RiffChunk, shift: number): Uint8Array {
  const { out, view } = copyChunk(bytes, chunk)
  if (chunk.size < 4) return out
  const n = Math.min(view.getUint32(0, true), Math.floor((chunk.size - 4) / 24))
  for (let i = 0; i < n; i++) {
    const o = 4 + i * 24
    view.setUint32(o + 4, (view.getUint32(o + 4, true) + shift) >>> 0, true)
    view.setUint32(o + 20, (view.getUint32(o + 20, true) + shift) >>> 0, true)
  }
  return out
}

/** Sampler loop points move by the samples inserted before them. */
function patchSmpl(bytes: Uint8Array, chunk: RiffChunk, shift: number): Uint8Array {
  const { out, view } = copyChunk(bytes, chunk)
  if (chunk.size < 36) return out
  const n = Math.min(view.getUint32(28, true), Math.floor((chunk.size - 36) / 24))
  for (let i = 0; i < n; i++) {
    const o = 36 + i * 24
    view.setUint32(o + 8, (view.getUint32(o + 8, true) + shift) >>> 0, true)
    view.setUint32(o + 12, (view.getUint32(o + 12, true) + shift) >>> 0, true)
  }
  return out
}

async function wavExcerpt(bytes: Uint8Array, where: 'start' | 'end', seconds: number, limits: Limits): Promise<DecodedExcerpt | null> {
  const { fmt, data } = parseWav(bytes, limits)
  if (!fmt.kind) return null
  const audio = bytes.subarray(data.dataOffset, data.dataOffset + data.size)
  const frames = Math.floor(audio.length / fmt.blockAlign)
  const n = Math.min(frames, Math.round(seconds * fmt.sampleRate))
  const from = where === 'start' ? 0 : frames - n
  return { samples: decodePcmToMono(audio, fmt.kind, fmt.channels, fmt.blockAlign, from, from + n), sampleRate: fmt.sampleRate }
}

/** Decodes a WAV clip (e.g. a spoken notice from a text-to-speech tool) to mono float. */
export function decodeWavClip(bytes: Uint8Array, limits: Limits): DecodedExcerpt {
  const { fmt, data } = parseWav(bytes, limits)
  if (!fmt.kind) throw new UnsupportedFormatError(`The spoken notice clip must be linear PCM or float WAV; it has format tag ${fmt.formatTag}`)
  const audio = bytes.subarray(data.dataOffset, data.dataOffset + data.size)
  return { samples: decodePcmToMono(audio, fmt.kind, fmt.channels, fmt.blockAlign), sampleRate: fmt.sampleRate }
}

export const wavCodec: AudioCodec = {
  id: 'wav',
  bindingMethod: WAV_BINDING,
  parse: parseWav,
  read: readWav,
  essence: wavEssence,
  write: writeWav,
  addNotice: addWavNotice,
  excerpt: wavExcerpt,
}
