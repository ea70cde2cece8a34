/** inert[c] = 1 when code point c is NFC-inert in this runtime's Unicode data. */
export function inertCodePoints(): Uint8Array
