// The input of bench/pytorch_reference.py, written alike by bench/corpus.mjs and
// bench/gpu-check/check.mjs (bundle.sh carries this file with the check).
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Writes the resolved model's weights as one raw float32 file (`<family>.f32` in `work`) and
 * the JSON spec bench/pytorch_reference.py reads (`<name>.json`): the weights' index, the layer
 * table (and the family's input normalisation), and `fields` (threads, segment, pairs, optionally device and batch). Returns the spec's path.
 */
export function writeTorchSpec(work, model, name, { threads, device, batch, segment, pairs }) {
  const index = {};
  const chunks = [];
  let offset = 0;
  for (const [key, tensor] of model.weights) {
    index[key] = { offset, size: tensor.data.length, shape: tensor.shape };
    chunks.push(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    offset += tensor.data.length;
  }
  const weights = path.join(work, `${model.family.name}.f32`);
  writeFileSync(weights, Buffer.concat(chunks));
  const spec = path.join(work, `${name}.json`);
  // JSON.stringify leaves out fields that are undefined (device and batch for the CPU benchmark).
  writeFileSync(spec, JSON.stringify({ threads, device, batch, weights, index, subs: model.subs, normalize: model.family.normalize, segment, pairs }));
  return spec;
}
