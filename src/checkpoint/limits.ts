/**
 * Hard caps for everything a hostile checkpoint could make the loader allocate or repeat.
 * Real discriminator checkpoints sit orders of magnitude below each of them (the largest
 * official one, v2Pro's 126 MB, has a 20 kB data.pkl and about 400 records), so hitting a cap
 * always means a damaged or crafted file and ends in a CheckpointError.
 */
export const LIMITS = {
  /** data.pkl / each legacy pickle is read whole into memory. */
  maxPickleBytes: 256 * 1024 * 1024,
  /** Nested MARKs open at once (a state dict needs three or four). */
  maxMarkDepth: 512,
  /** Distinct memo slots. */
  maxMemoEntries: 1 << 22,
  /** Bytes of one GLOBAL line (module or name). */
  maxGlobalLine: 512,
  /** Dimensions of one tensor (convs need 3 or 4). */
  maxTensorRank: 16,
  /** Bytes read in one go for one tensor view. */
  maxTensorBytes: 1024 * 1024 * 1024,
  /** Zip central directory. */
  maxZipEntries: 1 << 20,
  maxCentralDirectoryBytes: 256 * 1024 * 1024,
  /** Storages listed by a legacy checkpoint. */
  maxLegacyStorages: 1 << 20,
  /** safetensors JSON header (the format itself caps it at 100 MB). */
  maxSafetensorsHeader: 100 * 1024 * 1024,
  maxSafetensorsEntries: 1 << 20,
} as const;
