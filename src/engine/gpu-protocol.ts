/**
 * Messages between the scoring process and its GPU process (gpu-process.ts <-> gpu-host.ts),
 * sent over Node's IPC channel with the structured-clone ("advanced") serialization, which
 * carries typed arrays and Maps as they are.
 */
import type { ResolvedModel } from '../model/types.js';
import type { AdapterInfo } from './adapter.js';
import type { GraphMode } from './discriminator-graph.js';
import type { EngineOptions, WindowScores } from './engine.js';
import type { Provider } from './providers.js';

export type HostRequest =
  /** Start `provider` on a tiny graph and say which adapter it got. */
  | { readonly type: 'probe'; readonly id: number; readonly provider: Provider }
  | {
      readonly type: 'open';
      readonly id: number;
      readonly model: ResolvedModel;
      readonly mode: GraphMode;
      readonly provider: Provider;
      /** The engine options that cross a process boundary (no callbacks, no device: `provider`). */
      readonly options: HostEngineOptions;
    }
  /** `count` windows of `length` samples per side, stacked row after row. */
  | {
      readonly type: 'run';
      readonly id: number;
      readonly engine: number;
      readonly count: number;
      readonly length: number;
      readonly ref: Float32Array | null;
      readonly syn: Float32Array;
    }
  | { readonly type: 'close'; readonly id: number; readonly engine: number }
  /** A message cites the native log: leave it in place at exit. */
  | { readonly type: 'keep-log'; readonly id: number };

export type HostEngineOptions = Omit<EngineOptions, 'device' | 'onNotice'>;

export interface ProbeResult {
  /** Null where the adapter cannot be named (no Vulkan loader, or not a WebGPU provider). */
  readonly adapter: AdapterInfo | null;
}

export interface OpenResult {
  readonly engine: number;
  readonly layerCounts: readonly number[];
  readonly nativeColumns: readonly string[];
}

export type HostReply =
  | { readonly id: number; readonly ok: true; readonly value: ProbeResult | OpenResult | WindowScores[] | null }
  /** `usage`: the failure is a configuration problem (exit 2), not a runtime fault. */
  | { readonly id: number; readonly ok: false; readonly message: string; readonly usage: boolean };
