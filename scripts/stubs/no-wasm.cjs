// Stands in for the WebAssembly builds of ChaCha20-Poly1305 and SHA-256 that
// @chainsafe/libp2p-noise loads at import: meshd hands noise OpenSSL's
// (src/gossip/host.ts), so they are never called, and compiling them would start
// V8's wasm engine in every daemon. Also stands in for xsalsa20's wasm core, which
// makes pnet use its JavaScript one: as fast with the full JIT (182 vs 177 us per 16 KiB),
// ~20x slower under the daemon's --max-opt=1 (3.5 ms; ~3 us per 100-byte gossip frame
// becomes ~30 us), but the wasm core and its tier-up took ~5 MB of RSS in a daemon with peers.
const unused = () => { throw new Error('WebAssembly crypto is left out of the meshd bundle') }

module.exports = () => false
module.exports.newInstance = () => ({})
module.exports.ChaCha20Poly1305 = class { seal () { unused() } open () { unused() } }
module.exports.digest = unused
