// A label ledger: the signed labels a publisher stamped, found again by their watermark payload when
// every metadata carrier is gone. @tanba/watermark/node has a JSON-lines file; a database store
// implements the same three methods.
import type { Label } from './label.js'

export interface LabelLedger {
  /** A name for reports (a file path, a database URL without credentials). */
  readonly name: string
  /** Records a signed label. Appending the same label twice is harmless. */
  append(label: Label): Promise<void>
  /** The labels whose `watermark.payload` equals `payload` (16 lowercase hex digits). */
  findByWatermark(payload: string): Promise<Label[]>
  close?(): Promise<void>
}
