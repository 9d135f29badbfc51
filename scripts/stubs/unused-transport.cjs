// Stands in for modules dockerode loads but meshd never uses: ssh2 (ssh:// engines),
// gRPC (BuildKit sessions) and protobufjs (BuildKit build progress). Leaving them out
// of the bundle saves ~30 MB of RSS.
module.exports = {}
