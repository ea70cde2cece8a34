// How Tanba recognises the streams and form it added to a page. Reading a notice needs only this,
// not the drawing code in stamp.ts (which loads fontkit), so verification stays light.
import { PDFName, PDFRawStream, type PDFObject } from 'pdf-lib'
import type { PdfFile } from '../syntax/file.js'

/** Marker key Tanba puts in the dictionaries of the streams and form it adds. */
export const NOTICE_KEY = 'TanbaNotice'

/** True when `obj` is a stream or form Tanba added (it carries the marker key). */
export function isTanbaObject(file: PdfFile, obj: PDFObject | undefined): boolean {
  try {
    const v = file.resolve(obj)
    return v instanceof PDFRawStream && v.dict.get(PDFName.of(NOTICE_KEY)) !== undefined
  } catch {
    return false
  }
}
