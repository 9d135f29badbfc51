// Stands in for fastify's schema compilers (ajv, fast-json-stringify): the API passes
// its own compilersFactory (src/node/api/server.ts) because no route declares a schema,
// so fastify never loads these.
module.exports = () => { throw new Error('fastify schema compilers are left out of the meshd bundle') }
