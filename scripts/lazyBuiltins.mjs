// An esbuild plugin: the Node built-ins below are required on first use, not when the
// bundle starts. Source files import them as usual; each import gets a stand-in whose
// properties (one getter per export the module has on this Node) require the module the
// first time one is read. A plaintext run never touches TLS, crypto or threads, and loading
// them was ~15 ms of every start (crypto alone ~4 ms); commander's own require of
// child_process (for subcommands run as programs, which mailprobe has none of) is ~2 ms.
import { builtinModules, createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Built-ins a run needs only for some commands or flags. */
const LAZY = ['child_process', 'cluster', 'crypto', 'dgram', 'https', 'module', 'timers/promises', 'tls', 'worker_threads'];

const NAMESPACE = 'mailprobe-lazy-builtin';

/**
 * The stand-in module's text for built-in `id`. Its getters sit on the prototype of the
 * exports object, not on the object: the bundler wraps each importing file's view of a
 * CommonJS module in a copy of the module's own properties, and crypto's ~70 getters copied
 * for each of the 14 files importing it were ~2 ms of every start. The copy keeps the
 * prototype, so reads still reach the getters.
 */
function standIn(id) {
  const keys = Object.keys(require(`node:${id}`)).filter((key) => key !== 'default');
  return [
    `let loaded;`,
    `const real = () => (loaded ??= require(${JSON.stringify(`node:${id}`)}));`,
    `const getters = {};`,
    `for (const key of ${JSON.stringify(keys)}) Object.defineProperty(getters, key, { get: () => real()[key], enumerable: true });`,
    `module.exports = Object.create(getters);`,
  ].join('\n');
}

export const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    for (const id of LAZY) if (!builtinModules.includes(id)) throw new Error(`lazyBuiltins: node:${id} is not a built-in here`);
    const filter = new RegExp(`^(node:)?(${LAZY.map((id) => id.replace('/', '\\/')).join('|')})$`);
    build.onResolve({ filter }, (args) => {
      const id = args.path.replace(/^node:/, '');
      // The stand-in's own require is the real module.
      if (args.namespace === NAMESPACE) return { path: `node:${id}`, external: true };
      return { path: id, namespace: NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({ contents: standIn(args.path), loader: 'js' }));
  },
};
