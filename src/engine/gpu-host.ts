/**
 * The GPU process: runs onnxruntime's GPU providers (WebGPU, CUDA) for the scoring process
 * that started it (gpu-process.ts), answering its requests one by one.
 *
 * It exists because the native code under those providers writes to the process's own
 * stdout and stderr: Dawn prints warnings to stderr and infos to stdout with no switch to turn
 * them off (its LogMessage writes with fprintf), the Vulkan loader prints its errors, and a
 * GPU driver may print anything. Node cannot redirect file descriptor 2 of a running process,
 * so these providers run here, with stdout and stderr going to a log file that only this
 * program reads: the user sees our messages, never theirs. The log also names the adapter
 * (see adapter.ts).
 *
 * Started with the log file's path as its argument; exits when the scoring process goes.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { UsageError, messageOf } from '../errors.js';
import { adapterFromLoaderLog } from './adapter.js';
import { DiscriminatorEngine } from './engine.js';
import type { HostReply, HostRequest, OpenResult, ProbeResult } from './gpu-protocol.js';
import { ElemType, OnnxGraph } from './onnx-graph.js';
import { providerConfig, type Provider } from './providers.js';

const logFile = process.argv[2]!;
const engines = new Map<number, DiscriminatorEngine>();
let nextEngine = 1;
let keepLog = false;

/** One Relu: enough for the provider to create its device (the adapter is chosen then). */
function probeGraph(): Uint8Array {
  const g = new OnnxGraph('probe');
  const x = g.input('x', ElemType.FLOAT, ['n']);
  g.exportAs(g.node('Relu', [x]), 'y', ElemType.FLOAT, ['n']);
  return g.serialize(17);
}

async function probe(provider: Provider): Promise<ProbeResult> {
  const session = await ort.InferenceSession.create(probeGraph(), {
    executionProviders: [providerConfig(provider)],
    logSeverityLevel: 4,
  });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2), [2]) });
    const y = out.y!.data as Float32Array;
    if (y[0] !== 0 || y[1] !== 2) throw new Error(`the ${provider} provider computed relu(-1, 2) = (${y[0]}, ${y[1]})`);
  } finally {
    await session.release();
  }
  // The loader wrote its device line before the session existed; C's stderr is unbuffered.
  return { adapter: provider === 'webgpu' ? adapterFromLoaderLog(readFileSync(logFile, 'utf8')) : null };
}

type ReplyValue = (HostReply & { ok: true })['value'];

async function handle(request: HostRequest): Promise<ReplyValue> {
  switch (request.type) {
    case 'probe':
      return probe(request.provider);
    case 'open': {
      const engine = await DiscriminatorEngine.create(request.model, request.mode, { ...request.options, device: request.provider });
      const id = nextEngine++;
      engines.set(id, engine);
      return { engine: id, layerCounts: engine.layerCounts, nativeColumns: engine.nativeColumns } satisfies OpenResult;
    }
    case 'run': {
      const engine = engines.get(request.engine);
      if (!engine) throw new Error('internal: run on a closed engine');
      const rows = (stack: Float32Array) =>
        Array.from({ length: request.count }, (_, i) => stack.subarray(i * request.length, (i + 1) * request.length));
      return engine.run(request.ref && rows(request.ref), rows(request.syn));
    }
    case 'close': {
      await engines.get(request.engine)?.dispose();
      engines.delete(request.engine);
      return null;
    }
    case 'keep-log':
      keepLog = true;
      return null;
  }
}

function reply(message: HostReply): void {
  process.send!(message);
}

process.on('message', (request: HostRequest) => {
  handle(request).then(
    (value) => reply({ id: request.id, ok: true, value }),
    (error: unknown) => reply({ id: request.id, ok: false, message: messageOf(error), usage: error instanceof UsageError }),
  );
});
// The scoring process decides when to stop: Ctrl-C reaches the whole process group, and the
// batch in flight must still finish. Its exit closes the channel, which ends this process.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => {
  // The log's folder was made for this process alone.
  if (!keepLog) rmSync(path.dirname(logFile), { recursive: true, force: true });
  process.exit(0);
});
