import { DisplayString, serializeDictionary, Token, type Dictionary } from 'structured-headers'
import { digitalSourceTypeFor, type Label } from './label.js'

/** The TC260 / GB 45438-2025 implicit label: seven fields, in this order. */
export interface Tc260Label {
  Label: string
  ContentProducer: string
  ProduceID: string
  ReservedCode1: string
  ContentPropagator: string
  PropagateID: string
  ReservedCode2: string
}

export const TC260_FIELDS = ['Label', 'ContentProducer', 'ProduceID', 'ReservedCode1', 'ContentPropagator', 'PropagateID', 'ReservedCode2'] as const
export const TC260_NAMESPACE = 'http://www.tc260.org.cn/ns/AIGC/1.0/'

/** One implementation limits values to printable ASCII without space, `"` and `\`; so do we. */
function tc260Value(value: string | undefined): string {
  return (value ?? '').normalize('NFKD').replace(/[^\x21-\x7e]|["\\]/g, '')
}

/** The TC260 object derived from a label. Producer = owner id (or name), propagator = distributor or owner. */
export function toTc260(label: Label): Tc260Label {
  const producer = tc260Value(label.owner.id ?? label.owner.name)
  return {
    Label: '1',
    ContentProducer: producer,
    ProduceID: label.id,
    ReservedCode1: label.binding.digest,
    ContentPropagator: label.distributor ? tc260Value(label.distributor.id ?? label.distributor.name) : producer,
    PropagateID: label.id,
    ReservedCode2: '',
  }
}

/** The TC260 object as JSON text with the fields in the standard's order. */
export function tc260Json(value: Tc260Label): string {
  return JSON.stringify(Object.fromEntries(TC260_FIELDS.map((k) => [k, value[k]])))
}

/**
 * Parses TC260 JSON text: the bare object or the wrapped form {"AIGC": {...}}.
 * Returns null when the text is not a TC260 object.
 */
export function parseTc260(text: string | Record<string, unknown>): Tc260Label | null {
  let value: unknown = text
  if (typeof text === 'string') {
    try {
      value = JSON.parse(text)
    } catch {
      return null
    }
  }
  if (value && typeof value === 'object' && 'AIGC' in value) value = (value as { AIGC: unknown }).AIGC
  if (typeof value === 'string') return parseTc260(value)
  if (!value || typeof value !== 'object' || !('Label' in value)) return null
  const obj = value as Record<string, unknown>
  const out = {} as Record<string, string>
  for (const field of TC260_FIELDS) out[field] = obj[field] === undefined || obj[field] === null ? '' : String(obj[field])
  return out as unknown as Tc260Label
}

/** TC260 Label values "1" (generated), "2" (possibly), "3" (suspected) all disclose AI involvement. */
export function tc260IsAi(value: Tc260Label): boolean {
  return ['1', '2', '3'].includes(value.Label.trim())
}

/** IPTC Photo Metadata (2025.1) fields derived from a label. */
export interface IptcAiFields {
  digitalSourceType: string
  aiSystemUsed: string
  aiSystemVersionUsed?: string
  aiPromptInformation?: string
  aiPromptWriterName?: string
}

export function toIptc(label: Label): IptcAiFields {
  const system = label.system.model ? `${label.system.name} (${label.system.model})` : label.system.name
  return {
    digitalSourceType: digitalSourceTypeFor(label.origin),
    aiSystemUsed: system,
    ...(label.system.version ? { aiSystemVersionUsed: label.system.version } : {}),
    ...(label.prompt?.text ? { aiPromptInformation: label.prompt.text } : {}),
    ...(label.prompt?.writer ? { aiPromptWriterName: label.prompt.writer } : {}),
  }
}

/**
 * The `AI-Disclosure` HTTP response header value (IETF draft-abaris-aicdh): an RFC 9651
 * dictionary, `mode` as a token, the other members as strings.
 */
export function toAiDisclosureHeader(label: Label): string {
  const dict: Dictionary = new Map()
  dict.set('mode', [new Token(label.origin === 'generated' ? 'ai-originated' : 'ai-modified'), new Map()])
  if (label.system.model) dict.set('model', [sfText(label.system.model), new Map()])
  dict.set('provider', [sfText(label.owner.name), new Map()])
  dict.set('date', [label.created, new Map()])
  return serializeDictionary(dict)
}

/** sf-string carries printable ASCII; anything else goes in an RFC 9651 Display String (%"..."). */
function sfText(value: string): string | DisplayString {
  return /^[\x20-\x7e]*$/.test(value) ? value : new DisplayString(value)
}

/** The value of `<meta name="ai-disclosure" content="...">` (W3C community group explainer). */
export function toHtmlMetaValue(label: Label): string {
  return label.origin === 'generated' ? 'ai-generated' : 'ai-assisted'
}
