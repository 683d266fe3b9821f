/** Fuzz target: the ogg reader (through openAudioBuffer; the input is kept starting with "OggS"). */
import { fuzzAudio, withMagic } from './audio.mjs';

const MAGIC = Buffer.from('OggS', 'latin1');

export async function fuzz(data) {
  await fuzzAudio(withMagic(data, MAGIC));
}
