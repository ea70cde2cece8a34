// The rules core reports, and those every adapter shares (notices, XMP, TC260, C2PA availability).
// The C2PA set lives here, not in @tanba/c2pa, because adapters report `c2pa.unavailable` exactly
// when that package cannot be loaded; @tanba/c2pa re-exports it.
import type { C2paPolicy } from './adapter.js'
import { DependencyError } from './errors.js'
import type { ReportMessage } from './report.js'
import { defineRules } from './rules.js'

export const CORE_RULES = defineRules('@tanba/core', {
  'input.unreadable': { fatal: true, where: 'verify', meaning: 'The file could not be read (status `error`, with `error.code`).' },
  'label.undecodable': { fatal: true, where: 'verify', meaning: 'A copy of the label does not decode or does not follow the schema.' },
  'label.carriers-disagree': { fatal: true, where: 'verify', meaning: 'Two copies of the label in the same file differ.' },
  'signature.invalid': { fatal: true, where: 'verify', meaning: 'The label signature does not verify.' },
  'signature.untrusted': {
    fatal: 'requireTrusted',
    where: 'verify',
    meaning: 'The signature verifies but the key reaches no trust anchor, or its certificate path breaks a rule (named in `signature.trustRule`).',
  },
  'binding.mismatch': { fatal: true, where: 'verify', meaning: 'The content changed after labelling: its digest no longer matches the label.' },
  'binding.uncomputable': { fatal: true, where: 'verify', meaning: 'The content digest could not be computed.' },
  'binding.hidden-content': { fatal: true, where: 'verify', meaning: 'The file holds content a renderer shows that the binding does not cover (e.g. a second image stream).' },
  'binding.legacy': { fatal: false, where: 'verify', meaning: 'The label uses an older binding method that covers less of the file; it still verifies.' },
  'carriers.disagree': { fatal: false, where: 'verify', meaning: 'A derived carrier (TC260, IPTC, ai-disclosure) does not match the label.' },
  'tc260.unreadable': { fatal: false, where: 'verify', meaning: 'A TC260 `AIGC` value is present but is not a TC260 JSON object.' },
  'xmp.unreadable': { fatal: false, where: 'verify', meaning: 'An XMP packet is present but could not be parsed.' },
  'xmp.duplicate': { fatal: false, where: 'verify', meaning: 'The file holds more than one XMP packet; they agree on the label.' },
  'xmp.conflict': { fatal: true, where: 'verify', meaning: 'The file holds more than one XMP packet and they carry different labels (a forged second packet).' },
  'notice.missing': { fatal: true, where: 'verify', meaning: 'The label records a visible notice that the content no longer shows.' },
  'notice.not-detected': {
    fatal: false,
    where: 'verify',
    meaning: 'The label records a notice that the detector did not find (the binding, not the detector, says whether the content changed).',
  },
  'notice.incomplete': { fatal: false, where: 'verify', meaning: 'The notice is shown on some pages only.' },
  'notice.unchecked': { fatal: false, where: 'verify', meaning: 'The notice cannot be checked in this format (no decoder for it here).' },
  'notice.undecodable': { fatal: false, where: 'verify', meaning: 'The content could not be decoded to look for the notice.' },
  'notice.kept': { fatal: false, where: 'stamp', meaning: 'The input already shows a Tanba notice that covers these languages; it was not drawn again.' },
  'notice.below-minimum': { fatal: false, where: 'both', meaning: "The notice is smaller than the profile's minimum text height." },
  'watermark.only': { fatal: false, where: 'verify', meaning: 'Only the invisible watermark was found: no label or other metadata marker is left.' },
  'watermark.mismatch': { fatal: false, where: 'verify', meaning: 'The watermark payload is not the one the label records.' },
  'watermark.not-found': { fatal: false, where: 'verify', meaning: 'The label records a watermark that the detector did not find.' },
  'watermark.unreadable': { fatal: false, where: 'verify', meaning: 'The pixels could not be decoded to look for a watermark.' },
  'watermark.reencoded': { fatal: false, where: 'stamp', meaning: 'The image was re-encoded to embed the watermark (no visible notice was drawn).' },
  'stamp.already-labelled': { fatal: false, where: 'stamp', meaning: 'The input already carried a Tanba label; it was replaced (a restamp).' },
  'text.empty': { fatal: false, where: 'stamp', meaning: 'The text is empty: the output holds only the notice and the label.' },
})

export const C2PA_RULES = defineRules(
  '@tanba/c2pa',
  {
    'c2pa.unavailable': { fatal: false, where: 'both', meaning: '@tanba/c2pa or its native addon is not available, so C2PA was not read or written.' },
    'c2pa.unsupported-format': {
      fatal: false,
      where: 'stamp',
      meaning: 'The format cannot carry a C2PA manifest here (Ogg; PDF with this engine; TIFF unless `adapterOptions.image.tiffC2pa`).',
    },
    'c2pa.signer-unsuitable': {
      fatal: false,
      where: 'stamp',
      meaning: 'The signer cannot sign a clean manifest: no X.509 chain, an unsupported algorithm, a certificate not valid now, or one without an organisation (`O=`).',
    },
    'c2pa.failed': { fatal: false, where: 'both', meaning: 'The C2PA engine failed, crashed or timed out, or embedding the manifest changed the coded samples (the file is then returned without it).' },
    'c2pa.parent-unreadable': { fatal: false, where: 'stamp', meaning: "The input's manifest cannot be read (unknown algorithm, pre-release, remote reference), so it cannot become the parent." },
    'c2pa.parent-kept': { fatal: false, where: 'stamp', meaning: "The input's manifest became the parent ingredient." },
    'c2pa.parent-invalid': { fatal: false, where: 'stamp', meaning: "The input's manifest is invalid; kept as parent, it makes validators judge the new history invalid." },
    'c2pa.parent-dropped': { fatal: false, where: 'stamp', meaning: "The input's broken manifest was dropped on request; the new manifest's action records why." },
    'c2pa.stale': { fatal: false, where: 'stamp', meaning: "C2PA was off (or not writable): the input's manifest stays but no longer matches the changed file." },
    'c2pa.unreadable': { fatal: false, where: 'verify', meaning: 'A C2PA manifest store is present but cannot be parsed.' },
    'c2pa.remote-manifest': { fatal: false, where: 'verify', meaning: 'The file refers to a remote manifest (XMP `dcterms:provenance` or a remote reference); it was not fetched.' },
    'c2pa.not-validated': { fatal: false, where: 'verify', meaning: 'A C2PA text manifest store is present; this engine cannot validate it.' },
    'c2pa.wrapper-corrupt': { fatal: false, where: 'verify', meaning: 'A C2PA text wrapper (U+FEFF and selectors) is damaged.' },
    'c2pa.binding-broken': { fatal: false, where: 'verify', meaning: "The text changed after the C2PA manifest was made: its hard binding no longer matches." },
  },
  {
    'c2pa.<validation code>': {
      fatal: false,
      where: 'verify',
      meaning: 'One per code the C2PA validator reported, e.g. `c2pa.signingCredential.untrusted`, `c2pa.assertion.dataHash.mismatch`.',
    },
  },
)

/** A message for a code the C2PA validator reported (`c2pa.<code>`): never fatal to the Tanba label. */
export function c2paValidationMessage(code: string, reason: string, carrier?: string) {
  return { rule: `c2pa.${code}`, source: C2PA_RULES.source, ...(carrier !== undefined ? { carrier } : {}), fatal: false, reason }
}

export type CoreRule = keyof typeof CORE_RULES.rules
export type C2paRule = keyof typeof C2PA_RULES.rules

/** The option and CLI flag that turn C2PA off, named in every message that can be solved by it. */
export const C2PA_OFF_HINT = 'stamp without C2PA with --no-c2pa (in the SDK: the c2pa option set to false)'

/**
 * An adapter could not load @tanba/c2pa to sign: thrown under the `required` policy, one
 * `c2pa.unavailable` message under `preferred` (the same in every adapter).
 */
export function c2paUnavailable(policy: C2paPolicy): ReportMessage {
  const reason = `@tanba/c2pa is not available; ${C2PA_OFF_HINT}`
  if (policy === 'required') throw new DependencyError('TANBA_DEPENDENCY_MISSING', `C2PA is required but ${reason}`, { details: { dependency: '@tanba/c2pa', rule: 'c2pa.unavailable', option: 'c2pa' } })
  return C2PA_RULES.message('c2pa.unavailable', `C2PA left out: ${reason}`, { carrier: 'c2pa' })
}

/**
 * Embedding the manifest changed the bound essence (`what`: "audio data", "coded samples"), so the
 * file goes back without it: the `c2pa.failed` rule of any other signing failure, thrown under `required`.
 */
export function c2paChangedEssence(policy: C2paPolicy, what: string): ReportMessage {
  const reason = `C2PA left out: embedding the C2PA manifest changed the ${what}, so the file was returned without it; ${C2PA_OFF_HINT}`
  if (policy === 'required') throw new DependencyError('TANBA_DEPENDENCY_FAILED', reason, { details: { dependency: '@contentauth/c2pa-node', rule: 'c2pa.failed', option: 'c2pa' } })
  return C2PA_RULES.message('c2pa.failed', reason, { carrier: 'c2pa' })
}

/** C2PA off and the input carried a manifest: it stays in the file but no longer matches it. */
export function c2paStale(carrier: string): ReportMessage {
  return C2PA_RULES.message('c2pa.stale', 'The input carried a C2PA manifest; with C2PA off it is kept but no longer matches the changed file', { carrier })
}
