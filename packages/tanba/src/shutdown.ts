import { closeImageAdapter } from '@tanba/image'

/**
 * Ends the helper processes Tanba's adapters may have started (the C2PA worker process, the
 * ExifTool process), so a command-line program can exit. Safe to call more than once and when
 * nothing was started; it never throws.
 */
export async function close(): Promise<void> {
  await Promise.allSettled([
    closeImageAdapter(),
    import('@tanba/c2pa').then((c2pa) => c2pa.close()),
  ])
}
