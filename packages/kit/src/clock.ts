/** Time comes from here so that tests can move it; production uses the server's clock. */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };
