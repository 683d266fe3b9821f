/**
 * `--model NAME`: turns a zoo entry (src/model/zoo.ts, pure data) into a local, sha256-verified
 * checkpoint file.
 *
 * Cache layout (content-addressed, so a changed upstream file can never replace a verified one):
 *
 *   <cache>/models/<sha256>/<basename>            the verified file (only ever created by rename)
 *   <cache>/models/<sha256>/<basename>.verified   marker: {sha256, size, mtimeMs} of that file
 *   <cache>/models/<sha256>/<basename>.part       an interrupted download, resumed next run
 *   <cache>/models/<sha256>/<basename>.part-<id>  the file a running download appends to
 *   <cache>/models/<sha256>/<basename>.lock       held while one process downloads
 *
 * Modules, each importing only those listed after it (and src/model, src/errors):
 *
 *   resolve.ts   the entry point: cache hit, offline refusal, or lock and download
 *   download.ts  claim a partial file, stream and hash the body, retry, verify, rename
 *   lock.ts      the `.lock` file: exclusive create, heartbeat, stale and dead holders
 *   http.ts      GET with capped redirects (http/https only), Range, Content-Range
 *   cache.ts     is the cached file verified? the `.verified` marker, hashing
 *   errors.ts    what the user reads: one-line UsageErrors, and RetryableError
 *   config.ts    options and environment to cache root, server URL, offline flag, paths
 */
export { resolveModelFile, type ResolvedModelFile } from './resolve.js';
export {
  cacheRoot,
  isOffline,
  modelBaseUrl,
  modelCachePath,
  modelUrl,
  type ResolveModelOptions,
} from './config.js';
