// What the Compose translation gives back: the meshd specs of a stack, the files it
// creates, and a note for every key it did not honour, each with file:line:column.

/** A path into the Compose document: ['services', 'db', 'ports', 0]. */
export type ComposePath = ReadonlyArray<string | number>

/** A place in a file, 1-based. */
export interface Position {
  line: number
  column: number
}

/** A key that was read but not honoured (or honoured differently), and why. */
export interface ComposeNote extends Position {
  file: string
  /** Where in the document: `services.db.build`. */
  path: string
  why: string
}

/** A secret or config the stack creates or updates: `data` is base64 of the bytes. */
export interface StackFile {
  name: string
  data: string
}

/** A Compose file turned into the body of `PUT /v1/stacks/NAME`, plus its notes. */
export interface ComposeStack {
  name: string
  /** The Compose file, as the user named it. */
  file: string
  /** meshd service specs (as sent to the API: not normalised, unset fields left out). */
  services: Array<Record<string, unknown>>
  secrets: StackFile[]
  configs: StackFile[]
  notes: ComposeNote[]
  /**
   * For each service (in the order of `services`), where each top-level spec field came
   * from in the file: an error the API finds (`services[1].ports[0]`) can be placed too.
   */
  origins: Array<Record<string, Position & { path: string }>>
}

/** What the caller gives: the file's text, its variables, and a reader for the files it names. */
export interface ComposeInput {
  /** The Compose file's path as the user named it (shown in every note and error). */
  file: string
  text: string
  /** The stack name given on the command line; else the file's `name:`, else `directoryName`. */
  name?: string
  /** The name of the directory holding the file (the last resort for the stack name). */
  directoryName: string
  /** The process environment; it wins over `.env`, as in docker compose. */
  env: Readonly<Record<string, string | undefined>>
  /** The text of the `.env` file next to the Compose file, if there is one. */
  dotEnv?: string
  /** Reads a file named by the Compose file (env_file, secrets/configs `file:`), relative to its directory. */
  readFile: (path: string) => Buffer
  /** Notes become errors. */
  strict?: boolean
}
