import { InvalidOptionError, stampWith, verifyWith, type FormatInfo, type Label, type ReportMessage, type StampOptions, type VerificationReport, type VerifyOptions } from '@tanba/core'
import { createTextAdapter } from './adapter.js'
import { TEXT_FORMATS } from './formats.js'

export type TextFormatId = 'text' | 'markdown' | 'html'

export interface TextStampResult {
  text: string
  label: Label
  carriers: string[]
  messages: ReportMessage[]
}

function formatOf(id: TextFormatId | undefined): FormatInfo {
  const format = TEXT_FORMATS.find((f) => f.id === (id ?? 'text'))
  if (!format) throw new InvalidOptionError(`Expected format "text", "markdown" or "html" but received ${JSON.stringify(id)}`)
  return format
}

const adapter = createTextAdapter()
// ignoreBOM keeps a leading U+FEFF: the stamped text comes back exactly as stamped.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * Stamps a string (plain text by default). Strings are encoded as UTF-8; a lone surrogate
 * becomes U+FFFD, exactly as any UTF-8 writer would store it.
 */
export async function stampText(text: string, options: StampOptions & { format?: TextFormatId }): Promise<TextStampResult> {
  const { format, ...stampOptions } = options
  const result = await stampWith(adapter, new TextEncoder().encode(text), formatOf(format), stampOptions)
  return { text: decoder.decode(result.bytes), label: result.label, carriers: result.carriers, messages: result.messages }
}

/** Verifies a string (plain text by default). */
export async function verifyText(text: string, options: VerifyOptions & { format?: TextFormatId } = {}): Promise<VerificationReport> {
  const { format, ...verifyOptions } = options
  return verifyWith(adapter, new TextEncoder().encode(text), formatOf(format), verifyOptions)
}
