// Polling for tests that wait on real things (processes, sockets, Docker): never a sleep.

/** Polls `check` until it returns a truthy value; throws with `what` after the timeout. */
export async function waitFor<T> (check: () => Promise<T> | T, opts: { timeoutMs?: number, intervalMs?: number, what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'a condition'}${lastError === undefined ? '' : `: ${(lastError as Error).message}`}`)
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 100))
  }
}
