export { Mesh } from './mesh.ts'
export type { MeshInit, ServiceMeshView } from './mesh.ts'
export { meshKeyOf } from './key.ts'
