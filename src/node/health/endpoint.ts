/** Host and port of an endpoint "host:port" or "[v6]:port"; undefined when malformed. */
export function parseEndpoint (endpoint: string): { host: string, port: number } | undefined {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(endpoint) ?? /^([^:]+):(\d+)$/.exec(endpoint)
  const host = match?.[1]
  const port = Number(match?.[2])
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined
  return { host, port }
}
