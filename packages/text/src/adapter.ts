import {
  InvalidLabelError,
  UnsupportedFormatError,
  throwIfAborted,
  type Adapter,
  type ExtractOptions,
  type Extraction,
  type FormatInfo,
  type LabelBinding,
  type StampContext,
  type StampResult,
} from '@tanba/core'
import { HTML_BINDING, HTML_BINDING_V1, MARKDOWN_BINDING, MARKDOWN_BINDING_V1, TEXT_BINDING, TEXT_BINDING_V1, digestText, digestTextV1 } from './essence.js'
import { TEXT_FORMATS } from './formats.js'
import type { HtmlScan } from './html.js'
import { extractPlain, stampPlain } from './plain.js'
import { decodeUtf8 } from './utf8.js'
import { findSelectorRuns } from './wrapper.js'

export const TEXT_ADAPTER_NAME = 'text'

// HTML needs an HTML tokenizer and Markdown a YAML library; each loads only when its input arrives,
// so plain text and streams stay light in a browser bundle.
const loadHtml = () => import('./html.js')
const loadMarkdown = () => import('./markdown.js')

/** The text adapter: plain text, Markdown and HTML (UTF-8). */
export function createTextAdapter(): Adapter {
  return {
    name: TEXT_ADAPTER_NAME,
    kind: 'text',
    formats: TEXT_FORMATS,

    async stamp(input: Uint8Array, ctx: StampContext): Promise<StampResult> {
      throwIfAborted(ctx.signal)
      // The SDK looks for an existing label first (extract); its decoded text is reused here.
      const given = takeOver(input)
      const text = given !== undefined && input.length <= ctx.limits.maxInputBytes ? given : undefined
      switch (ctx.format.id) {
        case 'text':
          return stampPlain(input, text ?? decodeUtf8(input, ctx.limits), ctx)
        case 'markdown':
          return (await loadMarkdown()).stampMarkdown(input, text ?? decodeUtf8(input, ctx.limits), ctx)
        case 'html': {
          const html = await loadHtml()
          const scan = text !== undefined ? scans.get(input) : undefined
          scans.delete(input)
          return scan ? html.stampHtml(input, text!, ctx, scan) : html.stampHtml(input, text ?? html.decodeHtml(input, ctx), ctx)
        }
        default:
          throw unsupported(ctx.format)
      }
    },

    async extract(input: Uint8Array, format: FormatInfo, options: ExtractOptions): Promise<Extraction> {
      throwIfAborted(options.signal)
      switch (format.id) {
        case 'text':
          return extractPlain(handOver(input, decodeUtf8(input, options.limits)), options)
        case 'markdown': {
          const text = handOver(input, decodeUtf8(input, options.limits))
          return (await loadMarkdown()).extractMarkdown(text, options)
        }
        case 'html': {
          const html = await loadHtml()
          const text = handOver(input, html.decodeHtml(input, options))
          const scan = html.scanHtml(text)
          scans.set(input, scan)
          return html.extractHtml(text, options, scan)
        }
        default:
          throw unsupported(format)
      }
    },

    // The label's method decides the essence, not the detected format, so a Markdown file
    // saved as .txt still verifies.
    async digest(input: Uint8Array, _format: FormatInfo, binding: LabelBinding, options: ExtractOptions): Promise<string> {
      throwIfAborted(options.signal)
      if (binding.alg !== 'sha-256') throw new InvalidLabelError(`Expected binding alg "sha-256" but the label says ${JSON.stringify(binding.alg)}`)
      const text = takeOver(input) ?? decodeUtf8(input, options.limits)
      switch (binding.method) {
        case TEXT_BINDING:
          return digestText(text, input)
        case MARKDOWN_BINDING:
          return (await loadMarkdown()).digestMarkdown(text, input, options.limits)
        case HTML_BINDING: {
          const scan = scans.get(input)
          scans.delete(input)
          return (await loadHtml()).digestHtml(text, input, scan)
        }
        case TEXT_BINDING_V1:
          return digestTextV1(text, input, findSelectorRuns(text, options.limits))
        case MARKDOWN_BINDING_V1:
          return (await loadMarkdown()).digestMarkdownV1(text, input, options.limits)
        case HTML_BINDING_V1:
          return (await loadHtml()).digestHtmlV1(text)
        default:
          throw new InvalidLabelError(`The text adapter does not know the binding method ${JSON.stringify(binding.method)} (expected ${TEXT_BINDING}, ${MARKDOWN_BINDING} or ${HTML_BINDING}, or their version 1)`)
      }
    },
  }
}

// verifyWith calls extract() and then digest() on the same bytes. extract() hands its decoded
// text over once, so a verification decodes its input once (decoding is most of the work).
// The hand-over is consumed by the next digest() of that very Uint8Array; a caller that calls
// digest() directly must not change the bytes in place after extract().
const decoded = new WeakMap<Uint8Array, string>()
// HTML: the tokenizer's scan of that text, handed over the same way (tokenizing is the other half).
const scans = new WeakMap<Uint8Array, HtmlScan>()

function handOver(input: Uint8Array, text: string): string {
  decoded.set(input, text)
  return text
}

function takeOver(input: Uint8Array): string | undefined {
  const text = decoded.get(input)
  decoded.delete(input)
  if (text === undefined) scans.delete(input)
  return text
}

function unsupported(format: FormatInfo): UnsupportedFormatError {
  return new UnsupportedFormatError(`The text adapter does not handle format "${format.id}" (it handles ${TEXT_FORMATS.map((f) => f.id).join(', ')})`)
}
