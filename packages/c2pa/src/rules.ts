// The closed set of C2PA rule ids Tanba itself reports (validation codes from the C2PA reader
// come on top, as `c2pa.<code>`, e.g. `c2pa.assertion.dataHash.mismatch`). None is fatal: a C2PA
// problem never invalidates the Tanba label, the report's C2PA marker says whether the manifest holds.

export const C2PA_RULES = {
  'c2pa.unavailable': 'C2PA could not be read or written: @tanba/c2pa or its native addon is not available.',
  'c2pa.unsupported-format': 'The format cannot carry a C2PA manifest (or, for TIFF, not without breaking the file for other readers).',
  'c2pa.signer-unsuitable': 'The signer cannot sign a clean C2PA manifest: no X.509 chain, an unsupported algorithm, or a certificate without an organisation (O=).',
  'c2pa.failed': 'Signing or reading the C2PA manifest failed (the addon crashed, timed out or refused the file).',
  'c2pa.unreadable': 'A C2PA manifest store is present but the reader cannot parse it (unknown algorithm, pre-release manifest, damaged store).',
  'c2pa.remote-manifest': 'The file points to a remote C2PA manifest (XMP dcterms:provenance or a remote reference) that was not fetched.',
  'c2pa.parent-kept': "The input's C2PA manifest was kept as the parent ingredient of Tanba's.",
  'c2pa.parent-invalid': "The input's C2PA manifest is invalid; kept as the parent ingredient, it makes validators report the new history as invalid.",
  'c2pa.parent-unreadable': "The input's C2PA manifest cannot be read, so it cannot be kept as a parent ingredient.",
  'c2pa.parent-dropped': "The input's broken C2PA manifest was dropped on request; the new manifest records why.",
  'c2pa.stale': "C2PA was off: the input's manifest was left in the file but no longer matches the changed content.",
} as const

export type C2paRule = keyof typeof C2PA_RULES
