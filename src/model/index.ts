export * from './types.js';
export { FAMILIES, DEFAULT_FAMILY, findFamily, getFamily, familyNames } from './families/index.js';
export { untrainedWeights, lazyUntrainedWeights, fnv1a32, mulberry32Fill } from './init.js';
export { resolveModel, requiredKeys, inputChannels } from './resolve.js';
export { cqtRateOf, derivedBuffers } from './cqt-kernels.js';
export { featureValues, minimumWindow, minimumSamples, cqtOctaveLengths, stftFrames } from './geometry.js';
export {
  convEntries,
  convKey,
  postKey,
  preKey,
  bandCount,
  featureCount,
  featuresOf,
  keysOf,
  familyConvBases,
  familyReadBuffers,
  familyKnownBuffers,
  bufferKeys,
  CQT_BUFFERS,
  type ConvEntry,
  type ConvRole,
} from './keys.js';
