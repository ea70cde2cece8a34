// The hardening case runner: a child process (started by helpers.ts) that builds one hostile input
// at a time, runs it through Tanba's umbrella operations, and reports the outcome and its time.
// Every adapter method is wrapped so an error that is not a TanbaError is seen even where the
// pipeline would turn it into a report message.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { createPemSigner, generateSigningCredentials, isTanbaError, TrustStore, type Adapter, type AdapterEntry, type Asset, type Signer } from '@tanba/core'
import { imageEntry } from '@tanba/image'
import { ADAPTERS, close, createRegistry, inspect, sortForSniffing, stamp, verify } from 'tanba/node'
import type { CaseResult, CaseSpec } from './helpers.js'
import { applyMutation } from './mutate.js'

const untyped: string[] = []

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : String(error).slice(0, 300)
}

function watch<A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args)
    } catch (error) {
      if (!isTanbaError(error)) untyped.push(`${name} threw ${describeError(error)}`)
      throw error
    }
  }
}

function watched(entry: AdapterEntry): AdapterEntry {
  return {
    name: entry.name,
    kind: entry.kind,
    formats: entry.formats,
    load: async () => {
      const a: Adapter = await entry.load()
      const open = watch(`${a.name}.open`, a.open.bind(a))
      return {
        name: a.name,
        kind: a.kind,
        formats: a.formats,
        capabilities: a.capabilities,
        open: async (...args: Parameters<Adapter['open']>): Promise<Asset> => {
          const asset = await open(...args)
          return {
            format: asset.format,
            size: asset.size,
            read: watch(`${a.name}.read`, asset.read.bind(asset)),
            digest: watch(`${a.name}.digest`, asset.digest.bind(asset)),
            ...(asset.stamp ? { stamp: watch(`${a.name}.stamp`, asset.stamp.bind(asset)) } : {}),
          }
        },
      }
    },
  }
}

const entries = ADAPTERS.some((a) => a.kind === 'image') ? [...ADAPTERS] : [...ADAPTERS, imageEntry]
const registry = createRegistry({ adapters: sortForSniffing(entries.map(watched)) })

let credentials: Promise<{ signer: Signer; trust: TrustStore }> | undefined
function creds() {
  credentials ??= generateSigningCredentials({ commonName: 'Tanba hardening' }).then(async (c) => ({
    signer: await createPemSigner({ privateKey: c.privateKeyPem, certificateChain: c.chainPem }),
    trust: await TrustStore.from({ pem: c.caCertificatePem }),
  }))
  return credentials
}

const files = new Map<string, Uint8Array>()
function source(spec: CaseSpec): Uint8Array {
  if (spec.bytes) return spec.bytes
  let bytes = files.get(spec.file!)
  if (!bytes) {
    bytes = new Uint8Array(readFileSync(spec.file!))
    files.set(spec.file!, bytes)
  }
  return bytes
}

const system = { name: 'Hardening Generator', model: 'h-1' }
const owner = { name: 'Tanba Hardening LLP', id: '123456789012', country: 'KZ' }

/** Runs one case; returns its outcome string. */
async function once(spec: CaseSpec, input: Uint8Array): Promise<string> {
  const { signer, trust } = await creds()
  const base = { registry, filename: spec.filename, ...(spec.limits ? { limits: spec.limits } : {}) }
  try {
    switch (spec.op) {
      case 'verify':
      case 'verify-no-c2pa': {
        const r = await verify(input, { ...base, trust, c2pa: spec.op === 'verify' })
        return `report:${r.status}${r.error ? `:${r.error.code}` : ''}`
      }
      case 'inspect': {
        const r = await inspect(input, { ...base, c2pa: true })
        return `inspected:${r.markers.length}`
      }
      case 'stamp-metadata':
      case 'stamp-visible': {
        const r = await stamp(input, { ...base, signer, system, owner, c2pa: false, ...(spec.op === 'stamp-metadata' ? { notice: { visible: false } } : {}) })
        if (r.alreadyLabelled) return 'already-labelled'
        // An input the adapter accepted must give an output that verifies.
        const v = await verify(r.bytes, { ...base, trust, c2pa: false })
        return `stamped:${v.status}${v.error ? `:${v.error.code}` : ''}`
      }
    }
  } catch (error) {
    if (isTanbaError(error)) return `error:${error.code}`
    return `untyped:${describeError(error)}`
  }
}

async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const input = applyMutation(source(spec), spec.mutation)
  untyped.length = 0
  // CPU time of this process, not wall time: a busy machine stretches the second, not the first.
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let outcome = await once(spec, input)
  const ms = performance.now() - t0
  const used = process.cpuUsage(cpu0)
  const cpuMs = (used.user + used.system) / 1000
  if (untyped.length) outcome = `untyped:${untyped[0]}`
  return { outcome, ms, cpuMs, rssMb: process.memoryUsage.rss() / 1024 ** 2 }
}

process.on('message', (message: { seq: number; spec?: CaseSpec; close?: boolean }) => {
  if (message.close) {
    void close().finally(async () => {
      const { closeImageAdapter } = await import('@tanba/image')
      await closeImageAdapter().catch(() => {})
      process.disconnect?.()
      process.exit(0)
    })
    return
  }
  void runCase(message.spec!).then(
    (result) => process.send!({ seq: message.seq, result }),
    (error) => process.send!({ seq: message.seq, result: { outcome: `untyped:runner: ${describeError(error)}`, ms: 0, cpuMs: 0, rssMb: 0 } }),
  )
})
process.on('disconnect', () => process.exit(0))
