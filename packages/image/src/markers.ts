// Every AI-disclosure marker an image can carry, read from the parsed structure (no decoding, no process).
import { CORE_RULES, isAiDigitalSourceType, isTanbaError, MalformedInputError, parseLabel, parseTc260, readXmp, tc260IsAi, type FoundLabel, type Limits, type Marker, type ReportMessage, type XmpAiFields } from '@tanba/core'
import type { ParsedImage, TextField } from './container.js'
import { IMAGE_BINDING, IMAGE_BINDING_V1 } from './parse.js'
import { IMAGE_RULES } from './rules.js'

export interface XmpFindings {
  fields: XmpAiFields
  messages: ReportMessage[]
}

/** The Tanba-relevant XMP fields: the main packet first, the extended packet (JPEG) for anything missing. */
export function readImageXmp(image: ParsedImage, limits: Limits): XmpFindings {
  const fields: XmpAiFields = {}
  const messages: ReportMessage[] = []
  let main = 0
  for (const packet of image.xmp) {
    try {
      const found = readXmp(packet.text, { maxBytes: limits.maxMetadataBytes, maxDepth: limits.maxDepth })
      // A second main packet: readers differ on which one they take, so any disagreement is fatal.
      if (packet.carrier === 'xmp' && main++ > 0) {
        const keys = new Set([...Object.keys(fields), ...Object.keys(found)] as (keyof XmpAiFields)[])
        const differ = [...keys].filter((k) => found[k] !== fields[k])
        messages.push(
          differ.length
            ? CORE_RULES.message('xmp.conflict', `The file holds ${main} XMP packets where one is allowed, and packet ${main} disagrees with the first on ${differ.join(', ')}: readers that take another packet see other labels`, { carrier: `xmp#${main}` })
            : CORE_RULES.message('xmp.duplicate', `The file holds ${main} XMP packets where one is allowed; they agree on every AI field`, { carrier: `xmp#${main}` }),
        )
        continue
      }
      for (const [k, v] of Object.entries(found) as [keyof XmpAiFields, string][]) if (fields[k] === undefined) fields[k] = v
    } catch (error) {
      if (isTanbaError(error) && error.code === 'TANBA_TOO_LARGE') throw error
      messages.push(CORE_RULES.message('xmp.unreadable', `The XMP packet could not be read: ${(error as Error).message}`, { carrier: packet.carrier }))
    }
  }
  return { fields, messages }
}

const MAX_VALUE = 4096
const clip = (s: string) => (s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE)}…` : s)

function json(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Generation parameters that image generators write into text fields. */
export function generatorMarkers(texts: TextField[]): Marker[] {
  const out: Marker[] = []
  for (const t of texts) {
    const key = t.keyword
    if (key === 'parameters' || (key === 'UserComment' && /\bSteps: \d+.*\bSampler: /s.test(t.text))) {
      out.push({ standard: 'sd-parameters', carrier: t.carrier, aiMarked: true, valid: null, value: clip(t.text), detail: 'Stable Diffusion web UI generation parameters' })
    } else if (key === 'prompt' || key === 'workflow') {
      const v = json(t.text) as Record<string, unknown> | undefined
      const comfy = v && typeof v === 'object' && (key === 'workflow' ? Array.isArray(v.nodes) : Object.values(v).some((n) => n && typeof n === 'object' && 'class_type' in (n as object)))
      if (comfy) out.push({ standard: 'comfyui', carrier: t.carrier, aiMarked: true, valid: null, value: clip(t.text), detail: `ComfyUI ${key === 'prompt' ? 'prompt graph' : 'workflow'}` })
    } else if (key === 'invokeai_metadata' || key === 'sd-metadata' || key === 'dream') {
      out.push({ standard: 'other', carrier: t.carrier, aiMarked: true, valid: null, value: clip(t.text), detail: 'InvokeAI generation metadata' })
    } else if (key === 'Software' && /NovelAI/i.test(t.text)) {
      out.push({ standard: 'other', carrier: t.carrier, aiMarked: true, valid: null, value: t.text, detail: 'NovelAI generator tag' })
    } else if (key === 'AIGC') {
      const tc = parseTc260(t.text)
      if (tc) out.push({ standard: 'tc260', carrier: t.carrier, aiMarked: tc260IsAi(tc), valid: null, value: tc, detail: `TC260 AIGC Label ${tc.Label}` })
    }
  }
  return out
}

export interface Findings {
  markers: Marker[]
  labels: FoundLabel[]
  messages: ReportMessage[]
  fields: Record<string, unknown>
}

/** Markers, Tanba label copies and inspect fields from the XMP and text fields (C2PA is added by the caller). */
export function findMarkers(image: ParsedImage, limits: Limits): Findings {
  const { fields: xmp, messages } = readImageXmp(image, limits)
  const markers: Marker[] = []
  const labels: FoundLabel[] = []
  const fields: Record<string, unknown> = {
    'image.format': image.format,
    'image.width': image.width,
    'image.height': image.height,
  }
  if (image.frames > 1) fields['image.frames'] = image.frames
  if (image.orientation !== 1) fields['image.orientation'] = image.orientation
  if (image.xmp.length) fields['xmp.packets'] = image.xmp.map((p) => p.carrier)
  if (xmp.tanbaLabel !== undefined) {
    try {
      labels.push({ carrier: 'xmp', label: parseLabel(xmp.tanbaLabel) })
    } catch (error) {
      labels.push({ carrier: 'xmp', error: isTanbaError(error) ? error : new MalformedInputError(String(error)) })
    }
    markers.push({ standard: 'tanba', carrier: 'xmp', aiMarked: true, valid: null, detail: 'Tanba label in XMP (tanba:Label)' })
    fields['xmp.tanba:Label'] = clip(xmp.tanbaLabel)
  }
  if (xmp.digitalSourceType !== undefined) {
    const ai = isAiDigitalSourceType(xmp.digitalSourceType)
    markers.push({ standard: 'iptc', carrier: 'xmp', aiMarked: ai, valid: null, value: xmp.digitalSourceType, detail: `IPTC digital source type ${xmp.digitalSourceType.replace(/^.*\//, '')}` })
    fields['xmp.Iptc4xmpExt:DigitalSourceType'] = xmp.digitalSourceType
  }
  if (xmp.aiSystemUsed !== undefined) fields['xmp.Iptc4xmpExt:AISystemUsed'] = xmp.aiSystemUsed
  if (xmp.aiSystemVersionUsed !== undefined) fields['xmp.Iptc4xmpExt:AISystemVersionUsed'] = xmp.aiSystemVersionUsed
  if (xmp.aiPromptInformation !== undefined) fields['xmp.Iptc4xmpExt:AIPromptInformation'] = clip(xmp.aiPromptInformation)
  if (xmp.aiPromptWriterName !== undefined) fields['xmp.Iptc4xmpExt:AIPromptWriterName'] = xmp.aiPromptWriterName
  if (xmp.tc260 !== undefined) {
    const tc = parseTc260(xmp.tc260)
    if (tc) markers.push({ standard: 'tc260', carrier: 'xmp', aiMarked: tc260IsAi(tc), valid: null, value: tc, detail: `TC260 AIGC Label ${tc.Label}, producer ${tc.ContentProducer || '(empty)'}` })
    else messages.push(CORE_RULES.message('tc260.unreadable', 'TC260:AIGC is present but is not a TC260 JSON object', { carrier: 'xmp' }))
    fields['xmp.TC260:AIGC'] = xmp.tc260
  }
  markers.push(...generatorMarkers(image.texts))
  for (const t of image.texts) fields[t.carrier] = clip(t.text)
  for (const note of image.notes) messages.push(IMAGE_RULES.message('image.note', note))
  for (const reason of image.hidden ?? []) messages.push(CORE_RULES.message('binding.hidden-content', reason, { carrier: 'xmp' }))
  if (labels[0]?.label?.binding.method === IMAGE_BINDING_V1) {
    messages.push(CORE_RULES.message('binding.legacy', `The label is bound with ${IMAGE_BINDING_V1}, which covers the image data but not the metadata a renderer uses (ICC profile, colour transform, orientation, SVG styles in <metadata>); stamp the file again for ${IMAGE_BINDING}`))
  }
  return { markers, labels, messages, fields }
}
