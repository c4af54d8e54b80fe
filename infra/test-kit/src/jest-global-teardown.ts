// Jest global teardown: releases the stack the setup acquired (a reused one keeps running).
export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__SYNCLINE_STACK__;
  if (stack) await stack.release();
}
