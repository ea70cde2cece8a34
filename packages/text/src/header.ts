import { toAiDisclosureHeader, type Label } from '@tanba/core'

export const AI_DISCLOSURE_HEADER = 'AI-Disclosure'

/** What the header needs: a label, or a stream's `draft` (known before the stream ends). */
export type DisclosureSource = Pick<Label, 'origin' | 'system' | 'owner' | 'created'>

/**
 * The `AI-Disclosure` HTTP response header value for a label (IETF draft-abaris-aicdh),
 * e.g. `mode=ai-originated, model="gpt-x", provider="Acme", date="2026-01-18T09:30:00Z"`.
 * For a stream, pass `stream.draft`: headers go out before the label is signed.
 */
export function aiDisclosureHeader(label: DisclosureSource): string {
  // core reads only origin, system.model, owner.name and created.
  return toAiDisclosureHeader(label as Label)
}

/** `{ 'AI-Disclosure': value }`, to spread into response headers. */
export function aiDisclosureHeaders(label: DisclosureSource): Record<string, string> {
  return { [AI_DISCLOSURE_HEADER]: aiDisclosureHeader(label) }
}
