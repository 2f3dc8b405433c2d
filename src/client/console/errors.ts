// How the console calls the component: a thrown error becomes an answer the operator can read
// (404 for a workflow that does not exist, else 400 with the component's message).

export class ConsoleRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 405,
    message: string,
  ) {
    super(message);
  }
}

/** A component error as the operator should read it: its first line, without the runtime's prefix. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.replace(/^(\[[^\]]*\]\s*)*(Uncaught\s+)?(Error|ConvexError):\s*/, "").slice(0, 2000);
}

/** Runs a component call; a thrown error becomes 404 (no such workflow) or 400 (anything else the caller caused). */
export async function callComponent<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = describeError(error);
    if (/not found|Invalid workflow ID/i.test(message)) throw new ConsoleRequestError(404, message);
    throw new ConsoleRequestError(400, message);
  }
}
