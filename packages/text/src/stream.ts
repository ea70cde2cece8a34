/**
 * Streaming stamper: the visible notice first, every token passed through unchanged and at
 * once, and at the end the invisible signed label, bound to everything that was streamed.
 * The essence is hashed incrementally (core's createSha256: Node's native hash, else @noble/hashes,
 * since Web Crypto has no incremental digest), in batches cut where NFC normalisation cannot join
 * across the cut.
 */
import { AbortedError, InvalidOptionError, TooLargeError, createSha256, createStampContext, throwIfAborted, type IncrementalSha256, type Label, type StampContext, type StampOptions } from '@tanba/core'
import { labelWrapper, signText } from './carriers.js'
import { TEXT_BINDING, bomAt, isSafeStart, normalisePiece, trailingZoneStart } from './essence.js'

export { isSafeStart }
import { plainTextFormat } from './formats.js'
import { endBlock, noticeLine, noticePlacement, noticeRecord, startBlock } from './notice.js'

/** Pending text is normalised and hashed once it reaches this many UTF-16 units. */
const BATCH = 16 * 1024

/**
 * Incremental essence digest (docs/text.md, "Binding"): equal to the digest core's adapter
 * computes over the finished text, for any split of the text into chunks.
 */
export class EssenceHasher {
  #pending = ''
  #atStart = true
  #hash: IncrementalSha256
  #threshold = BATCH

  /** `native: false` forces the portable SHA-256 (what browsers and edge runtimes use). */
  constructor(options: { native?: boolean } = {}) {
    this.#hash = createSha256({ native: options.native ?? true })
  }

  update(text: string): void {
    this.#pending += text
    if (this.#pending.length >= this.#threshold) this.#drain(false)
  }

  /** Finishes and returns the base64url digest. */
  digest(): string {
    this.#drain(true)
    return this.#hash.digestBase64Url()
  }

  #drain(final: boolean): void {
    const p = this.#pending
    let cut = p.length
    if (final) {
      cut = trailingZoneStart(p)
    } else {
      // What may still turn out to be the trailing zone (line breaks, U+FEFF, selectors) waits.
      let zone = p.length
      while (zone > 0 && isZoneUnit(p.charCodeAt(zone - 1))) zone--
      cut = 0
      for (let i = Math.min(zone, p.length - 1); i > 0; i--) {
        const before = p.charCodeAt(i - 1)
        if (isSafeStart(p, i) && before !== 0xfeff && before !== 0x0d) {
          cut = i
          break
        }
      }
      if (cut === 0) {
        // No safe place yet (a long run of marks): look again only after twice as much text.
        this.#threshold = p.length * 2
        return
      }
      this.#threshold = BATCH
    }
    let segment = p.slice(0, cut)
    this.#pending = final ? '' : p.slice(cut)
    if (this.#atStart && segment.length) {
      if (bomAt(segment)) segment = segment.slice(1)
      this.#atStart = false
    }
    if (segment.length) this.#hash.update(normalisePiece(segment, true))
  }
}

/** Line breaks, U+FEFF and selector code units: what a trailing zone is made of. */
function isZoneUnit(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0xfeff || (c >= 0xfe00 && c <= 0xfe0f) || c === 0xdb40 || (c >= 0xdd00 && c <= 0xddef)
}

/** The label fields known before the stream ends (all but binding, notice and signature). */
export type LabelDraft = StampContext['draft']

export interface StreamStamper {
  /** The label as far as it is known at the start: enough for an `AI-Disclosure` header. */
  readonly draft: LabelDraft
  /** What to emit before the first token: the start notice, or "". */
  readonly head: string
  /** Records a token; returns it unchanged, to emit at once. */
  push(token: string): string
  /** What to emit after the last token (the end notice, if any, and the invisible label), and the label. */
  finish(): Promise<{ tail: string; label: Label }>
}

/**
 * The engine behind the stream wrappers, for code that moves tokens itself (an SSE handler,
 * a WebSocket loop): emit `head`, then each `push(token)`, then `tail` from `finish()`.
 */
export function createStreamStamper(options: StampOptions): StreamStamper {
  const ctx: StampContext = createStampContext(plainTextFormat, options)
  const hasher = new EssenceHasher()
  const placement = ctx.notice && ctx.notice.lines.length ? noticePlacement(ctx.notice) : null
  const line = ctx.notice && placement ? noticeLine(ctx.notice) : ''
  const head = placement?.start ? startBlock(line) : ''
  let last = head
  let length = head.length
  let finished = false
  hasher.update(head)
  return {
    draft: ctx.draft,
    head,
    push(token: string): string {
      if (typeof token !== 'string') {
        throw new InvalidOptionError(`Expected text tokens (strings) but received ${token === null ? 'null' : typeof token}; decode bytes first (e.g. with TextDecoderStream)`)
      }
      if (finished) throw new InvalidOptionError('The stream stamper has already finished')
      throwIfAborted(ctx.signal)
      length += token.length
      if (length > ctx.limits.maxInputBytes) {
        throw new TooLargeError(`The streamed text exceeds ${ctx.limits.maxInputBytes} characters (limits.maxInputBytes)`)
      }
      if (token.length) {
        last = token
        hasher.update(token)
      }
      return token
    },
    async finish() {
      if (finished) throw new InvalidOptionError('The stream stamper has already finished')
      finished = true
      throwIfAborted(ctx.signal)
      const end = placement?.end ? endBlock(line, last) : ''
      hasher.update(end)
      const record = ctx.notice && placement ? noticeRecord(ctx.notice, ctx.origin, placement) : undefined
      const { compact } = await signText(ctx, TEXT_BINDING, hasher.digest(), record)
      return { tail: end + labelWrapper(compact), label: compact }
    },
  }
}

/**
 * A TransformStream of text tokens that labels what passes through it:
 * `response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new TextStampStream(options))`.
 * `label` settles when the stream has finished.
 */
export class TextStampStream extends TransformStream<string, string> {
  readonly label: Promise<Label>
  /** The label fields known before the stream ends, e.g. for `aiDisclosureHeader(stream.draft)`. */
  readonly draft: LabelDraft

  constructor(options: StampOptions) {
    const stamper = createStreamStamper(options)
    let settle!: { resolve: (label: Label) => void; reject: (error: unknown) => void }
    const label = new Promise<Label>((resolve, reject) => {
      settle = { resolve, reject }
    })
    label.catch(() => {}) // observed through `label`; never an unhandled rejection
    const fail = (error: unknown) => {
      settle.reject(error)
      return error
    }
    const signal = options.signal
    let abort = () => {}
    super({
      start(controller) {
        // An abort errors both sides at once, even while nobody is writing or reading.
        abort = () => controller.error(fail(new AbortedError(undefined, { cause: signal?.reason })))
        if (signal?.aborted) return abort()
        signal?.addEventListener('abort', abort, { once: true })
        if (stamper.head) controller.enqueue(stamper.head)
      },
      transform(chunk, controller) {
        try {
          const out = stamper.push(chunk)
          if (out) controller.enqueue(out)
        } catch (error) {
          throw fail(error)
        }
      },
      async flush(controller) {
        signal?.removeEventListener('abort', abort)
        try {
          const { tail, label } = await stamper.finish()
          controller.enqueue(tail)
          settle.resolve(label)
        } catch (error) {
          throw fail(error)
        }
      },
    })
    this.label = label
    this.draft = stamper.draft
  }
}

/** Same as `new TextStampStream(options)`. */
export function createStampStream(options: StampOptions): TextStampStream {
  return new TextStampStream(options)
}
