// @tanba/queue: Tanba's stamp and verify jobs on a BullMQ queue in Redis, run by stateless workers.
export { enqueueFiles, type EnqueueOptions, type EnqueueEvent, type EnqueueSummary } from './enqueue.js'
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions, type QueueWorkerEvent } from './worker.js'
export { queueStatus, waitForDrain, retryFailed, cleanQueue, type QueueStatus, type QueueFailure, type StatusOptions, type WaitOptions, type CleanOptions } from './status.js'
export { openQueue, closeQueue, connect, redactUrl, type QueueConnectionOptions, type TanbaQueue } from './connection.js'
export {
  jobId,
  hashFile,
  DEFAULT_QUEUE,
  DEFAULT_ATTEMPTS,
  DEFAULT_MAX_STALLED,
  KEEP_COMPLETED,
  KEEP_FAILED,
  type QueueJobData,
  type StampJobData,
  type VerifyJobData,
  type QueueJobResult,
  type StampJobResult,
  type VerifyJobResult,
} from './jobs.js'
export { createRedisLedger, DEFAULT_LEDGER_PREFIX, MAX_LEDGER_LABELS_PER_PAYLOAD, type RedisLedger, type RedisLedgerOptions } from './ledger.js'
