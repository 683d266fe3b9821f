/**
 * Progress on stderr: a cli-progress bar when stderr is a terminal, otherwise a plain line
 * every few seconds (CI logs and pipelines should not fill up with carriage returns).
 */
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';

// Loaded on first use: only a terminal gets a bar, and the module costs ~25 ms of start-up
// (measured) that CI, pipelines and --quiet runs would pay for nothing.
let cliProgress: typeof cliProgressModule | undefined;
function bars(): typeof cliProgressModule {
  return (cliProgress ??= createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule);
}

export interface Progress {
  /** A pair finished (scored, failed or unpaired). */
  pairDone(): void;
  /** The engine scored `audioSeconds` of audio (per side). */
  scored(audioSeconds: number): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 10_000;

class SilentProgress implements Progress {
  pairDone(): void {}
  scored(): void {}
  stop(): void {}
}

class Throughput {
  private readonly started = Date.now();
  audioSeconds = 0;
  rate(): number {
    const elapsed = (Date.now() - this.started) / 1000;
    return elapsed > 0 ? this.audioSeconds / elapsed : 0;
  }
}

class BarProgress implements Progress {
  private readonly bar: cliProgressModule.SingleBar;
  private readonly throughput = new Throughput();
  private done = 0;

  constructor(total: number, stream: NodeJS.WriteStream) {
    const cliProgress = bars();
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'scoring {bar} {value}/{total} files | {rate} audio-s/s | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { rate: '0.0' });
  }

  pairDone(): void {
    this.done += 1;
    this.bar.update(this.done, { rate: this.throughput.rate().toFixed(1) });
  }

  scored(audioSeconds: number): void {
    this.throughput.audioSeconds += audioSeconds;
    this.bar.update(this.done, { rate: this.throughput.rate().toFixed(1) });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineProgress implements Progress {
  private readonly throughput = new Throughput();
  private done = 0;
  private lastLine = Date.now();

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WritableStream,
  ) {}

  private maybePrint(): void {
    const now = Date.now();
    if (now - this.lastLine < PLAIN_INTERVAL_MS) return;
    this.lastLine = now;
    const percent = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    this.stream.write(
      `tts-critic: ${this.done}/${this.total} files (${percent}%), ${this.throughput.audioSeconds.toFixed(1)} s of audio ` +
        `at ${this.throughput.rate().toFixed(1)} audio-s/s\n`,
    );
  }

  pairDone(): void {
    this.done += 1;
    this.maybePrint();
  }

  scored(audioSeconds: number): void {
    this.throughput.audioSeconds += audioSeconds;
    this.maybePrint();
  }

  stop(): void {}
}

export function createProgress(total: number, options: { quiet: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return new SilentProgress();
  return stream.isTTY ? new BarProgress(total, stream) : new LineProgress(total, stream);
}

/** Byte progress of a model download: a bar on a terminal, a line every few seconds otherwise. */
export function createDownloadProgress(label: string, options: { quiet: boolean; stream?: NodeJS.WriteStream }): {
  update(received: number, total: number | null): void;
  stop(): void;
} {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update() {}, stop() {} };
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  if (stream.isTTY) {
    let bar: cliProgressModule.SingleBar | null = null;
    return {
      update(received, total) {
        if (!bar) {
          const cliProgress = bars();
          bar = new cliProgress.SingleBar(
            { stream, format: `downloading ${label} {bar} {percentage}% | {done}/{size} MB | ETA {eta_formatted}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total ?? received, received, { done: mb(received), size: mb(total ?? received) });
        }
        bar.update(received, { done: mb(received), size: mb(total ?? received) });
      },
      stop: () => bar?.stop(),
    };
  }
  let last = 0;
  return {
    update(received, total) {
      const now = Date.now();
      if (now - last < PLAIN_INTERVAL_MS && received !== total) return;
      last = now;
      stream.write(`tts-critic: downloading ${label}: ${mb(received)}${total ? ` of ${mb(total)}` : ''} MB\n`);
    },
    stop() {},
  };
}
