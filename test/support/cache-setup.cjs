// Jest globalSetup: the whole suite uses one throw-away cache folder, so that no test writes to
// the user's real cache (~/.cache/tts-critic and friends). Test files and the CLI processes
// they start inherit TTS_CRITIC_CACHE from here. It is shared by all test files, as a real
// cache is shared by runs: a session cached by one test is a hit in the next.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

module.exports = () => {
  process.env.TTS_CRITIC_CACHE = mkdtempSync(path.join(tmpdir(), 'tts-critic-test-cache-'));
};
