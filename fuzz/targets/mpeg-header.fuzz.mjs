/** Fuzz target: MPEG frame headers and the Xing/Info/LAME and VBRI tags (pure functions). */
import { infoTag, mpegFrameAt, sameStream } from '../../dist/audio/mpeg-header.js';
import { check, withinSync } from './contract.mjs';

export function fuzz(data) {
  withinSync(data.length, () => {
    const frame = mpegFrameAt(data, 0);
    if (!frame) return;
    check(frame.length > 0 && frame.length <= 2881, `frame length ${frame.length}`);
    check([384, 576, 1152].includes(frame.samples), `samples ${frame.samples}`);
    check(sameStream(frame, frame), 'a frame is not of its own stream');
    const tag = infoTag(data.subarray(0, frame.length), frame);
    if (tag) {
      for (const v of [tag.frames, tag.encoderDelay, tag.padding]) check(v === null || (Number.isSafeInteger(v) && v >= 0), `tag value ${v}`);
    }
  });
}
