/**
 * The WebAssembly decoders (libFLAC, mpg123, libvorbis, libopus builds from the
 * wasm-audio-decoders family), behind the few calls the format modules make. They need no
 * native build and no network. Framing, seeking and delay compensation are done by the
 * format modules; these decoders only turn whole frames or packets into planar float samples.
 *
 * Their quirks, handled here:
 * - They print every problem they meet with console.error. A damaged file is reported once, as
 *   its error row, so the calls run with console.error silenced (the calls are synchronous, so
 *   nothing else can print meanwhile).
 * - Each decoder is a WebAssembly instance with its own memory; `free()` releases what it
 *   allocated inside that memory, and the instance goes with its last reference.
 * - They are imported on first use: a run over WAV files never loads them.
 * - @wasm-audio-decoders/ogg-vorbis exposes only page-level decoding of a whole Ogg stream;
 *   seeking needs packets, so its packet decoder (the instance's `_decoder`, with
 *   `sendSetupHeader`, `initDsp` and `decodePackets`) is used. The version is pinned in
 *   package.json for that reason, and test/audio/compressed.test.ts fails if it changes.
 */
import type { FLACDecoder } from '@wasm-audio-decoders/flac';
import type { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import type { MPEGDecoder } from 'mpg123-decoder';
import type { OpusDecoder } from 'opus-decoder';

/** Decoded audio, one array per channel. `errors` are the decoder's own messages. */
export interface PlanarAudio {
  readonly channelData: Float32Array[];
  readonly samplesDecoded: number;
  readonly errors: readonly { readonly message: string }[];
}

/**
 * Frees a decoder, ignoring a failure: after a trap inside the wasm (a hostile frame can make
 * libFLAC read out of bounds), its heap is in an unknown state and `free` may trap too. The
 * instance is dropped either way, and its memory goes with it.
 */
function release(free: () => void): void {
  try {
    free();
  } catch {
    // see above
  }
}

function quietly<T>(call: () => T): T {
  const original = console.error;
  console.error = () => undefined;
  try {
    return call();
  } finally {
    console.error = original;
  }
}

/** libFLAC: decodes whole FLAC frames (after the STREAMINFO block is fed once). */
export class FlacFrameDecoder {
  private constructor(private readonly decoder: FLACDecoder) {}

  static async create(): Promise<FlacFrameDecoder> {
    const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
    const decoder = new FLACDecoder();
    await decoder.ready;
    return new FlacFrameDecoder(decoder);
  }

  decode(frames: Uint8Array[]): Promise<PlanarAudio> {
    return quietly(() => this.decoder.decodeFrames(frames));
  }

  free(): void {
    release(() => this.decoder.free());
  }
}

/** mpg123 in feed mode, gapless handling off (delay and padding are removed by mpeg.ts). Output is always two channels. */
export class MpegFrameDecoder {
  private constructor(private readonly decoder: MPEGDecoder) {}

  static async create(): Promise<MpegFrameDecoder> {
    const { MPEGDecoder } = await import('mpg123-decoder');
    const decoder = new MPEGDecoder({ enableGapless: false });
    await decoder.ready;
    return new MpegFrameDecoder(decoder);
  }

  decode(bytes: Uint8Array): PlanarAudio {
    return quietly(() => this.decoder.decode(bytes));
  }

  free(): void {
    release(() => this.decoder.free());
  }
}

export interface OpusStreamLayout {
  readonly channels: number;
  readonly streamCount: number;
  readonly coupledStreamCount: number;
  readonly channelMappingTable: number[];
}

/** libopus multistream decoder at 48 kHz, no pre-skip (opus.ts removes it). */
export class OpusPacketDecoder {
  private constructor(private readonly decoder: OpusDecoder<48000>) {}

  static async create(layout: OpusStreamLayout): Promise<OpusPacketDecoder> {
    const { OpusDecoder } = await import('opus-decoder');
    const decoder = new OpusDecoder({ ...layout, preSkip: 0, sampleRate: 48000 });
    await decoder.ready;
    return new OpusPacketDecoder(decoder);
  }

  decode(packet: Uint8Array): PlanarAudio {
    return quietly(() => this.decoder.decodeFrame(packet));
  }

  free(): void {
    release(() => this.decoder.free());
  }
}

/** The packet decoder inside OggVorbisDecoder (see the module comment). */
interface VorbisPacketApi {
  sendSetupHeader(data: Uint8Array): void;
  initDsp(): void;
  decodePackets(packets: Uint8Array[]): PlanarAudio;
}

/** libvorbis: set up from the identification and setup headers, then decodes audio packets. */
export class VorbisPacketDecoder {
  private constructor(
    private readonly outer: OggVorbisDecoder,
    private readonly inner: VorbisPacketApi,
  ) {}

  static async create(identification: Uint8Array, setup: Uint8Array): Promise<{ decoder: VorbisPacketDecoder; errors: PlanarAudio['errors'] }> {
    const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
    const outer = new OggVorbisDecoder();
    await outer.ready;
    const inner = (outer as unknown as { _decoder?: VorbisPacketApi })._decoder;
    if (!inner || typeof inner.sendSetupHeader !== 'function' || typeof inner.decodePackets !== 'function') {
      throw new Error('@wasm-audio-decoders/ogg-vorbis changed: its packet decoder is not where this version expects it');
    }
    const decoder = new VorbisPacketDecoder(outer, inner);
    // Header problems are reported with the next decode: decode nothing to collect them.
    const errors = quietly(() => {
      inner.sendSetupHeader(identification);
      inner.sendSetupHeader(setup);
      inner.initDsp();
      return inner.decodePackets([]).errors;
    });
    return { decoder, errors };
  }

  decode(packet: Uint8Array): PlanarAudio {
    return quietly(() => this.inner.decodePackets([packet]));
  }

  free(): void {
    release(() => this.outer.free());
  }
}
