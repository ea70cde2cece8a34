/**
 * Ends the helper processes Tanba's adapters may have started (the C2PA worker process), so a
 * command-line program can exit. Safe to call more than once and when nothing was started.
 */
export async function close(): Promise<void> {
  try {
    const c2pa = (await import('@tanba/c2pa')) as { close?: () => unknown }
    await c2pa.close?.()
  } catch {
    // Nothing to close (the C2PA helper was never loaded or is not installed).
  }
}
