/** Fuzz target: the flac reader (through openAudioBuffer; the input is kept starting with "fLaC"). */
import { fuzzAudio, withMagic } from './audio.mjs';

const MAGIC = Buffer.from('fLaC', 'latin1');

export async function fuzz(data) {
  await fuzzAudio(withMagic(data, MAGIC));
}
