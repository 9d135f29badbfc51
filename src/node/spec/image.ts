// Image references follow the grammar of distribution/reference (what `docker pull`
// accepts), except that the only digest accepted is sha256, the one Docker uses:
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ host [ ":" port ] "/" ] component ( "/" component )*   (≤ 255)
//   component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//   tag       := [\w][\w.-]{0,127}
//   digest    := "sha256:" [a-f0-9]{64}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`
const NAME = new RegExp(`^(?:${HOST}(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*$`)
const TAG = /^\w[\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/
const MAX_NAME_LENGTH = 255

/** Why `reference` is not a valid Docker image reference, or undefined when it is one. */
export function imageReferenceProblem (reference: string): string | undefined {
  if (reference === '') return 'the reference is empty'
  // Checked first so that the problems below can assume printable text.
  if (/[\s\p{Cc}]/u.test(reference)) return 'the reference contains whitespace or control characters'
  const at = reference.indexOf('@')
  const nameAndTag = at === -1 ? reference : reference.slice(0, at)
  // A tag is whatever follows the last ':' after the last '/'; an earlier ':' is a registry port.
  const colon = nameAndTag.lastIndexOf(':')
  const hasTag = colon > nameAndTag.lastIndexOf('/')
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag
  if (name === '') return 'the repository name is missing'
  if (name.length > MAX_NAME_LENGTH) return `the repository name is longer than ${MAX_NAME_LENGTH} characters`
  if (!NAME.test(name)) {
    return NAME.test(name.toLowerCase())
      ? 'the repository name must be lowercase'
      : 'the repository name is not [registry[:port]/]path made of lowercase letters, digits and single separators (".", "_", "__", "-")'
  }
  if (hasTag && !TAG.test(nameAndTag.slice(colon + 1))) {
    return 'the tag must be 1 to 128 letters, digits, "_", "." or "-" and not start with "." or "-"'
  }
  if (at !== -1 && !DIGEST.test(reference.slice(at + 1))) {
    return 'the digest must be "sha256:" followed by 64 lowercase hex digits'
  }
  return undefined
}
