export * from './types.js';
export { FAMILIES, DEFAULT_FAMILY, findFamily, getFamily, familyNames } from './families/index.js';
export { untrainedWeights, lazyUntrainedWeights, fnv1a32, mulberry32Fill } from './init.js';
export { resolveModel, requiredKeys } from './resolve.js';
export { featureValues, minimumWindow, minimumSamples } from './geometry.js';
