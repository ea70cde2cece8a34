import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom'
import { MalformedInputError, TooLargeError } from './errors.js'
import { DEFAULT_LIMITS } from './limits.js'
import { TC260_NAMESPACE, tc260Json, toIptc, toTc260 } from './derive.js'
import { serializeLabel } from './codec.js'
import { checkXmlDepth } from './binary/xml-depth.js'
import type { Label } from './label.js'

export const XMP_NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  Iptc4xmpExt: 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/',
  TC260: TC260_NAMESPACE,
  tanba: 'https://tanba.dev/ns/1.0/',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const

/** The XMP properties Tanba reads and writes. Values are plain text. */
export interface XmpAiFields {
  /** Iptc4xmpExt:DigitalSourceType (full IPTC URI). */
  digitalSourceType?: string
  aiSystemUsed?: string
  aiSystemVersionUsed?: string
  aiPromptInformation?: string
  aiPromptWriterName?: string
  /** TC260:AIGC, the TC260 JSON text. */
  tc260?: string
  /** tanba:Label, the signed Tanba label as JSON text. */
  tanbaLabel?: string
}

type FieldName = keyof XmpAiFields
const PROPERTIES: Record<FieldName, { ns: string; prefix: string; local: string }> = {
  digitalSourceType: { ns: XMP_NS.Iptc4xmpExt, prefix: 'Iptc4xmpExt', local: 'DigitalSourceType' },
  aiSystemUsed: { ns: XMP_NS.Iptc4xmpExt, prefix: 'Iptc4xmpExt', local: 'AISystemUsed' },
  aiSystemVersionUsed: { ns: XMP_NS.Iptc4xmpExt, prefix: 'Iptc4xmpExt', local: 'AISystemVersionUsed' },
  aiPromptInformation: { ns: XMP_NS.Iptc4xmpExt, prefix: 'Iptc4xmpExt', local: 'AIPromptInformation' },
  aiPromptWriterName: { ns: XMP_NS.Iptc4xmpExt, prefix: 'Iptc4xmpExt', local: 'AIPromptWriterName' },
  tc260: { ns: XMP_NS.TC260, prefix: 'TC260', local: 'AIGC' },
  tanbaLabel: { ns: XMP_NS.tanba, prefix: 'tanba', local: 'Label' },
}
const FIELD_NAMES = Object.keys(PROPERTIES) as FieldName[]

/** All XMP fields a label implies: IPTC digital source type and AI fields, TC260:AIGC, tanba:Label. */
export function labelToXmpFields(label: Label): XmpAiFields {
  const iptc = toIptc(label)
  return { ...iptc, tc260: tc260Json(toTc260(label)), tanbaLabel: serializeLabel(label) }
}

const EMPTY_PACKET = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${XMP_NS.rdf}"></rdf:RDF></x:xmpmeta>`

function parse(xml: string, maxBytes: number, maxDepth: number = DEFAULT_LIMITS.maxDepth): Document {
  if (xml.length > maxBytes) throw new TooLargeError(`The XMP packet is ${xml.length} characters; the limit is ${maxBytes}`)
  // Strip the xpacket processing instructions and any BOM; they are re-added on write.
  const body = xml.replace(/^\uFEFF/, '').replace(/<\?xpacket[^?]*\?>/g, '').trim()
  if (/<!DOCTYPE/i.test(body)) throw new MalformedInputError('The XMP packet contains a DOCTYPE declaration, which XMP does not allow')
  // xmldom recurses per level (and runs out of memory serialising ~10^5 levels): refuse deep nesting first.
  checkXmlDepth(body, maxDepth)
  let doc: Document
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message)
      },
    }).parseFromString(keepXml10LineEnds(body) || EMPTY_PACKET, 'text/xml')
  } catch (cause) {
    throw new MalformedInputError(`Expected an XMP packet (RDF/XML) but it does not parse: ${(cause as Error).message}`, { cause })
  }
  return doc
}

function rdfRoot(doc: Document): Element {
  const found = doc.getElementsByTagNameNS(XMP_NS.rdf, 'RDF')[0]
  if (found) return found
  throw new MalformedInputError('Expected an rdf:RDF element in the XMP packet but found none')
}

function descriptions(doc: Document): Element[] {
  return Array.from(doc.getElementsByTagNameNS(XMP_NS.rdf, 'Description'))
}

function elementText(el: Element): string {
  // Language alternatives and arrays: take the first rdf:li (x-default first when present).
  const items = Array.from(el.getElementsByTagNameNS(XMP_NS.rdf, 'li'))
  if (items.length) {
    const preferred = items.find((li) => li.getAttribute('xml:lang') === 'x-default') ?? items[0]!
    return preferred.textContent ?? ''
  }
  const resource = el.getAttributeNS(XMP_NS.rdf, 'resource')
  if (resource) return resource
  return el.textContent ?? ''
}

/** Reads Tanba-relevant fields from an XMP packet. Missing fields are absent. */
export function readXmp(xml: string, options: { maxBytes?: number; maxDepth?: number } = {}): XmpAiFields {
  const doc = parse(xml, options.maxBytes ?? DEFAULT_LIMITS.maxMetadataBytes, options.maxDepth)
  const out: XmpAiFields = {}
  for (const desc of descriptions(doc)) {
    for (const name of FIELD_NAMES) {
      const { ns, local } = PROPERTIES[name]
      const attr = desc.getAttributeNS(ns, local)
      if (attr && out[name] === undefined) out[name] = attr
      for (const child of Array.from(desc.childNodes)) {
        const el = child as Element
        if (el.nodeType === 1 && el.namespaceURI === ns && el.localName === local && out[name] === undefined) out[name] = elementText(el)
      }
    }
  }
  return out
}

export interface WriteXmpOptions {
  /** Fields to delete (both attribute and element forms). */
  remove?: FieldName[]
  /** Bytes of whitespace padding inside the packet so others can edit in place (default 0). */
  padding?: number
  maxBytes?: number
  /** Deepest element nesting accepted in the existing packet (default limits.maxDepth). */
  maxDepth?: number
}

/**
 * Merges fields into an existing packet (or a new one), keeping every other property.
 * Each written property replaces any previous value of the same property.
 * Returns a complete packet with xpacket wrapper.
 */
export function writeXmp(existing: string | undefined | null, fields: XmpAiFields, options: WriteXmpOptions = {}): string {
  const doc = parse(existing ?? '', options.maxBytes ?? DEFAULT_LIMITS.maxMetadataBytes, options.maxDepth)
  const rdf = rdfRoot(doc)
  const targets = new Set<FieldName>([...(options.remove ?? []), ...(Object.keys(fields) as FieldName[]).filter((k) => fields[k] !== undefined)])
  for (const desc of descriptions(doc)) {
    for (const name of targets) {
      const { ns, local } = PROPERTIES[name]
      if (desc.hasAttributeNS(ns, local)) desc.removeAttributeNS(ns, local)
      for (const child of Array.from(desc.childNodes)) {
        const el = child as Element
        if (el.nodeType === 1 && el.namespaceURI === ns && el.localName === local) {
          // Take the indentation before it too, so rewriting a packet does not grow it.
          const before = el.previousSibling
          if (before && before.nodeType === 3 && !(before.nodeValue ?? '').trim()) desc.removeChild(before)
          desc.removeChild(el)
        }
      }
    }
  }
  const toWrite = FIELD_NAMES.filter((k) => fields[k] !== undefined)
  if (toWrite.length) {
    let desc = descriptions(doc).find((d) => d.parentNode === rdf && (d.getAttributeNS(XMP_NS.rdf, 'about') ?? '') === '')
    if (!desc) {
      desc = doc.createElementNS(XMP_NS.rdf, 'rdf:Description')
      desc.setAttributeNS(XMP_NS.rdf, 'rdf:about', '')
      rdf.appendChild(doc.createTextNode('\n  '))
      rdf.appendChild(desc)
      rdf.appendChild(doc.createTextNode('\n'))
    }
    for (const name of toWrite) {
      const { ns, prefix, local } = PROPERTIES[name]
      if (!desc.lookupPrefix(ns)) desc.setAttributeNS(XMP_NS.xmlns, `xmlns:${prefix}`, ns)
      const usedPrefix = desc.lookupPrefix(ns) ?? prefix
      const el = doc.createElementNS(ns, `${usedPrefix}:${local}`)
      el.appendChild(doc.createTextNode(xmlSafeText(fields[name]!)))
      desc.appendChild(doc.createTextNode('\n    '))
      desc.appendChild(el)
    }
    const last = desc.lastChild
    if (!(last && last.nodeType === 3 && !(last.nodeValue ?? '').trim())) desc.appendChild(doc.createTextNode('\n  '))
  }
  const root = doc.documentElement
  if (!root) throw new MalformedInputError('The XMP packet has no root element')
  // XML parsers turn a raw CR, NEL, U+2028 or U+2029 into a line feed; as character references they survive.
  const xml = new XMLSerializer().serializeToString(root).replace(/[\r\u0085\u2028\u2029]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`)
  const pad = options.padding ? '\n' + (' '.repeat(99) + '\n').repeat(Math.ceil(options.padding / 100)) : '\n'
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n${xml}${pad}<?xpacket end="w"?>`
}

/**
 * xmldom treats NEL, U+2028 and U+2029 as line ends (XML 1.1) and turns them into line feeds; XML 1.0,
 * which XMP uses, keeps them. A label's JSON text may hold them raw (JSON does not escape them), so they
 * become character references before parsing (outside CDATA sections, where references are not read).
 */
function keepXml10LineEnds(xml: string): string {
  if (!/[\u0085\u2028\u2029]/.test(xml)) return xml
  return xml
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part, i) => (i % 2 ? part : part.replace(/[\u0085\u2028\u2029]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`)))
    .join('')
}

/**
 * Text XML 1.0 can carry: characters it forbids outright (C0 controls other than tab, line feed
 * and carriage return, lone surrogates, U+FFFE, U+FFFF) become U+FFFD, so the packet stays well-formed.
 */
function xmlSafeText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}

/** Removes every Tanba-written property (IPTC AI fields, TC260:AIGC, tanba:Label). */
export function stripXmpAiFields(existing: string): string {
  return writeXmp(existing, {}, { remove: FIELD_NAMES })
}
