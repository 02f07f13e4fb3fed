// A local stand-in for the slice of Twilio TaskRouter v1 that Uplink's Flex destination uses: fetch
// a Task and update its attributes, with HTTP Basic auth, ETag / If-Match versioning and Twilio's
// error bodies. Tests only. It is strict where Twilio is lenient (unknown form parameters and
// non-form bodies are refused, not ignored) so a client mistake shows up as an error, not as a
// silently unchanged task.
//
// Sources: twilio.com/docs/taskrouter/api/task (properties, update parameters, "Task Version":
// ETag on GET and POST, If-Match on update, 412 on mismatch, no check without If-Match),
// twilio.com/docs/usage/mutation-and-conflict-resolution, twilio.com/docs/taskrouter/lifecycle-task-state
// (completed and canceled are terminal; the task is deleted five minutes later),
// twilio.com/docs/api/errors/{20003,20404,20412,20429}.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DoubleChaos, type DoubleFault, FaultPlan, gatewayErrorPage } from '../faults.ts';
import { listenOnLoopback, seededRandom } from '../loopback.ts';
import {
  authenticate,
  invalidParameter,
  methodNotAllowed,
  notFound,
  preconditionFailed,
  serverError,
  tooManyRequests,
} from './twilio-errors.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const TASK_STATUSES = [
  'pending',
  'reserved',
  'assigned',
  'wrapping',
  'completed',
  'canceled',
] as const;
export type TaskAssignmentStatus = (typeof TASK_STATUSES)[number];
const FINAL_STATUSES: ReadonlySet<TaskAssignmentStatus> = new Set(['completed', 'canceled']);

/** Moves `AssignmentStatus` may make through the API (reservations are TaskRouter's own doing). */
const API_TRANSITIONS: Record<TaskAssignmentStatus, readonly TaskAssignmentStatus[]> = {
  pending: ['canceled'],
  reserved: ['canceled'],
  assigned: ['wrapping', 'completed'],
  wrapping: ['completed'],
  completed: [],
  canceled: [],
};

export type TwilioTaskSeed = {
  /** `WT` + 32 hex digits; generated when absent. */
  sid?: string;
  attributes?: JsonObject;
  /** Default `assigned`: an agent is working on it, as when Uplink sends a link. */
  assignmentStatus?: TaskAssignmentStatus;
  reason?: string;
  priority?: number;
};

/** Which TaskRouter requests a scripted fault may hit; all of them when empty. */
export type TwilioFaultMatch = { method?: 'GET' | 'POST'; taskSid?: string };

export type TwilioDoubleOptions = {
  accountSid?: string;
  authToken?: string;
  workspaceSid?: string;
  tasks?: readonly TwilioTaskSeed[];
  /**
   * What an `Attributes` update of a completed or canceled task gets: `reject` (default) answers 400,
   * `accept` applies it. Either way `deleteTask` ends the task for good (Twilio deletes it five
   * minutes after it reaches a terminal state), after which it is a 404.
   */
  finalStateAttributeUpdates?: 'reject' | 'accept';
  /** Refuse `Attributes` longer than this many bytes (TaskRouter limits them; off by default). */
  maxAttributesBytes?: number;
  chaos?: DoubleChaos;
  /** Seed of the generator behind random faults and latency (default 1). */
  seed?: number;
  now?: () => Date;
};

export type TwilioTaskSnapshot = {
  sid: string;
  /** Parsed; a copy, so changing it changes nothing in the double. */
  attributes: JsonObject;
  /** The `Attributes` string exactly as last written. */
  attributesJson: string;
  etag: string;
  assignmentStatus: TaskAssignmentStatus;
  reason: string | null;
  priority: number;
  dateCreated: Date;
  dateUpdated: Date;
  /** How many changes the task has seen since it was created (API, test and concurrent writes). */
  updates: number;
};

export type TwilioRequestRecord = {
  at: Date;
  method: string;
  path: string;
  /** The Basic-auth user name sent, if any (never the password). */
  user: string | undefined;
  ifMatch: string | undefined;
  contentType: string | undefined;
  /** The form parameters of a POST that parsed. */
  params: Record<string, string> | undefined;
  /** The status answered, or `reset` when the connection was destroyed. */
  status: number | 'reset';
  /** The injected fault that shaped the answer, if one did. */
  fault: DoubleFault['type'] | undefined;
  /** True when a concurrent write was made to the task just before this request was evaluated. */
  raced: boolean;
};

/** Mutates a copy of the task's attributes, as another system writing to the task would. */
export type ConcurrentWrite = (attributes: JsonObject, n: number) => JsonObject;

export type RaceOptions = {
  taskSid?: string;
  /** Where the default writer adds its entry: `reservation_attributes.<sid>.media` instead of `conversations.media`. */
  reservationSid?: string;
  write?: ConcurrentWrite;
};

export type ConcurrentWriteRecord = { taskSid: string; entry: JsonObject | undefined };

export type TwilioDouble = {
  /** `http://127.0.0.1:<port>`: the base URL a client puts in front of `/v1/Workspaces/...`. */
  url: string;
  accountSid: string;
  authToken: string;
  workspaceSid: string;
  taskUrl(sid: string): string;
  createTask(seed?: TwilioTaskSeed): string;
  task(sid: string): TwilioTaskSnapshot | undefined;
  /** `conversations.media` (or `reservation_attributes.<reservationSid>.media`), `[]` when absent. */
  media(sid: string, reservationSid?: string): JsonValue[];
  /** As TaskRouter moving the task on (no transition rules); changes the ETag. */
  setTaskStatus(sid: string, status: TaskAssignmentStatus, reason?: string): void;
  /** As a test's own write; changes the ETag. */
  setTaskAttributes(sid: string, attributes: JsonObject): void;
  /** As Twilio deleting a finished task: from now on it is a 404. */
  deleteTask(sid: string): void;
  /**
   * The next `count` updates that reach the task meet a concurrent writer first: between the
   * client's GET and its POST the task changes, so a POST carrying the ETag it read gets a 412.
   * The default writer appends its own media entry, which a correct client must keep.
   */
  raceNextUpdates(count?: number, options?: RaceOptions): void;
  readonly concurrentWrites: readonly ConcurrentWriteRecord[];
  injectFaults(faults: DoubleFault | readonly DoubleFault[], match?: TwilioFaultMatch): void;
  setChaos(chaos: DoubleChaos): void;
  clearFaults(): void;
  readonly requests: readonly TwilioRequestRecord[];
  stop(): Promise<void>;
};

type TaskState = {
  sid: string;
  attributesJson: string;
  attributes: JsonObject;
  etag: string;
  assignmentStatus: TaskAssignmentStatus;
  reason: string | null;
  priority: number;
  dateCreated: Date;
  dateUpdated: Date;
  updates: number;
  taskQueueSid: string;
  workflowSid: string;
  taskChannelSid: string;
};

type PendingRace = { remaining: number; options: RaceOptions };

const SID_PATTERN = { AC: /^AC[0-9a-f]{32}$/i, WS: /^WS[0-9a-f]{32}$/i, WT: /^WT[0-9a-f]{32}$/i };
const TASK_PATH = /^\/v1\/Workspaces\/([^/]+)\/Tasks\/([^/]+)$/;
const UPDATE_PARAMS = new Set(['Attributes', 'AssignmentStatus', 'Reason', 'Priority']);
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_PRIORITY = 2_147_483_647;

export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

export async function startTwilioDouble(options: TwilioDoubleOptions = {}): Promise<TwilioDouble> {
  const accountSid = checkSid('AC', options.accountSid ?? newSid('AC'), 'accountSid');
  const workspaceSid = checkSid('WS', options.workspaceSid ?? newSid('WS'), 'workspaceSid');
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const now = options.now ?? (() => new Date());
  const finalStateUpdates = options.finalStateAttributeUpdates ?? 'reject';
  const faults = new FaultPlan<TwilioFaultMatch>(
    'twilio',
    options.chaos ?? {},
    seededRandom(options.seed ?? 1),
  );
  const tasks = new Map<string, TaskState>();
  const requests: TwilioRequestRecord[] = [];
  const concurrentWrites: ConcurrentWriteRecord[] = [];
  const races: PendingRace[] = [];
  // One counter for every task, so an ETag read from one task never matches another.
  let version = 0;
  let baseUrl = '';

  const nextEtag = (): string => `"${++version}"`;
  const touch = (task: TaskState): void => {
    task.etag = nextEtag();
    task.dateUpdated = now();
    task.updates += 1;
  };
  const taskUrl = (sid: string): string => `${baseUrl}/v1/Workspaces/${workspaceSid}/Tasks/${sid}`;

  function createTask(seed: TwilioTaskSeed = {}): string {
    const sid = checkSid('WT', seed.sid ?? newSid('WT'), 'task sid');
    if (tasks.has(sid)) throw new Error(`twilio double: task ${sid} already exists`);
    const attributes = seed.attributes ?? {};
    const created = now();
    tasks.set(sid, {
      sid,
      attributesJson: JSON.stringify(attributes),
      attributes: structuredClone(attributes),
      etag: nextEtag(),
      assignmentStatus: seed.assignmentStatus ?? 'assigned',
      reason: seed.reason ?? null,
      priority: seed.priority ?? 0,
      dateCreated: created,
      dateUpdated: created,
      updates: 0,
      taskQueueSid: newSid('WQ'),
      workflowSid: newSid('WW'),
      taskChannelSid: newSid('TC'),
    });
    return sid;
  }

  function mustGet(sid: string): TaskState {
    const task = tasks.get(sid);
    if (task === undefined) throw new Error(`twilio double: no task ${sid}`);
    return task;
  }

  function writeAttributes(task: TaskState, attributes: JsonObject, json = JSON.stringify(attributes)): void {
    task.attributes = structuredClone(attributes);
    task.attributesJson = json;
  }

  /** Applies the first pending race that targets this task, if any. */
  function race(task: TaskState): boolean {
    const pending = races.find((r) => r.options.taskSid === undefined || r.options.taskSid === task.sid);
    if (pending === undefined) return false;
    pending.remaining -= 1;
    if (pending.remaining === 0) races.splice(races.indexOf(pending), 1);
    const n = concurrentWrites.length + 1;
    const copy = structuredClone(task.attributes);
    let entry: JsonObject | undefined;
    let next: JsonObject;
    if (pending.options.write) {
      next = pending.options.write(copy, n);
    } else {
      entry = {
        type: 'Referenced',
        url: `https://concurrent-writer.invalid/media/${n}`,
        title: `Concurrent writer ${n}`,
      };
      next = appendMedia(copy, entry, pending.options.reservationSid);
    }
    writeAttributes(task, next);
    touch(task);
    concurrentWrites.push({ taskSid: task.sid, entry });
    return true;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, serverError(500));
      else res.destroy(error instanceof Error ? error : undefined);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = await readBody(req);
    const credentials = basicCredentials(req.headers.authorization);
    const record: TwilioRequestRecord = {
      at: now(),
      method,
      path,
      user: credentials?.user,
      ifMatch: req.headers['if-match'],
      contentType: req.headers['content-type'],
      params: undefined,
      status: 0,
      fault: undefined,
      raced: false,
    };
    requests.push(record);
    const reply = (status: number, payload: object, headers: Record<string, string> = {}): void => {
      record.status = status;
      send(res, status, payload, headers);
    };

    const latency = faults.latencyMs();
    if (latency > 0) await sleep(latency);

    if (credentials?.user !== accountSid || credentials.password !== authToken) {
      return reply(401, authenticate(), { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
    }
    if (body === undefined) return reply(400, invalidParameter('(double) request body over 1 MiB'));
    const match = TASK_PATH.exec(path);
    const task = match?.[1] === workspaceSid && match[2] !== undefined ? tasks.get(match[2]) : undefined;
    if (task === undefined) return reply(404, notFound(path));
    if (method !== 'GET' && method !== 'POST') return reply(405, methodNotAllowed(), { Allow: 'GET, POST' });

    const fault = faults.next({ method, taskSid: task.sid });
    record.fault = fault?.type;
    if (fault?.delayMs) await sleep(fault.delayMs);
    const failAfterApply = fault !== undefined && 'applyFirst' in fault && fault.applyFirst === true;
    if (fault !== undefined && fault.type !== 'slow' && !failAfterApply) {
      return failWith(fault, record, res);
    }

    if (method === 'GET') return reply(200, taskJson(task), { ETag: task.etag });

    const params = parseForm(req.headers['content-type'], body);
    if (typeof params === 'string') return reply(400, invalidParameter(params));
    record.params = params;
    record.raced = race(task);

    const invalid = validateUpdate(task, params, options.maxAttributesBytes);
    if (invalid !== undefined) return reply(400, invalidParameter(invalid));
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== task.etag) return reply(412, preconditionFailed());
    if (
      params.Attributes !== undefined &&
      FINAL_STATUSES.has(task.assignmentStatus) &&
      finalStateUpdates === 'reject'
    ) {
      return reply(
        400,
        invalidParameter(
          `Task ${task.sid} is ${task.assignmentStatus}; its attributes can no longer be updated`,
        ),
      );
    }

    applyUpdate(task, params);
    if (failAfterApply) return failWith(fault, record, res);
    return reply(200, taskJson(task), { ETag: task.etag });
  }

  function failWith(fault: DoubleFault, record: TwilioRequestRecord, res: ServerResponse): void {
    if (fault.type === 'rate-limit') {
      record.status = 429;
      send(res, 429, tooManyRequests(), { 'Retry-After': String(fault.retryAfterSeconds ?? 1) });
    } else if (fault.type === 'server-error') {
      const status = fault.status ?? 500;
      record.status = status;
      if (status === 502) {
        const page = gatewayErrorPage(status);
        res.writeHead(status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) });
        res.end(page);
      } else send(res, status, serverError(status));
    } else if (fault.type === 'reset') {
      record.status = 'reset';
      res.socket?.destroy();
    }
  }

  function applyUpdate(task: TaskState, params: Record<string, string>): void {
    let changed = false;
    if (params.Attributes !== undefined) {
      writeAttributes(task, JSON.parse(params.Attributes) as JsonObject, params.Attributes);
      changed = true;
    }
    if (params.AssignmentStatus !== undefined) {
      task.assignmentStatus = params.AssignmentStatus as TaskAssignmentStatus;
      changed = true;
    }
    if (params.Reason !== undefined) {
      task.reason = params.Reason;
      changed = true;
    }
    if (params.Priority !== undefined) {
      task.priority = Number(params.Priority);
      changed = true;
    }
    if (changed) touch(task);
  }

  function taskJson(task: TaskState): Record<string, JsonValue> {
    const url = taskUrl(task.sid);
    const workspaceUrl = `${baseUrl}/v1/Workspaces/${workspaceSid}`;
    return {
      account_sid: accountSid,
      addons: '{}',
      age: Math.max(0, Math.floor((now().getTime() - task.dateCreated.getTime()) / 1000)),
      assignment_status: task.assignmentStatus,
      attributes: task.attributesJson,
      date_created: twilioDate(task.dateCreated),
      date_updated: twilioDate(task.dateUpdated),
      task_queue_entered_date: twilioDate(task.dateCreated),
      virtual_start_time: twilioDate(task.dateCreated),
      priority: task.priority,
      reason: task.reason,
      sid: task.sid,
      task_queue_sid: task.taskQueueSid,
      task_queue_friendly_name: 'Everyone',
      task_channel_sid: task.taskChannelSid,
      task_channel_unique_name: 'default',
      timeout: 86_400,
      workflow_sid: task.workflowSid,
      workflow_friendly_name: 'Assign to Anyone',
      workspace_sid: workspaceSid,
      ignore_capacity: false,
      routing_target: null,
      url,
      links: {
        task_queue: `${workspaceUrl}/TaskQueues/${task.taskQueueSid}`,
        workflow: `${workspaceUrl}/Workflows/${task.workflowSid}`,
        workspace: workspaceUrl,
        reservations: `${url}/Reservations`,
      },
    };
  }

  for (const seed of options.tasks ?? []) createTask(seed);

  baseUrl = await listenOnLoopback(server);

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    accountSid,
    authToken,
    workspaceSid,
    taskUrl,
    createTask,
    task(sid) {
      const task = tasks.get(sid);
      if (task === undefined) return undefined;
      return {
        sid: task.sid,
        attributes: structuredClone(task.attributes),
        attributesJson: task.attributesJson,
        etag: task.etag,
        assignmentStatus: task.assignmentStatus,
        reason: task.reason,
        priority: task.priority,
        dateCreated: task.dateCreated,
        dateUpdated: task.dateUpdated,
        updates: task.updates,
      };
    },
    media(sid, reservationSid) {
      const list = mediaList(mustGet(sid).attributes, reservationSid);
      return list === undefined ? [] : structuredClone(list);
    },
    setTaskStatus(sid, status, reason) {
      const task = mustGet(sid);
      task.assignmentStatus = status;
      if (reason !== undefined) task.reason = reason;
      touch(task);
    },
    setTaskAttributes(sid, attributes) {
      const task = mustGet(sid);
      writeAttributes(task, attributes);
      touch(task);
    },
    deleteTask(sid) {
      mustGet(sid);
      tasks.delete(sid);
    },
    raceNextUpdates(count = 1, raceOptions = {}) {
      if (!Number.isInteger(count) || count < 1) throw new RangeError('twilio double: count must be >= 1');
      races.push({ remaining: count, options: { ...raceOptions } });
    },
    concurrentWrites,
    injectFaults(list, match = {}) {
      faults.inject(list, match);
    },
    setChaos(chaos) {
      faults.setChaos(chaos);
    },
    clearFaults() {
      faults.clear();
      races.length = 0;
    },
    requests,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/** Checks an update's parameters; returns the refusal message, or undefined when they are acceptable. */
function validateUpdate(
  task: TaskState,
  params: Record<string, string>,
  maxAttributesBytes: number | undefined,
): string | undefined {
  if (params.Attributes !== undefined) {
    const problem = attributesProblem(params.Attributes, maxAttributesBytes);
    if (problem !== undefined) return problem;
  }
  const status = params.AssignmentStatus;
  if (status !== undefined) {
    if (!(TASK_STATUSES as readonly string[]).includes(status)) {
      return `AssignmentStatus must be one of ${TASK_STATUSES.join(', ')}`;
    }
    const to = status as TaskAssignmentStatus;
    if (to !== task.assignmentStatus && !API_TRANSITIONS[task.assignmentStatus].includes(to)) {
      return `Task ${task.sid} cannot move from ${task.assignmentStatus} to ${to}`;
    }
    if (FINAL_STATUSES.has(to) && (params.Reason ?? '') === '') {
      return `Reason is required when AssignmentStatus is ${to}`;
    }
  }
  const priority = params.Priority;
  if (priority !== undefined && (!/^\d+$/.test(priority) || Number(priority) > MAX_PRIORITY)) {
    return `Priority must be an integer from 0 to ${MAX_PRIORITY}`;
  }
  return undefined;
}

function attributesProblem(json: string, maxBytes: number | undefined): string | undefined {
  if (maxBytes !== undefined && Buffer.byteLength(json) > maxBytes) {
    return `Attributes exceed ${maxBytes} bytes`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return 'Attributes must be a valid JSON string';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return 'Attributes must be a JSON object';
  }
  return undefined;
}

/**
 * Parses an `application/x-www-form-urlencoded` body into single-valued parameters; returns the
 * refusal message for anything else. Twilio would ignore an unknown parameter (warning 20001); the
 * double refuses it, and a JSON body, so a misnamed field cannot pass as a successful update.
 */
function parseForm(contentType: string | undefined, body: Buffer): Record<string, string> | string {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    return `(double) Content-Type must be application/x-www-form-urlencoded, not ${contentType ?? 'none'}`;
  }
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
    if (!UPDATE_PARAMS.has(key)) {
      return `(double) unsupported parameter ${key}; expected ${[...UPDATE_PARAMS].join(', ')}`;
    }
    if (key in params) return `(double) parameter ${key} given more than once`;
    params[key] = value;
  }
  return params;
}

function mediaList(attributes: JsonObject, reservationSid: string | undefined): JsonValue[] | undefined {
  const holder =
    reservationSid === undefined
      ? asObject(attributes.conversations)
      : asObject(asObject(attributes.reservation_attributes)?.[reservationSid]);
  const media = holder?.media;
  return Array.isArray(media) ? media : undefined;
}

function appendMedia(
  attributes: JsonObject,
  entry: JsonObject,
  reservationSid: string | undefined,
): JsonObject {
  let holder: JsonObject;
  if (reservationSid === undefined) {
    holder = asObject(attributes.conversations) ?? {};
    attributes.conversations = holder;
  } else {
    const reservations = asObject(attributes.reservation_attributes) ?? {};
    attributes.reservation_attributes = reservations;
    holder = asObject(reservations[reservationSid]) ?? {};
    reservations[reservationSid] = holder;
  }
  holder.media = [...(Array.isArray(holder.media) ? holder.media : []), entry];
  return attributes;
}

function asObject(value: JsonValue | undefined): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  payload: object,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Twilio's JSON dates: ISO 8601 in UTC, whole seconds. */
function twilioDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function checkSid(prefix: keyof typeof SID_PATTERN, sid: string, name: string): string {
  if (!SID_PATTERN[prefix].test(sid)) {
    throw new Error(`twilio double: ${name} must be ${prefix} followed by 32 hex digits, got ${sid}`);
  }
  return sid;
}
