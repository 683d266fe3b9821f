/**
 * The scoring process's side of the GPU process (gpu-host.ts, which says why it exists).
 *
 * One GPU process per adapter policy serves every engine of this process: onnxruntime's WebGPU
 * context is process-wide (the first device wins), so a process runs on one adapter, and
 * sessions opened one after another share its compiled shaders. It starts on first use, ends
 * IDLE_MS after its last engine is disposed (freeing the GPU's memory), and never keeps this
 * process alive while idle: when this process exits, its channel closes and the GPU process
 * ends too. Its native output goes to a log file in a folder of its own in the temp folder,
 * removed at exit (by whichever process ends last) unless a failure message cites it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { ResolvedModel } from '../model/types.js';
import { vulkanEnvironment, type AdapterInfo } from './adapter.js';
import type { GraphMode } from './discriminator-graph.js';
import type { WindowScores } from './engine.js';
import type { HostEngineOptions, HostReply, HostRequest, OpenResult, ProbeResult } from './gpu-protocol.js';
import type { AdapterPolicy, Provider } from './providers.js';

/** A request without its id (the process numbers them). */
type Request = HostRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The host program, built to JavaScript beside this module. Tests run this module from
 * src/ through ts-jest, but a child process runs plain Node, so there it is the built copy.
 */
function hostScript(): string {
  const here = fileURLToPath(import.meta.url);
  const beside = path.join(path.dirname(here), 'gpu-host.js');
  if (!here.endsWith('.ts')) return beside;
  const built = path.resolve(path.dirname(here), '..', '..', 'dist', 'engine', 'gpu-host.js');
  if (!existsSync(built)) throw new Error(`internal: ${built} is missing; run npm run build`);
  return built;
}

const processes = new Map<AdapterPolicy, GpuProcess>();

/** How long a GPU process without engines waits for the next one (scorers created in turn). */
const IDLE_MS = 2000;

export class GpuProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  /** Why the process is gone (null while it runs). */
  private ended: string | null = null;
  private readonly probes = new Map<Provider, Promise<ProbeResult>>();
  private keepLog = false;
  /** Open engines, and the timer that ends the process once there are none. */
  private engines = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  /** The process for `policy`, started when first asked for (again after one has ended). */
  static for(policy: AdapterPolicy): GpuProcess {
    let gpu = processes.get(policy);
    if (!gpu || gpu.ended !== null || gpu.stopping) {
      gpu = new GpuProcess(policy);
      processes.set(policy, gpu);
    }
    return gpu;
  }

  /** The native log (Dawn, the Vulkan loader, drivers); kept after exit once a message cites it. */
  readonly logFile: string;

  private constructor(policy: AdapterPolicy) {
    const folder = mkdtempSync(path.join(tmpdir(), 'tts-critic-gpu-'));
    this.logFile = path.join(folder, 'native.log');
    const fd = openSync(this.logFile, 'a');
    try {
      this.child = fork(hostScript(), [this.logFile], {
        execArgv: [],
        serialization: 'advanced',
        stdio: ['ignore', fd, fd, 'ipc'],
        env: { ...process.env, ...vulkanEnvironment(policy, process.env) },
      });
    } finally {
      closeSync(fd);
    }
    // On our exit the channel closes and the GPU process ends on its own, but only once the
    // call it is running returns: stop it now instead (it holds nothing worth keeping).
    process.once('exit', () => {
      if (this.ended === null) this.child.kill('SIGKILL');
      if (!this.keepLog) rmSync(folder, { recursive: true, force: true });
    });
    this.child.on('message', (reply: HostReply) => this.settle(reply));
    this.child.on('error', (error) => this.end(`could not start the GPU process: ${error.message}`));
    this.child.on('exit', (code, signal) => {
      if (this.stopping) return this.end('the GPU process was stopped after its last engine');
      const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      this.keepLog = true;
      this.end(`the GPU process ${how} (its native log: ${this.logFile})`);
    });
    this.idle();
  }

  /** The GPU process's id, while it runs. */
  get pid(): number | undefined {
    return this.ended === null ? this.child.pid : undefined;
  }

  /** Says which adapter `provider` runs on (asked once per provider). */
  probe(provider: Provider): Promise<ProbeResult> {
    let probe = this.probes.get(provider);
    if (!probe) {
      probe = this.request<ProbeResult>({ type: 'probe', provider });
      this.probes.set(provider, probe);
    }
    return probe;
  }

  async open(model: ResolvedModel, mode: GraphMode, provider: Provider, adapter: AdapterInfo | null, options: HostEngineOptions): Promise<HostedEngine> {
    this.engineOpened();
    try {
      const opened = await this.request<OpenResult>({ type: 'open', model, mode, provider, options });
      return new HostedEngine(this, opened.engine, mode, provider, adapter, opened.layerCounts, opened.nativeColumns);
    } catch (error) {
      this.engineClosed();
      throw error;
    }
  }

  private engineOpened(): void {
    this.engines += 1;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** An engine of this process was disposed. */
  engineClosed(): void {
    this.engines -= 1;
    this.stopWhenIdle();
  }

  /** Without engines: ends the process unless an engine comes within IDLE_MS. */
  stopWhenIdle(): void {
    if (this.engines > 0 || this.ended !== null || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.engines > 0 || this.ended !== null) return;
      // Closing the channel ends the GPU process, which removes its log.
      this.stopping = true;
      this.child.disconnect();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  /** Keeps the native log after exit and returns its path, for a failure message to cite. */
  citeLog(): string {
    if (!this.keepLog && this.ended === null) void this.request({ type: 'keep-log' }).catch(() => undefined);
    this.keepLog = true;
    return this.logFile;
  }

  request<T>(message: Request): Promise<T> {
    if (this.ended !== null) return Promise.reject(new Error(this.ended));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // While an answer is awaited the channel keeps this process alive; see idle().
      this.child.ref();
      this.child.channel?.ref();
      this.child.send({ ...message, id } as HostRequest, (error) => {
        if (error) this.fail(id, new Error(`could not reach the GPU process: ${error.message}`));
      });
    });
  }

  private settle(reply: HostReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(reply.usage ? new UsageError(reply.message) : new Error(reply.message));
    this.idle();
  }

  private fail(id: number, error: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    waiter.reject(error);
    this.idle();
  }

  /** With nothing awaited, this process may exit with the GPU process still running. */
  private idle(): void {
    if (this.pending.size > 0) return;
    this.child.unref();
    this.child.channel?.unref();
  }

  private end(why: string): void {
    if (this.ended !== null) return;
    this.ended = why;
    for (const id of [...this.pending.keys()]) this.fail(id, new Error(why));
  }
}

/** An engine whose session lives in the GPU process: the same calls as DiscriminatorEngine. */
export class HostedEngine {
  private disposed = false;

  constructor(
    private readonly gpu: GpuProcess,
    private readonly id: number,
    readonly mode: GraphMode,
    readonly provider: Provider,
    readonly adapter: AdapterInfo | null,
    readonly layerCounts: readonly number[],
    readonly nativeColumns: readonly string[] = [],
  ) {}

  run(ref: readonly Float32Array[] | null, syn: readonly Float32Array[]): Promise<WindowScores[]> {
    const count = syn.length;
    if (count === 0) return Promise.resolve([]);
    const length = syn[0]!.length;
    if (this.mode === 'pair' && (!ref || ref.length !== count)) {
      return Promise.reject(new Error('internal: pair mode needs one ref window per syn window'));
    }
    // One fresh buffer per side: a window may be a view into a larger buffer, all of which
    // the structured clone would copy.
    return this.gpu.request<WindowScores[]>({
      type: 'run',
      engine: this.id,
      count,
      length,
      ref: this.mode === 'pair' ? stack(ref!, length) : null,
      syn: stack(syn, length),
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.gpu.request({ type: 'close', engine: this.id }).catch(() => undefined);
    this.gpu.engineClosed();
  }
}

function stack(windows: readonly Float32Array[], length: number): Float32Array {
  const data = new Float32Array(windows.length * length);
  windows.forEach((w, i) => {
    if (w.length !== length) throw new Error('internal: windows in one batch must have equal length');
    data.set(w, i * length);
  });
  return data;
}
