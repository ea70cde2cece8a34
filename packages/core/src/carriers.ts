import type { Extraction } from './adapter.js'
import { parseLabel } from './codec.js'
import { parseTc260, tc260IsAi } from './derive.js'
import { InvalidLabelError, isTanbaError } from './errors.js'
import { isAiDigitalSourceType } from './label.js'
import type { Limits } from './limits.js'
import type { Marker, ReportMessage } from './report.js'
import { readXmp } from './xmp.js'
import { CORE_RULES } from './core-rules.js'

// What an adapter does with the text it found in a carrier is the same for every format: the
// adapter finds the bytes, these turn them into markers, labels and messages.

/** What the carrier readers add to; an adapter's extraction is built from these lists. */
export interface CarrierFindings {
  markers: Marker[]
  labels: Extraction['labels']
  messages: ReportMessage[]
  fields: Record<string, unknown>
}

/** The Tanba label in `carrier`; a label that does not parse is kept as its error, so the report can name it. */
export function labelFromCarrier(carrier: string, text: string): Extraction['labels'][number] {
  try {
    return { carrier, label: parseLabel(text) }
  } catch (error) {
    return { carrier, error: isTanbaError(error) ? error : new InvalidLabelError(`The label in ${carrier} could not be read: ${(error as Error).message}`) }
  }
}

/** The TC260 AIGC marker for `text` found in `carrier`; text that is not a TC260 object is an invalid marker plus a note. */
export function tc260CarrierMarker(carrier: string, text: string, found: Pick<CarrierFindings, 'markers' | 'messages'>): void {
  const tc = parseTc260(text)
  if (!tc) {
    found.markers.push({ standard: 'tc260', carrier, aiMarked: false, valid: false, value: text, detail: 'Not a TC260 AIGC object' })
    found.messages.push(CORE_RULES.message('tc260.unreadable', `The AIGC value in ${carrier} is not a TC260 object`, { carrier }))
    return
  }
  found.markers.push({ standard: 'tc260', carrier, aiMarked: tc260IsAi(tc), valid: null, value: tc })
}

/**
 * The AI fields of one XMP packet found in `carrier`: the IPTC digital source type, the TC260
 * AIGC property and the Tanba label. An unreadable packet is a note (`xmp.unreadable`), not an error.
 */
export function readXmpCarrier(carrier: string, text: string, limits: Pick<Limits, 'maxMetadataBytes' | 'maxDepth'>, found: CarrierFindings): void {
  let xmp
  try {
    xmp = readXmp(text, { maxBytes: limits.maxMetadataBytes, maxDepth: limits.maxDepth })
  } catch (error) {
    found.messages.push(CORE_RULES.message('xmp.unreadable', `The XMP packet could not be read: ${(error as Error).message}`, { carrier }))
    return
  }
  if (xmp.digitalSourceType) {
    found.markers.push({ standard: 'iptc', carrier, aiMarked: isAiDigitalSourceType(xmp.digitalSourceType), valid: null, value: xmp.digitalSourceType })
    found.fields.digitalSourceType = xmp.digitalSourceType
  }
  if (xmp.aiSystemUsed) found.fields.aiSystemUsed = xmp.aiSystemUsed
  if (xmp.aiSystemVersionUsed) found.fields.aiSystemVersionUsed = xmp.aiSystemVersionUsed
  if (xmp.tc260) tc260CarrierMarker(`${carrier}#TC260:AIGC`, xmp.tc260, found)
  if (xmp.tanbaLabel) {
    const tanba = `${carrier}#tanba:Label`
    found.markers.push({ standard: 'tanba', carrier: tanba, aiMarked: true, valid: null })
    found.labels.push(labelFromCarrier(tanba, xmp.tanbaLabel))
  }
}
