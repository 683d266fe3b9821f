/**
 * WAV fuzzing: seeded mutations of valid files of several formats. Every case must end in
 * finite decoded samples or an InputFileError — never another exception, a hang, NaN, or an
 * allocation sized by a lying header. FUZZ_CASES=N runs N cases (default 1500).
 */
import { InputFileError } from '../../src/errors.js';
import { openAudioBuffer } from '../../src/audio/index.js';
import { allFinite, byteMutation, checkResampledEnds } from '../helpers/fuzz.js';
import { chunk, mulberry32, testSignal, writeWav, type WavSpec } from '../helpers/wav-corpus.js';

const CASES = Number(process.env.FUZZ_CASES ?? 1500);
const PER_CASE_MS = 2000;

function bases(): Buffer[] {
  const list = chunk('LIST', 'INFOISFT\x06\x00\x00\x00fuzz!\x00');
  const sig = (frames: number, channels: number, bits: number, seed: number) => Array.from(testSignal(frames, channels, bits, seed));
  const specs: WavSpec[] = [
    { format: 'pcm8', samples: sig(300, 1, 8, 1) },
    { format: 'pcm16', channels: 2, sampleRate: 44100, samples: sig(250, 2, 16, 2), before: [list] },
    { format: 'pcm24', sampleRate: 48000, samples: sig(200, 1, 24, 3), extensible: true, validBits: 20 },
    { format: 'pcm32', sampleRate: 22050, samples: sig(200, 1, 32, 4), after: [list] },
    { format: 'float32', sampleRate: 32000, samples: sig(200, 1, 16, 5).map((v) => v / 32768), extensible: true },
    { format: 'float64', channels: 2, samples: sig(150, 2, 16, 6).map((v) => v / 32768) },
    { format: 'alaw', sampleRate: 8000, samples: Array.from({ length: 256 }, (_, i) => i) },
    { format: 'mulaw', sampleRate: 8000, channels: 2, samples: Array.from({ length: 256 }, (_, i) => 255 - i), extensible: true },
    { format: 'pcm16', channels: 6, sampleRate: 48000, samples: sig(60, 6, 16, 7), dataFirst: true },
    { format: 'pcm16', samples: [123] },
  ];
  return specs.map(writeWav);
}

const SPECIAL_U32 = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0xffff, 44, 1000000];
const SPECIAL_U16 = [0, 1, 2, 3, 8, 16, 24, 32, 64, 0xffff, 0xfffe, 0x8000, 6, 7];

/** One mutation of `b`; returns the mutated bytes and a short description for failures. */
function mutate(b: Buffer, rnd: () => number): [Buffer, string] {
  const int = (n: number) => Math.floor(rnd() * n);
  const kind = int(8);
  if (kind < 4) return byteMutation(kind as 0 | 1 | 2 | 3, b, rnd, { headerShare: 0.6, headerBytes: 80, flips: 16, deletion: 32 });
  const out = Buffer.from(b);
  switch (kind) {
    case 4: {
      const at = int(Math.max(1, Math.min(out.length - 3, 76)));
      const v = rnd() < 0.5 ? SPECIAL_U32[int(SPECIAL_U32.length)]! : Math.floor(rnd() * 2 ** 32);
      if (at + 4 <= out.length) out.writeUInt32LE(v, at);
      return [out, `u32 ${v} at ${at}`];
    }
    case 5: {
      const at = int(Math.max(1, Math.min(out.length - 1, 78)));
      const v = rnd() < 0.5 ? SPECIAL_U16[int(SPECIAL_U16.length)]! : int(65536);
      if (at + 2 <= out.length) out.writeUInt16LE(v, at);
      return [out, `u16 ${v} at ${at}`];
    }
    case 6: {
      // A chunk size field (found by its id) set to a special value.
      const ids = ['fmt ', 'data', 'LIST', 'fact'];
      const id = ids[int(ids.length)]!;
      const at = out.indexOf(id, 12, 'latin1');
      const v = SPECIAL_U32[int(SPECIAL_U32.length)]!;
      if (at >= 0 && at + 8 <= out.length) out.writeUInt32LE(v, at + 4);
      return [out, `${id} size ${v}`];
    }
    default: {
      // fmt fields: channels, rate, block align, bits, tag (offsets relative to the fmt body).
      const at = out.indexOf('fmt ', 12, 'latin1');
      if (at < 0) return [out, 'no fmt to poke'];
      const field = [[0, 2], [2, 2], [4, 4], [12, 2], [14, 2]][int(5)]!;
      const pos = at + 8 + field[0]!;
      const v = field[1] === 2 ? SPECIAL_U16[int(SPECIAL_U16.length)]! : SPECIAL_U32[int(SPECIAL_U32.length)]!;
      if (pos + field[1]! <= out.length) {
        if (field[1] === 2) out.writeUInt16LE(v, pos);
        else out.writeUInt32LE(v, pos);
      }
      return [out, `fmt+${field[0]} = ${v}`];
    }
  }
}

describe('WAV fuzz', () => {
  it(`${CASES} seeded mutations end in finite samples or an InputFileError`, async () => {
    const sources = bases();
    // Sanity: every base decodes.
    for (const b of sources) await (await openAudioBuffer(b)).close();
    const tally = { decoded: 0, rejected: 0 };
    const messages = new Map<string, number>();
    // Buffers of this test alone: other suites in the same worker may leave theirs to the GC.
    const baseline = process.memoryUsage().arrayBuffers;
    let peakArrayBuffers = 0;
    for (let c = 0; c < CASES; c++) {
      const rnd = mulberry32(0x5eed + c);
      let bytes = sources[c % sources.length]!;
      const steps: string[] = [];
      const count = 1 + Math.floor(rnd() * 3);
      for (let m = 0; m < count; m++) {
        const [next, what] = mutate(bytes, rnd);
        bytes = next;
        steps.push(what);
      }
      const label = `case ${c} (${steps.join(', ')})`;
      const t0 = performance.now();
      try {
        const reader = await openAudioBuffer(bytes);
        const { frames, sampleRate, channels } = reader.info;
        // A lying header must not produce more frames than the bytes can hold.
        if (frames < 1 || frames * channels > bytes.length) throw new Error(`${label}: ${frames} frames x ${channels} from ${bytes.length} bytes`);
        const all = await reader.read(sampleRate, 0, frames);
        if (all.length !== frames || !allFinite(all)) throw new Error(`${label}: bad native read`);
        await checkResampledEnds(reader, label);
        await reader.close();
        tally.decoded++;
      } catch (error) {
        if (!(error instanceof InputFileError)) throw new Error(`${label}: ${String(error)}`);
        const key = error.message.replace(/\d+(\.\d+)?/g, 'N');
        messages.set(key, (messages.get(key) ?? 0) + 1);
        tally.rejected++;
      }
      const ms = performance.now() - t0;
      if (ms > PER_CASE_MS) throw new Error(`${label}: took ${ms.toFixed(0)} ms`);
      if (c % 100 === 0) peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers - baseline);
    }
    expect(tally.decoded + tally.rejected).toBe(CASES);
    // Both outcomes are exercised: the mutations are neither all harmless nor all fatal.
    expect(tally.decoded).toBeGreaterThan(CASES * 0.1);
    expect(tally.rejected).toBeGreaterThan(CASES * 0.1);
    expect(peakArrayBuffers).toBeLessThan(256 * 2 ** 20);
    if (process.env.FUZZ_VERBOSE) console.log(tally, [...messages.entries()].sort((a, b) => b[1] - a[1]));
  });

  it('headers declaring absurd sizes allocate nothing of that size', async () => {
    const base = writeWav({ format: 'pcm16', samples: [1, 2, 3, 4] });
    // data size 2^32-2, 65535 channels of float64, RF64 with a 2^60-byte data size.
    const hugeData = Buffer.from(base);
    hugeData.writeUInt32LE(0xfffffffe, 40);
    const r1 = await openAudioBuffer(hugeData);
    expect(r1.info.frames).toBe(4);
    expect(r1.info.warnings.join()).toContain('declares 4294967294 bytes');
    const manyChannels = Buffer.from(base);
    manyChannels.writeUInt16LE(65535, 22);
    await expect(openAudioBuffer(manyChannels)).rejects.toThrow(InputFileError);
    const rf64 = Buffer.from(base);
    rf64.write('RF64', 0, 'latin1');
    const ds64 = Buffer.alloc(28);
    ds64.writeBigUInt64LE(2n ** 60n, 8);
    const withDs64 = Buffer.concat([rf64.subarray(0, 12), chunk('ds64', ds64), rf64.subarray(12)]);
    withDs64.writeUInt32LE(0xffffffff, withDs64.length - 12);
    const r3 = await openAudioBuffer(withDs64);
    expect(r3.info.frames).toBe(4);
  });
});
