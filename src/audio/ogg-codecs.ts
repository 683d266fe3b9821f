/**
 * The two codecs read from Ogg: their header packets, what they mean for timing, and their
 * packet decoders (wasm-decoders.ts) turned into mono samples.
 *
 * - Vorbis (identification, comment and setup headers): granule positions count samples at
 *   the stream's rate; the first packet after a (re)start only primes the decoder, and from the
 *   second on the output is bit-identical to a decode from the start, so restarts are exact.
 * - Opus (OpusHead, OpusTags): always decoded at 48 kHz; the first `pre-skip` samples are the
 *   encoder's delay and are dropped, and the header's output gain is applied (RFC 7845). The
 *   decoder state after a restart only converges, so decoding starts 80 ms early (RFC 7845's
 *   pre-roll) and restarts are not exact (streamed.ts then decodes fixed segments).
 */
import { InputFileError } from '../errors.js';
import { checkSampleRate } from './limits.js';
import type { AudioFormat } from './types.js';
import { OpusPacketDecoder, VorbisPacketDecoder, type OpusStreamLayout, type PlanarAudio } from './wasm-decoders.js';

/** A packet the decoder refused; ogg.ts adds where it is. */
export class PacketError extends Error {}

/** Decodes one packet to mono samples (empty for a packet that only primes the decoder); throws PacketError. */
export interface PacketDecoder {
  decode(packet: Uint8Array): Float32Array;
  free(): void;
}

export interface OggCodec {
  readonly format: AudioFormat;
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  /** Header packets before the audio. */
  readonly headerPackets: number;
  /** Samples at the start of the stream that are codec delay, not audio (Opus pre-skip). */
  readonly preSkip: number;
  /** Samples decoded before the wanted position after a restart. */
  readonly preroll: number;
  readonly exactRestarts: boolean;
  /** The most samples one packet can decode to (bounds granule jumps and restart slack). */
  readonly maxPacketSamples: number;
  /** Reads header packet `index` (from 1; packet 0 made the codec). */
  header(index: number, packet: Uint8Array): void;
  decoder(): Promise<PacketDecoder>;
}

function mono(decoded: PlanarAudio, gain = 1): Float32Array {
  const channels = decoded.channelData;
  const n = decoded.samplesDecoded;
  const out = new Float32Array(n);
  if (channels.length === 1) {
    const ch = channels[0]!;
    for (let i = 0; i < n; i++) out[i] = ch[i]! * gain;
    return out;
  }
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i]!;
    out[i] = (sum / channels.length) * gain;
  }
  return out;
}

function decodeFailure(codec: string, error: unknown): InputFileError {
  return new InputFileError(`${codec} decoder failed: ${(error as Error).message}`);
}

/** Runs a packet decode; anything the wasm decoder throws (a packet too large for its buffer, a trap) is a PacketError. */
function decodePacket(run: () => PlanarAudio): PlanarAudio {
  try {
    return run();
  } catch (error) {
    throw new PacketError(error instanceof RangeError ? 'larger than the decoder accepts' : `decoder failed: ${(error as Error).message}`);
  }
}

/** libvorbis's messages as the wasm build words them ("<function> vorbis_synthesisOV_EBADPACKET there was..."), made readable. */
function vorbisDetail(message: string): string {
  const match = /(OV_[A-Z]+)\s*(.*?)\.?$/.exec(message);
  return match ? `${match[1]}: ${match[2]}` : 'libvorbis could not decode it';
}

const text = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

class VorbisCodec implements OggCodec {
  readonly format = 'ogg-vorbis';
  readonly codec = 'vorbis';
  readonly headerPackets = 3;
  readonly preSkip = 0;
  readonly preroll = 0;
  readonly exactRestarts = true;
  readonly sampleRate: number;
  readonly channels: number;
  readonly maxPacketSamples: number;
  private setup: Uint8Array | null = null;

  constructor(private readonly identification: Uint8Array) {
    const b = identification;
    if (b.length < 30) throw new InputFileError('Vorbis identification header cut short (corrupt header)');
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (view.getUint32(7, true) !== 0) throw new InputFileError(`unsupported Vorbis version ${view.getUint32(7, true)}`);
    this.channels = b[11]!;
    this.sampleRate = view.getUint32(12, true);
    const small = b[28]! & 15;
    const large = b[28]! >> 4;
    if (this.channels === 0) throw new InputFileError('Vorbis header gives 0 channels (corrupt header)');
    checkSampleRate(this.sampleRate, 'Vorbis header');
    if (small < 6 || large > 13 || small > large || (b[29]! & 1) === 0) throw new InputFileError('invalid Vorbis identification header (corrupt header)');
    this.maxPacketSamples = 1 << large;
  }

  header(index: number, packet: Uint8Array): void {
    const type = index === 1 ? 3 : 5;
    if (packet[0] !== type || text(packet, 1, 6) !== 'vorbis') {
      throw new InputFileError(`Vorbis ${index === 1 ? 'comment' : 'setup'} header missing (corrupt header)`);
    }
    if (index === 2) this.setup = packet;
  }

  async decoder(): Promise<PacketDecoder> {
    let created: Awaited<ReturnType<typeof VorbisPacketDecoder.create>>;
    try {
      created = await VorbisPacketDecoder.create(this.identification, this.setup!);
    } catch (error) {
      throw decodeFailure('Vorbis', error);
    }
    const { decoder, errors } = created;
    if (errors.length > 0) {
      decoder.free();
      throw new InputFileError(`invalid Vorbis setup header (${vorbisDetail(errors[0]!.message)})`);
    }
    return {
      decode(packet) {
        // A zero-length packet is a hole in the stream, not audio (Vorbis I spec).
        if (packet.length === 0) return new Float32Array(0);
        const decoded = decodePacket(() => decoder.decode(packet));
        if (decoded.errors.length > 0) throw new PacketError(vorbisDetail(decoded.errors[0]!.message));
        return mono(decoded);
      },
      free: () => decoder.free(),
    };
  }
}

class OpusCodec implements OggCodec {
  readonly format = 'ogg-opus';
  readonly codec = 'opus';
  readonly headerPackets = 2;
  readonly sampleRate = 48000;
  readonly preroll = 3840;
  readonly exactRestarts = false;
  readonly maxPacketSamples = 5760;
  readonly channels: number;
  readonly preSkip: number;
  private readonly layout: OpusStreamLayout;
  private readonly gain: number;

  constructor(head: Uint8Array) {
    if (head.length < 19) throw new InputFileError('OpusHead header cut short (corrupt header)');
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const version = head[8]!;
    if (version >> 4 !== 0) throw new InputFileError(`unsupported Ogg Opus version ${version}`);
    this.channels = head[9]!;
    this.preSkip = view.getUint16(10, true);
    this.gain = 10 ** (view.getInt16(16, true) / (20 * 256));
    const family = head[18]!;
    if (this.channels === 0) throw new InputFileError('OpusHead gives 0 channels (corrupt header)');
    if (family === 0) {
      if (this.channels > 2) throw new InputFileError(`OpusHead gives ${this.channels} channels for mapping family 0 (corrupt header)`);
      this.layout = { channels: this.channels, streamCount: 1, coupledStreamCount: this.channels - 1, channelMappingTable: this.channels === 2 ? [0, 1] : [0] };
    } else {
      if (head.length < 21 + this.channels) throw new InputFileError('OpusHead channel mapping cut short (corrupt header)');
      const streams = head[19]!;
      const coupled = head[20]!;
      const table = Array.from(head.subarray(21, 21 + this.channels));
      if (streams === 0 || coupled > streams || streams + coupled > 255 || table.some((m) => m !== 255 && m >= streams + coupled)) {
        throw new InputFileError('OpusHead channel mapping is inconsistent (corrupt header)');
      }
      this.layout = { channels: this.channels, streamCount: streams, coupledStreamCount: coupled, channelMappingTable: table };
    }
  }

  header(_index: number, packet: Uint8Array): void {
    if (text(packet, 0, 8) !== 'OpusTags') throw new InputFileError('OpusTags header missing (corrupt header)');
  }

  async decoder(): Promise<PacketDecoder> {
    let decoder: OpusPacketDecoder;
    try {
      decoder = await OpusPacketDecoder.create(this.layout);
    } catch (error) {
      throw decodeFailure('Opus', error);
    }
    const gain = this.gain;
    return {
      decode(packet) {
        const decoded = decodePacket(() => decoder.decode(packet));
        if (decoded.errors.length > 0) throw new PacketError(decoded.errors[0]!.message.replace(/^libopus -?\d+ /, ''));
        return mono(decoded, gain);
      },
      free: () => decoder.free(),
    };
  }
}

/** The codec whose first header packet is `packet`; throws for codecs that are not read. */
export function oggCodecFor(packet: Uint8Array): OggCodec | null {
  if (packet[0] === 1 && text(packet, 1, 6) === 'vorbis') return new VorbisCodec(packet);
  if (text(packet, 0, 8) === 'OpusHead') return new OpusCodec(packet);
  return null;
}

/** A name for an Ogg codec that is not read, for the message. */
export function oggCodecName(packet: Uint8Array): string {
  if (text(packet, 0, 5) === '\x7fFLAC') return 'Ogg FLAC';
  if (text(packet, 0, 8) === 'Speex   ') return 'Ogg Speex';
  if (text(packet, 1, 6) === 'theora') return 'Ogg Theora video';
  if (text(packet, 0, 8) === 'fishead\0') return 'Ogg Skeleton';
  return `an Ogg stream of an unknown codec (first packet starts with "${text(packet, 0, 8).replace(/[^\x20-\x7e]/g, '?')}")`;
}
