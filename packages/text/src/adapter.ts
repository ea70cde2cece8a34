import {
  InvalidLabelError,
  UnsupportedFormatError,
  throwIfAborted,
  type Adapter,
  type Asset,
  type FormatInfo,
  type OpenOptions,
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
    capabilities: { stamp: true },

    async open(input: Uint8Array, format: FormatInfo, options: OpenOptions): Promise<Asset> {
      throwIfAborted(options.signal)
      if (format.id !== 'text' && format.id !== 'markdown' && format.id !== 'html') throw unsupported(format)
      const html = format.id === 'html' ? await loadHtml() : undefined
      // Decoding is most of the work on text: done once here, for read, digest and stamp alike.
      const text = html ? html.decodeHtml(input, options) : decodeUtf8(input, options.limits)
      // HTML: the tokenizer's scan of that text is the other half; made on first use, then shared.
      let scan: HtmlScan | undefined
      const scanned = (h: typeof import('./html.js')) => (scan ??= h.scanHtml(text))
      return {
        format,
        size: input.length,
        async read(read) {
          throwIfAborted(options.signal)
          const opts = { ...options, ...read }
          if (format.id === 'text') return extractPlain(text, opts)
          if (format.id === 'markdown') return (await loadMarkdown()).extractMarkdown(text, opts)
          return html!.extractHtml(text, opts, scanned(html!))
        },
        // The label's method decides the essence, not the detected format, so a Markdown file
        // saved as .txt still verifies.
        async digest(binding) {
          throwIfAborted(options.signal)
          if (binding.alg !== 'sha-256') throw new InvalidLabelError(`Expected binding alg "sha-256" but the label says ${JSON.stringify(binding.alg)}`)
          switch (binding.method) {
            case TEXT_BINDING:
              return digestText(text, input)
            case MARKDOWN_BINDING:
              return (await loadMarkdown()).digestMarkdown(text, input, options.limits)
            case HTML_BINDING:
              return (await loadHtml()).digestHtml(text, input, html ? scanned(html) : undefined)
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
        async stamp(ctx) {
          throwIfAborted(ctx.signal)
          if (format.id === 'text') return stampPlain(input, text, ctx)
          if (format.id === 'markdown') return (await loadMarkdown()).stampMarkdown(input, text, ctx)
          return html!.stampHtml(input, text, ctx, scanned(html!))
        },
      }
    },
  }
}

function unsupported(format: FormatInfo): UnsupportedFormatError {
  return new UnsupportedFormatError(`The text adapter does not handle format "${format.id}" (it handles ${TEXT_FORMATS.map((f) => f.id).join(', ')})`)
}
