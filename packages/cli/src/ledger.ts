// --ledger takes a JSON-lines file or a Redis URL (the ledger many queue workers share).
import { resolve } from 'node:path'
import { createFileLedger, DependencyError, type LabelLedger } from 'tanba/node'

type QueueModule = typeof import('@tanba/queue')

/** @tanba/queue (and BullMQ with it) is an optional peer: only the commands that need it load it. */
export async function loadQueue(): Promise<QueueModule> {
  try {
    return await import('@tanba/queue')
  } catch (cause) {
    throw new DependencyError('TANBA_DEPENDENCY_MISSING', 'tanba queue, tanba worker and a Redis --ledger need the @tanba/queue package: npm install @tanba/queue', { cause })
  }
}

/** A ledger for `--ledger <file|redis://…>`; close it when done. */
export async function openLedger(spec: string, cwd: string): Promise<LabelLedger> {
  if (/^rediss?:\/\//.test(spec)) return (await loadQueue()).createRedisLedger({ redis: spec })
  return createFileLedger(resolve(cwd, spec))
}
