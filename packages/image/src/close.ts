// Ends the helper processes the adapter may have started (ExifTool, the C2PA worker, the pixel decoder). Optional:
// both also end when Node exits; long-running hosts and test suites call this for a clean shutdown.
export async function closeImageAdapter(): Promise<void> {
  const [{ closeExiftool }, { closeC2pa }, { closePixelDecoder }] = await Promise.all([import('./exiftool.js'), import('./c2pa.js'), import('./pixels.js')])
  await Promise.all([closeExiftool(), closeC2pa(), closePixelDecoder()])
}
