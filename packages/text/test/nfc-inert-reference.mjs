// The reference derivation of NFC-inert code points from the runtime's own normaliser (slow: about
// 0.2 s over all of Unicode). scripts/gen-nfc-inert.mjs writes the table from it, and the tests
// check the table against it.

/** True when `c` (with NFD(c) = c) has canonical combining class 0: no mark of class 1 or 240 reorders around it. */
function starter(c) {
  const s = String.fromCodePoint(c)
  return (s + '\u0334').normalize('NFD') === s + '\u0334' && ('\u0345' + s).normalize('NFD') === '\u0345' + s
}

/** inert[c] = 1 when code point c is NFC-inert in this runtime's Unicode data. */
export function inertCodePoints() {
  const N = 0x110000
  const notInert = new Uint8Array(N)
  const unassigned = /^[\p{Cn}\p{Cs}]$/u
  for (let c = 0; c < N; c++) {
    if (c >= 0xd800 && c <= 0xdfff) {
      notInert[c] = 1
      continue
    }
    const s = String.fromCodePoint(c)
    if (unassigned.test(s) || s.normalize('NFC') !== s) {
      notInert[c] = 1
      continue
    }
    const d = [...s.normalize('NFD')].map((x) => x.codePointAt(0))
    // Every later part of a decomposition may combine with what precedes it (NFC quick check Maybe).
    for (let i = 1; i < d.length; i++) notInert[d[i]] = 1
    if (!starter(d[0])) notInert[c] = 1
  }
  const inert = new Uint8Array(N)
  for (let c = 0; c < N; c++) inert[c] = notInert[c] ? 0 : 1
  return inert
}
