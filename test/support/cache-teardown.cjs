// Jest globalTeardown: removes the suite's cache folder (see cache-setup.cjs).
const { rmSync } = require('node:fs');
const path = require('node:path');

module.exports = () => {
  const dir = process.env.TTS_CRITIC_CACHE;
  if (dir && path.basename(dir).startsWith('tts-critic-test-cache-')) rmSync(dir, { recursive: true, force: true });
};
