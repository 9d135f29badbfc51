// Compose files as they are → meshd stacks: the specs of `PUT /v1/stacks/NAME`, the
// secrets and configs the stack creates, and a note (file:line:column, why) for every
// key meshd does not honour. Pure: the caller passes the text, the environment, the
// .env file and a reader for the files the Compose file names.

export { composeStack, isComposeDocument, stackNameOf } from './stack.ts'
export { ComposeError, formatNote, type ComposeProblem } from './errors.ts'
export { interpolate, parseEnvFile, InterpolationError } from './interpolate.ts'
export type { ComposeInput, ComposeNote, ComposeStack, StackFile, Position } from './types.ts'
