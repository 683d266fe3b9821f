/** Fuzz target: the MPEG audio reader (frame scan, Xing/LAME/VBRI tags, ID3v2 skipping, mpg123). */
import { fuzzAudio } from './audio.mjs';

export async function fuzz(data) {
  await fuzzAudio(Buffer.from(data));
}
