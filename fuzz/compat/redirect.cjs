// Loaded with `node --require` by fuzz/run.mjs on old glibc (see README.md): Jazzer's addon is
// loaded from the patched copy named by TTS_CRITIC_JAZZER_ADDON instead of node_modules.
const Module = require('node:module');
const path = require('node:path');
const patched = process.env.TTS_CRITIC_JAZZER_ADDON;
if (patched) {
  const load = Module._extensions['.node'];
  Module._extensions['.node'] = function (module, filename) {
    if (path.basename(filename).startsWith('fuzzer-linux-')) return load.call(this, module, patched);
    return load.call(this, module, filename);
  };
}
