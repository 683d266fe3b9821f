/**
 * Fuzz target: the Opus and Vorbis header packets (OpusHead, OpusTags, Vorbis identification,
 * comment and setup). The first byte picks how the input is split into packets.
 */
import { oggCodecFor, oggCodecName } from '../../dist/audio/ogg-codecs.js';
import { InputFileError } from '../../dist/errors.js';
import { check, expectTyped, withinSync } from './contract.mjs';

export function fuzz(data) {
  withinSync(data.length, () => {
    const b = Buffer.from(data);
    const cut = b.length > 0 ? 1 + ((b[0] * 7) % Math.max(1, b.length)) : 0;
    const first = b.subarray(1, cut);
    const rest = b.subarray(cut);
    check(typeof oggCodecName(first) === 'string', 'no codec name');
    let codec;
    try {
      codec = oggCodecFor(first);
    } catch (error) {
      expectTyped(error, InputFileError);
      return;
    }
    if (!codec) return;
    check(codec.sampleRate >= 1000 && codec.sampleRate <= 1_536_000, `sample rate ${codec.sampleRate}`);
    check(codec.channels >= 1 && codec.channels <= 255, `channels ${codec.channels}`);
    check(codec.maxPacketSamples > 0 && Number.isSafeInteger(codec.maxPacketSamples), `max packet samples ${codec.maxPacketSamples}`);
    for (let index = 1; index < codec.headerPackets; index++) {
      try {
        codec.header(index, rest);
      } catch (error) {
        expectTyped(error, InputFileError);
        return;
      }
    }
  });
}
