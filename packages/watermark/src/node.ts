// @tanba/watermark/node: everything in the main entry, plus the file-based label ledger.
export * from './index.js'
export { createFileLedger, MAX_LEDGER_BYTES, type FileLedger } from './ledger.js'
