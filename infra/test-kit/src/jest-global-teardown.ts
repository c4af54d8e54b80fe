// Jest global teardown: releases the stack the setup acquired (a reused one keeps running) once
// the last project using it (integration, fault) is done.
export default async function globalTeardown(): Promise<void> {
  const users = (globalThis.__SYNCLINE_STACK_USERS__ ?? 1) - 1;
  globalThis.__SYNCLINE_STACK_USERS__ = users;
  const stack = globalThis.__SYNCLINE_STACK__;
  if (users > 0 || !stack) return;
  globalThis.__SYNCLINE_STACK__ = undefined;
  await stack.release();
}
