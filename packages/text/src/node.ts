// @tanba/text/node: Node.js stream wrapper around the streaming stamper.
import { Transform } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import type { Label, StampOptions } from '@tanba/core'
import { createStreamStamper } from './stream.js'

export interface NodeStampTransform extends Transform {
  /** Settles when the stream has finished: the label appended at its end. */
  readonly label: Promise<Label>
}

/**
 * A Node.js Transform that labels text flowing through it: the notice first, chunks passed on
 * as they come, the invisible signed label at the end. Accepts strings and Buffers (UTF-8; a
 * character split across Buffers is handled, invalid bytes become U+FFFD as in any UTF-8
 * decoder, and the label is bound to that text). Emits UTF-8 Buffers.
 */
export function createNodeStampStream(options: StampOptions): NodeStampTransform {
  const stamper = createStreamStamper(options)
  const decoder = new StringDecoder('utf8')
  let started = false
  let settle!: { resolve: (label: Label) => void; reject: (error: unknown) => void }
  const label = new Promise<Label>((resolve, reject) => {
    settle = { resolve, reject }
  })
  label.catch(() => {})
  const start = (t: Transform) => {
    if (started) return
    started = true
    if (stamper.head) t.push(stamper.head, 'utf8')
  }
  const transform = new Transform({
    decodeStrings: false,
    transform(chunk: string | Buffer, _encoding, callback) {
      try {
        start(this)
        const text = typeof chunk === 'string' ? decoder.write(Buffer.from(chunk, 'utf8')) : decoder.write(chunk)
        const out = stamper.push(text)
        if (out) this.push(out, 'utf8')
        callback()
      } catch (error) {
        settle.reject(error)
        callback(error as Error)
      }
    },
    flush(callback) {
      try {
        start(this)
        const rest = decoder.end()
        if (rest) this.push(stamper.push(rest), 'utf8')
      } catch (error) {
        settle.reject(error)
        callback(error as Error)
        return
      }
      stamper.finish().then(
        ({ tail, label: done }) => {
          this.push(tail, 'utf8')
          settle.resolve(done)
          callback()
        },
        (error: unknown) => {
          settle.reject(error)
          callback(error as Error)
        },
      )
    },
  })
  return Object.defineProperty(transform, 'label', { value: label, enumerable: true }) as NodeStampTransform
}
