import { c2paChangedEssence, CORE_RULES, InvalidLabelError, joinBytes, labelFromCarrier, labelToXmpFields, readXmpCarrier, resultFromParts, serializeLabel, tc260CarrierMarker, tc260Json, throwIfAborted, toTc260, UnsupportedFormatError, writeXmp, type Adapter, type Asset, type Extraction, type ExtractOptions, type FormatInfo, type LabelBinding, type Marker, type OpenOptions, type ReportMessage, type StampContext, type StampResult } from '@tanba/core'
import { readC2paMarkers, signC2pa } from './c2pa.js'
import { BMFF_FORMATS, VIDEO_FORMATS } from './formats.js'
import { bmffDigest, VIDEO_BMFF_BINDING } from './mp4/binding.js'
import { AIGC_KEY, LABEL_KEY, readMetadata, type Mp4Metadata } from './mp4/meta.js'
import { parseMp4, type Mp4Asset } from './mp4/parse.js'
import { writeCarriers } from './mp4/write.js'
import { bytesSource } from './source.js'

export const VIDEO_ADAPTER_NAME = '@tanba/video'

/** Tag names video tools write for the software that made the file. */
const GENERATOR_TAGS = new Set(['encoder', '©too', '©swr', '©enc', 'com.apple.quicktime.software', 'software', 'com.android.version', 'com.apple.quicktime.make', 'com.apple.quicktime.model'])

/** Creates the video adapter (MP4, MOV, M4V: ISO BMFF with sample tables). */
export function createVideoAdapter(): Adapter {
  return { name: VIDEO_ADAPTER_NAME, kind: 'video', formats: VIDEO_FORMATS, capabilities: { stamp: true }, open }
}

async function open(input: Uint8Array, format: FormatInfo, options: OpenOptions): Promise<Asset> {
  throwIfAborted(options.signal)
  if (!(BMFF_FORMATS as readonly string[]).includes(format.id)) {
    throw new UnsupportedFormatError(`${format.id.toUpperCase()} is recognised but not supported${format.note ? `: ${format.note}` : ''}`, { details: { format: format.id } })
  }
  // One walk of the box tree and the sample tables, shared by read, digest and stamp.
  const mp4 = parseMp4(bytesSource(input), options.limits)
  return {
    format,
    size: input.length,
    read: (read) => extract(input, mp4, format, { ...options, ...read }),
    digest: async (binding) => digest(mp4, format, binding, options.signal),
    stamp: (ctx) => stamp(input, mp4, ctx),
  }
}

async function stamp(input: Uint8Array, asset: Mp4Asset, ctx: StampContext): Promise<StampResult> {
  throwIfAborted(ctx.signal)
  if (ctx.notice) {
    throw new UnsupportedFormatError(
      'The visible opening notice for video is not available yet. Stamp with notice: { visible: false } to write only the machine-readable carriers (TC260 AIGC, XMP, the Tanba label, C2PA)',
      { details: { format: ctx.format.id, option: 'notice.visible' } },
    )
  }
  if (asset.fragmented) {
    // Verifying works (the binding reads the fragments); writing would have to move absolute fragment offsets.
    throw new UnsupportedFormatError('Fragmented MP4 (moof movie fragments, CMAF) cannot be stamped yet; it can be verified. Remux it first: `ffmpeg -i in.mp4 -c copy out.mp4`', { details: { format: ctx.format.id, fragmented: true } })
  }
  const meta = readMetadata(asset, ctx.limits)
  const messages: ReportMessage[] = []
  const essence = bmffDigest(asset, ctx.signal)
  const binding: LabelBinding = { method: essence.method, alg: 'sha-256', digest: essence.digest }
  const label = await ctx.sign(binding)
  throwIfAborted(ctx.signal)
  const existingXmp = meta.xmp.find((x) => x.carrier === 'xmp:mp4:uuid')?.text
  const written = writeCarriers(
    asset,
    {
      tc260: tc260Json(toTc260(label)),
      label: serializeLabel(label),
      xmp: (existing) => writeXmp(existing, labelToXmpFields(label), { maxBytes: ctx.limits.maxMetadataBytes, maxDepth: ctx.limits.maxDepth }),
    },
    existingXmp,
    ctx.limits,
  )
  const carriers = [...written.carriers]
  if (ctx.c2pa) {
    // C2PA signs the whole file: only here are the pieces joined in memory.
    const out = joinBytes(written.parts)
    const signed = await signC2pa(out, input, label, ctx)
    messages.push(...signed.messages)
    if (signed.bytes) {
      // The manifest must sit outside the bound samples: check before handing the file back.
      const check = bmffDigest(parseMp4(bytesSource(signed.bytes), ctx.limits), ctx.signal)
      if (check.digest !== binding.digest) {
        messages.push(c2paChangedEssence(ctx.c2paPolicy, 'coded samples'))
        return { bytes: out, label, carriers, messages }
      }
      carriers.push('c2pa') // the carrier name every adapter uses for its manifest store
      return { bytes: signed.bytes, label, carriers, messages }
    }
    return { bytes: out, label, carriers, messages }
  }
  return resultFromParts(written.parts, { label, carriers, messages })
}

async function extract(input: Uint8Array, asset: Mp4Asset, format: FormatInfo, options: ExtractOptions): Promise<Extraction> {
  throwIfAborted(options.signal)
  const limits = options.limits
  const meta = readMetadata(asset, limits)
  const markers: Marker[] = []
  const labels: Extraction['labels'] = []
  const messages: ReportMessage[] = []
  const fields: Record<string, unknown> = { format: format.id, ...streamFields(asset) }
  const tags: Record<string, string> = {}
  const generator: Record<string, string> = {}
  for (const tag of meta.tags) {
    const short = tag.name.replace(/^----:[^:]*:/, '')
    const carrier = `${tag.where}:${short}`
    if (short === AIGC_KEY) tc260CarrierMarker(carrier, tag.value, { markers, messages })
    else if (short === LABEL_KEY) {
      markers.push({ standard: 'tanba', carrier, aiMarked: true, valid: null })
      labels.push(labelFromCarrier(carrier, tag.value))
    } else {
      if (GENERATOR_TAGS.has(tag.name)) generator[tag.name] = tag.value
      tags[tag.name] = tag.value
    }
  }
  if (Object.keys(tags).length) fields.tags = tags
  if (Object.keys(generator).length) fields.generator = generator
  for (const x of meta.xmp) readXmpCarrier(x.carrier, x.text, limits, { markers, labels, messages, fields })
  // C2PA: read through @tanba/c2pa only when the file holds a manifest store box (the native reader never sees others).
  const c2pa = options.c2pa && meta.c2pa.length ? await readC2paMarkers(input, options) : null
  if (c2pa) {
    markers.push(...c2pa.markers)
    messages.push(...c2pa.messages)
    labels.push(...c2pa.labels)
    if (c2pa.fields) fields.c2pa = c2pa.fields
  }
  if (!c2pa?.markers.length) {
    for (const c of meta.c2pa) markers.push({ standard: 'c2pa', carrier: c.carrier, aiMarked: false, valid: null, detail: `A C2PA manifest store of ${c.size} bytes is present (not validated)` })
  }
  const declared = labels.find((l) => l.label)?.label?.notice
  if (declared && declared.method !== 'none') messages.push(CORE_RULES.message('notice.unchecked', 'The label records a visible notice, but Tanba cannot decode video frames to check it yet'))
  return { markers, labels, messages, fields }
}

function streamFields(asset: Mp4Asset): Record<string, unknown> {
  return {
    container: 'ISO BMFF',
    brands: asset.brands,
    fragmented: asset.fragmented,
    tracks: asset.tracks.map((t) => ({
      id: t.id,
      handler: t.handler,
      codec: t.codec,
      samples: t.tables.count,
      ...(t.width !== undefined ? { width: t.width, height: t.height, rotation: t.rotation } : {}),
      ...(t.channels !== undefined ? { channels: t.channels, sampleRate: t.sampleRate } : {}),
    })),
  }
}

function digest(asset: Mp4Asset, format: FormatInfo, binding: LabelBinding, signal: AbortSignal | undefined): string {
  throwIfAborted(signal)
  if (binding.method !== VIDEO_BMFF_BINDING) {
    throw new InvalidLabelError(`The label binds the essence with "${binding.method}", but a ${format.id.toUpperCase()} file is bound with "${VIDEO_BMFF_BINDING}"`)
  }
  return bmffDigest(asset, signal).digest
}

