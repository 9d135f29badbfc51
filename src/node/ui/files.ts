// The dashboard's files: plain ES modules, CSS and HTML under assets/, served as they are
// (no framework, no build step, nothing fetched from elsewhere at run time). The bundle
// carries them as strings (scripts/build.ts defines MESHD_UI_FILES); from src/ they are
// read from assets/ once, on first use.

import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'

/** assets/ as scripts/build.ts read it (file name → text); absent when meshd runs from src/. */
declare const MESHD_UI_FILES: Record<string, string> | undefined

export interface UiFile {
  body: string
  type: string
  /** A strong validator of the body, for If-None-Match. */
  etag: string
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml'
}

let files: Map<string, UiFile> | undefined

/** The dashboard's file of that name (exactly a file of assets/, nothing else), or undefined. */
export function uiFile (name: string): UiFile | undefined {
  files ??= load()
  return files.get(name)
}

/** The names of the dashboard's files. */
export function uiFileNames (): string[] {
  files ??= load()
  return [...files.keys()].sort()
}

function load (): Map<string, UiFile> {
  const texts = typeof MESHD_UI_FILES === 'object' ? MESHD_UI_FILES : readAssets()
  const loaded = new Map<string, UiFile>()
  for (const [name, body] of Object.entries(texts)) {
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)]
    if (type !== undefined) loaded.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }
  return loaded
}

function readAssets (): Record<string, string> {
  const dir = new URL('./assets/', import.meta.url)
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(new URL(name, dir), 'utf8')]))
}
