// One ExifTool for a pool of worker threads. The thread that owns it runs a host; the others send it
// their writes through a MessagePort (paths of files in their private temporary folders, so no bytes
// cross), and so N threads start one Perl process (about 46 MB) instead of N.
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { DependencyError } from '@tanba/core'
import type { ExifTool } from 'exiftool-vendored'

interface WriteRequest {
  id: number
  file: string
  xmp?: string
  /** A file to copy every writable tag from first. */
  tagsFrom?: string
}

type WriteReply = { id: number; error?: { message: string; missing: boolean } }

export interface ExiftoolHost {
  /** A port for one thread: pass it to the thread (workerData plus transferList) and call `useExiftoolHost(port)` there. */
  connect(): MessagePort
  /** Stops serving a port given out by connect (its thread has gone). */
  disconnect(port: MessagePort): void
  /** Ends the host's ExifTool process (it starts again on the next write) and every connection. */
  close(): Promise<void>
}

/** Serves XMP writes from other threads with one ExifTool process, started on the first write. */
export function createExiftoolHost(): ExiftoolHost {
  let instance: Promise<ExifTool> | undefined
  const served = new Map<MessagePort, MessagePort>() // the port handed out → the host's end
  const exiftool = () =>
    (instance ??= import('./exiftool.js')
      .then((m) => m.startExiftool())
      .catch((error: unknown) => {
        instance = undefined
        throw error
      }))
  const answer = async (port: MessagePort, request: WriteRequest): Promise<void> => {
    let reply: WriteReply
    try {
      const [et, { writeXmpFile }] = await Promise.all([exiftool(), import('./exiftool.js')])
      await writeXmpFile(et, request.file, request.xmp, request.tagsFrom)
      reply = { id: request.id }
    } catch (error) {
      const missing = error instanceof DependencyError && error.code === 'TANBA_DEPENDENCY_MISSING'
      reply = { id: request.id, error: { message: error instanceof Error ? error.message : String(error), missing } }
    }
    port.postMessage(reply)
  }
  return {
    connect() {
      const { port1, port2 } = new MessageChannel()
      served.set(port2, port1)
      port1.on('message', (request: WriteRequest) => void answer(port1, request))
      // An idle host never keeps its process alive.
      port1.unref()
      return port2
    },
    disconnect(port) {
      served.get(port)?.close()
      served.delete(port)
    },
    async close() {
      for (const own of served.values()) own.close()
      served.clear()
      const pending = instance
      instance = undefined
      if (pending) await (await pending.catch(() => undefined))?.end()
    },
  }
}

let host: { port: MessagePort; pending: Map<number, { resolve: () => void; reject: (error: Error) => void }>; nextId: number } | undefined

/** Sends this thread's ExifTool writes to a host in another thread (see createExiftoolHost). */
export function useExiftoolHost(port: MessagePort): void {
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()
  host = { port, pending, nextId: 1 }
  port.on('message', (reply: WriteReply) => {
    const waiting = pending.get(reply.id)
    if (!waiting) return
    pending.delete(reply.id)
    if (!pending.size) port.unref()
    if (!reply.error) waiting.resolve()
    else if (reply.error.missing) waiting.reject(new DependencyError('TANBA_DEPENDENCY_MISSING', reply.error.message))
    else waiting.reject(new Error(reply.error.message))
  })
  port.unref()
}

/** @internal The host's writer when this thread is connected to one. */
export function hostWriter(): ((file: string, xmp: string | undefined, tagsFrom?: string) => Promise<void>) | undefined {
  const h = host
  if (!h) return undefined
  return (file, xmp, tagsFrom) =>
    new Promise<void>((resolve, reject) => {
      const id = h.nextId++
      h.pending.set(id, { resolve, reject })
      h.port.ref()
      h.port.postMessage({ id, file, ...(xmp ? { xmp } : {}), ...(tagsFrom ? { tagsFrom } : {}) } satisfies WriteRequest)
    })
}
