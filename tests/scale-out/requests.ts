// Judges every request the clients made: a 2xx, or a connection broken by a SIGKILL and retried.
import type { RequestRecord } from './balancer.ts';
import type { Instance } from './instances.ts';

export function judgeRequests(records: readonly RequestRecord[], instances: readonly Instance[]) {
  const byName = new Map(instances.map((i) => [i.name, i]));
  const failures: string[] = [];
  const retried: string[] = [];
  const byService: Record<string, number> = {};
  const at = (ms: number) => new Date(ms).toISOString().slice(11, 23);
  for (const r of records) {
    byService[r.service] = (byService[r.service] ?? 0) + 1;
    const what = `${r.op} on ${r.instance} at ${at(r.startedAt)}-${at(r.endedAt)}`;
    if (r.error === undefined) {
      if (r.status === undefined || r.status < 200 || r.status > 299) failures.push(`${what}: ${r.status}`);
      continue;
    }
    const killedAt = byName.get(r.instance)?.killedAt;
    // Legitimate: its connection broke (or was refused) after that instance was SIGKILLed.
    if (killedAt !== undefined && r.endedAt >= killedAt) retried.push(`${what}: ${r.error}`);
    else failures.push(`${what}: ${r.error}`);
  }
  // Requests that touched a gracefully stopping instance, or any instance while one stopped.
  const stopping = instances.filter((i) => i.terminatedAt !== undefined);
  const inWindow = records.filter((r) =>
    stopping.some(
      (i) =>
        r.endedAt >= (i.terminatedAt as number) &&
        r.startedAt <= (i.terminatedAt as number) + (i.stopMs ?? 0),
    ),
  );
  const onStopping = inWindow.filter((r) =>
    stopping.some((i) => i.name === r.instance && r.endedAt >= (i.terminatedAt as number)),
  );
  const bad = (list: RequestRecord[]) =>
    list.filter((r) => r.error !== undefined || (r.status ?? 0) < 200 || (r.status ?? 0) > 299).length;
  return {
    total: records.length,
    byService,
    retried,
    failures,
    gracefulStop: {
      /** Requests in flight while some instance was stopping gracefully (SIGTERM -> exit). */
      requestsDuring: inWindow.length,
      failedDuring: bad(inWindow),
      /** Of those, answered by the stopping instance itself after its SIGTERM. */
      servedByStopping: onStopping.length,
      failedOnStopping: bad(onStopping),
    },
  };
}
