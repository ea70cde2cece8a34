// @tanba/c2pa: the one place Tanba touches the native C2PA addon (@contentauth/c2pa-node).
// Every addon call runs in a child process, so its crashes become DependencyErrors. Node only.
export {
  readC2pa,
  signC2pa,
  close,
  createC2paClient,
  useC2paHost,
  connectC2paClient,
  TANBA_CLAIM_GENERATOR,
  type C2paClient,
  type C2paClientOptions,
  type C2paParent,
  type ReadC2paOptions,
  type SignC2paOptions,
  type SignedC2pa,
} from './c2pa.js'
export { stampC2pa, brokenParentOption, hasOrganisation, type C2paPolicy, type BrokenParentPolicy, type StampC2paOptions, type StampC2paResult } from './stamp.js'
export { C2PA_RULES, type C2paRule } from './rules.js'
export { c2paSupport, c2paMediaTypes, normaliseMediaType, type C2paSupport } from './formats.js'
export {
  summariseManifestStore,
  TANBA_LABEL_ASSERTION,
  C2PA_AI_SOURCE_TYPES,
  isAiSourceType,
  type C2paSummary,
  type C2paManifestSummary,
  type C2paStatusEntry,
  type C2paSignatureInfo,
  type C2paAction,
  type C2paIngredient,
} from './summary.js'
export { DEFAULT_C2PA_TIMEOUT_MS, C2PA_ADDON_PACKAGE } from './client.js'
export { createC2paHost, type C2paHost, type C2paHostOptions } from './host.js'
export { extractC2pa, c2paTrustAnchors, c2paFetchRemote, type C2paFindings, type ExtractC2paOptions } from './findings.js'
export { c2paFindingsFromSummary, c2paFields, integrityCodes, type C2paFields } from './summary-findings.js'
