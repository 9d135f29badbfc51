// Stands in for modules dockerode loads but meshd never uses: ssh2 (ssh:// engines)
// and gRPC (BuildKit sessions). Leaving them out of the bundle saves ~30 MB of RSS.
module.exports = {}
