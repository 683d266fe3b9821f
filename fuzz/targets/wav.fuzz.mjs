/** Fuzz target: the wav reader (through openAudioBuffer; the input is kept starting with "RIFF"). */
import { fuzzAudio, withMagic } from './audio.mjs';

const MAGIC = Buffer.from('RIFF', 'latin1');

export async function fuzz(data) {
  await fuzzAudio(withMagic(data, MAGIC));
}
