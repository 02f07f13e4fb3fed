// Twilio Flex: each file of a submission becomes a media entry on the TaskRouter task the link was
// made for, shown to agents and supervisors on the Flex Insights Conversation Screen.
//
// Sources: twilio.com/docs/flex/developer/insights/custom-media-attached-conversations (the
// `conversations.media` and `reservation_attributes.<WR>.media` lists; `Referenced` and `Embedded`
// entries are `{type, url, title}`; adding media hides the default recording and transcript unless
// they stay listed, so every existing entry is kept), twilio.com/docs/taskrouter/api/task (GET and
// POST a task, `Attributes` a JSON string, ETag / If-Match with 412 on a mismatch),
// twilio.com/docs/taskrouter/lifecycle-task-state (a finished task is deleted five minutes later).
//
// Audio is not sent as a `VoiceRecording` entry: Flex plays only the first VoiceRecording of a
// list (usually the call's own recording), and one needs `start_time` and `channels` that place it
// on the conversation's timeline, which a customer's voice note does not have; wrong values skew
// talk-time metrics. It gets the same link entry as any other file.

import { setTimeout as sleep } from 'node:timers/promises';
import { TWILIO_TASKROUTER_URL } from '@uplink/contracts';
import type { EgressClient, EgressResponse } from '@uplink/egress';
import {
  type Delivery,
  type DeliveryOutcome,
  type Destination,
  outcomeForError,
  outcomeForStatus,
} from './destination.ts';

export type TwilioFlexMediaEntry = 'Referenced' | 'Embedded';

export type TwilioFlexConfig = {
  accountSid: string;
  /** The auth token, or an API key secret when `accountSid` is an API key sid. */
  authToken: string;
  workspaceSid: string;
  /** Default `https://taskrouter.twilio.com`; a local double in tests. */
  baseUrl?: string | undefined;
  /** `Referenced` (default): a link on the Conversation Screen; `Embedded`: the page in an iframe. */
  mediaEntry?: TwilioFlexMediaEntry | undefined;
};

export type TwilioFlexOptions = {
  /** The one client for tenant-chosen hosts: address rules, no redirects, capped reads. */
  egress: EgressClient;
  /** Validity of the viewer link put in the entry (default 24 hours). */
  linkTtlMs?: number;
  /** Per HTTP request (default 15 s). */
  requestTimeoutMs?: number;
  /** How many times a 412 (another writer changed the task) is met by reading it again (default 10). */
  maxConflictRetries?: number;
  /** For tests: the jitter source of the 412 backoff. */
  random?: () => number;
};

/** The field that marks an entry as this file's, so a redelivery finds it instead of adding another. */
export const UPLOAD_ID_FIELD = 'uplink_upload_id';

const DEFAULT_LINK_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_CONFLICT_RETRIES = 10;
/** A task with its attributes is a few KB (TaskRouter caps attributes at 16 KB); errors less. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const CONFLICT_BACKOFF_BASE_MS = 20;
const CONFLICT_BACKOFF_CAP_MS = 500;
const FINAL_STATUSES = new Set(['completed', 'canceled']);
const WHAT = 'TaskRouter';

/**
 * Where the media goes, from the link's `ticket.id`:
 * - `WT<32 hex>`: the task's own list, `attributes.conversations.media`;
 * - `WT<32 hex>:WR<32 hex>`: one reservation's list, `attributes.reservation_attributes.<WR>.media`
 *   (Flex shows it on that reservation's segments instead of the task-level list). `/` is accepted
 *   in place of `:`, but a ticket id with `/` does not pass the contracts' `TicketId` pattern.
 */
export type FlexTaskRef = { taskSid: string; reservationSid: string | undefined };

const TICKET_ID = /^(WT[0-9a-fA-F]{32})(?:[:/](WR[0-9a-fA-F]{32}))?$/;

export function parseFlexTicketId(id: string): FlexTaskRef | undefined {
  const match = TICKET_ID.exec(id);
  if (match?.[1] === undefined) return undefined;
  return { taskSid: match[1], reservationSid: match[2] };
}

type TaskRead = { etag: string; attributes: string; status: string | undefined };

/**
 * Adds one media entry per file of a submission to a Flex task with optimistic concurrency: GET the
 * task, merge the entries into the list keeping everything else, POST the whole `Attributes` with
 * `If-Match` (all files in one update); a 412 means someone else wrote first, so read again and
 * merge again (bounded, jittered).
 *
 * Idempotent by construction, per file: every entry carries `uplink_upload_id`, and an attempt
 * adds only the files not listed yet (an earlier POST landed but its answer was lost), returning
 * `posted` without writing when all are. The guarantee holds as long as nobody removes the marker
 * from an entry.
 *
 * A task that can no longer take the entry (deleted, or finished and refused) ends `failed` with
 * `fallback: true`, so the relay gives the upload to the tenant's fallback destination.
 */
export class TwilioFlexDestination implements Destination {
  readonly #taskBase: string;
  readonly #authorization: string;
  readonly #workspaceSid: string;
  readonly #mediaEntry: TwilioFlexMediaEntry;
  readonly #linkTtlMs: number;
  readonly #requestTimeoutMs: number;
  readonly #maxConflictRetries: number;
  readonly #random: () => number;
  readonly #egress: EgressClient;

  constructor(config: TwilioFlexConfig, options: TwilioFlexOptions) {
    const baseUrl = (config.baseUrl ?? TWILIO_TASKROUTER_URL).replace(/\/+$/, '');
    this.#workspaceSid = config.workspaceSid;
    this.#taskBase = `${baseUrl}/v1/Workspaces/${encodeURIComponent(config.workspaceSid)}/Tasks/`;
    this.#authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
    this.#mediaEntry = config.mediaEntry ?? 'Referenced';
    this.#linkTtlMs = options.linkTtlMs ?? DEFAULT_LINK_TTL_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#maxConflictRetries = options.maxConflictRetries ?? DEFAULT_MAX_CONFLICT_RETRIES;
    this.#random = options.random ?? Math.random;
    this.#egress = options.egress;
  }

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    const { ticket } = delivery.event.data;
    const ref = parseFlexTicketId(ticket.id);
    if (ref === undefined) {
      return {
        kind: 'failed',
        reason: `The link's ticket id ${ticket.id} is not a Twilio task (WT…) or task and reservation (WT…:WR…)`,
      };
    }
    const posted: DeliveryOutcome = {
      kind: 'posted',
      target: { noteId: `${ref.taskSid}:${delivery.files[0].uploadId}`, url: null, mode: 'link' },
    };
    // Minted once per file and attempt, and only when its entry is written: each call is a new
    // capability.
    const entries = new Map<string, Record<string, string>>();

    for (let conflicts = 0; ; conflicts += 1) {
      const read = await this.#read(ref, delivery.signal);
      if ('kind' in read) return read;

      const list = mediaList(read.attributes, ref.reservationSid);
      if (typeof list === 'string') {
        return {
          kind: 'failed',
          reason: `Task ${ref.taskSid}: ${list}; Uplink will not overwrite it`,
          fallback: true,
        };
      }
      const listed = new Set(list.map((item) => asObject(item)?.[UPLOAD_ID_FIELD]));
      const missing = delivery.files.filter((file) => !listed.has(file.uploadId));
      if (missing.length === 0) return posted;

      const adding: Record<string, string>[] = [];
      for (const file of missing) {
        let entry = entries.get(file.uploadId);
        if (entry === undefined) {
          try {
            entry = {
              type: this.#mediaEntry,
              url: await delivery.viewerUrl(file, this.#linkTtlMs),
              title: file.fileName,
              [UPLOAD_ID_FIELD]: file.uploadId,
            };
          } catch (err) {
            return outcomeForError(err, 'The file store');
          }
          entries.set(file.uploadId, entry);
        }
        adding.push(entry);
      }
      const attributes = withEntries(read.attributes, ref.reservationSid, adding);

      const written = await this.#write(ref, read, attributes, delivery.signal);
      if (written === 'ok') return posted;
      if (written !== 'conflict') return written;
      if (conflicts >= this.#maxConflictRetries) {
        return {
          kind: 'retry',
          reason: `Task ${ref.taskSid} kept changing: ${conflicts + 1} updates in a row answered 412`,
        };
      }
      const capMs = Math.min(CONFLICT_BACKOFF_CAP_MS, CONFLICT_BACKOFF_BASE_MS * 2 ** conflicts);
      try {
        await sleep(Math.round(capMs / 2 + (this.#random() * capMs) / 2), undefined, {
          signal: delivery.signal,
        });
      } catch (err) {
        return outcomeForError(err, WHAT);
      }
    }
  }

  async #read(ref: FlexTaskRef, signal: AbortSignal): Promise<TaskRead | DeliveryOutcome> {
    let response: EgressResponse;
    try {
      response = await this.#egress.request(this.#taskBase + ref.taskSid, {
        headers: { authorization: this.#authorization, accept: 'application/json' },
        signal,
        timeoutMs: this.#requestTimeoutMs,
        maxResponseBytes: MAX_ANSWER_BYTES,
      });
    } catch (err) {
      return outcomeForError(err, WHAT);
    }
    const body = response.text;
    if (!response.ok) return this.#refusal(ref, response, body, undefined);
    if (!response.complete) {
      return {
        kind: 'retry',
        reason: `${WHAT} answered task ${ref.taskSid} with more than ${MAX_ANSWER_BYTES} bytes`,
      };
    }

    const etag = response.headers.get('etag');
    let task: unknown;
    try {
      task = JSON.parse(body);
    } catch {
      return { kind: 'retry', reason: `${WHAT} answered a task that is not JSON` };
    }
    const fields = asObject(task);
    const attributes = fields?.attributes;
    if (typeof attributes !== 'string') {
      return { kind: 'retry', reason: `${WHAT} answered task ${ref.taskSid} without its attributes` };
    }
    // Without an ETag the update could not be conditional, and an unconditional one can drop
    // another writer's media: better to try again later than to lose someone's entry.
    if (!etag) return { kind: 'retry', reason: `${WHAT} answered task ${ref.taskSid} without an ETag` };
    const status = fields?.assignment_status;
    return { etag, attributes, status: typeof status === 'string' ? status : undefined };
  }

  async #write(
    ref: FlexTaskRef,
    read: TaskRead,
    attributes: string,
    signal: AbortSignal,
  ): Promise<'ok' | 'conflict' | DeliveryOutcome> {
    let response: EgressResponse;
    try {
      response = await this.#egress.request(this.#taskBase + ref.taskSid, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
          'if-match': read.etag,
        },
        body: new URLSearchParams({ Attributes: attributes }).toString(),
        signal,
        timeoutMs: this.#requestTimeoutMs,
        maxResponseBytes: MAX_ANSWER_BYTES,
      });
    } catch (err) {
      // The update may have landed; the next attempt reads the task and finds the entry if so.
      return outcomeForError(err, WHAT);
    }
    const body = response.text;
    if (response.ok) return 'ok';
    if (response.status === 412) return 'conflict';
    return this.#refusal(ref, response, body, read.status);
  }

  #refusal(
    ref: FlexTaskRef,
    response: EgressResponse,
    body: string,
    status: string | undefined,
  ): DeliveryOutcome {
    const detail = twilioErrorDetail(response.status, body);
    if (response.status === 401 || response.status === 403) {
      return { kind: 'failed', reason: `Twilio refused the credentials (${detail})` };
    }
    if (response.status === 404) {
      return {
        kind: 'failed',
        reason: `Task ${ref.taskSid} was not found in workspace ${this.#workspaceSid}; TaskRouter deletes tasks a few minutes after they end (${detail})`,
        fallback: true,
      };
    }
    if (response.status === 400) {
      const reason =
        status !== undefined && FINAL_STATUSES.has(status)
          ? `Task ${ref.taskSid} is ${status} and can no longer be changed (${detail})`
          : `${WHAT} refused to update task ${ref.taskSid} (${detail})`;
      return { kind: 'failed', reason, fallback: true };
    }
    return outcomeForStatus(response.status, WHAT, response.headers.get('retry-after'));
  }
}

/** `HTTP 400, code 20001: <message>` from Twilio's `{code, message}` body, when it has one. */
function twilioErrorDetail(status: number, body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `HTTP ${status}`;
  }
  const fields = asObject(parsed);
  const code = typeof fields?.code === 'number' ? `, code ${fields.code}` : '';
  const message = typeof fields?.message === 'string' ? `: ${fields.message.slice(0, 300)}` : '';
  return `HTTP ${status}${code}${message}`;
}

// ---------------------------------------------------------------------------------------------
// The attributes are someone else's document: parse it without losing anything, change one list,
// write it back. Numbers keep their exact source text (a 20-digit id, `1.0`), through the JSON
// source-text access that Node 22+ ships (`JSON.parse` reviver context, `JSON.rawJSON`).

type JsonWithSource = {
  rawJSON?: (text: string) => object;
  isRawJSON?: (value: unknown) => boolean;
};
const jsonSource = JSON as unknown as JsonWithSource;

function parseLossless(text: string): unknown {
  const { rawJSON } = jsonSource;
  return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && rawJSON && context?.source !== undefined && String(value) !== context.source
      ? rawJSON(context.source)
      : value,
  );
}

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (jsonSource.isRawJSON?.(value)) return undefined;
  return value as JsonObject;
}

/** The target media list (`[]` when the path is absent), or why it cannot be merged into. */
function mediaList(attributesJson: string, reservationSid: string | undefined): unknown[] | string {
  const located = locate(attributesJson, reservationSid);
  if (typeof located === 'string') return located;
  const media = located.holder?.media;
  return Array.isArray(media) ? media : [];
}

function withEntries(
  attributesJson: string,
  reservationSid: string | undefined,
  entries: JsonObject[],
): string {
  const located = locate(attributesJson, reservationSid);
  // `mediaList` was asked first on the same text, so this cannot fail.
  if (typeof located === 'string') throw new Error(located);
  const { root, parent, key } = located;
  const holder = located.holder ?? {};
  parent[key] = holder;
  holder.media = [...(Array.isArray(holder.media) ? holder.media : []), ...entries];
  return JSON.stringify(root);
}

type Located = { root: JsonObject; parent: JsonObject; key: string; holder: JsonObject | undefined };

/**
 * Finds the object that holds `media` (`conversations`, or `reservation_attributes.<WR>`) and its
 * parent, creating nothing. A value in the way that is not an object (or a `media` that is not a
 * list) is reported, never replaced.
 */
function locate(attributesJson: string, reservationSid: string | undefined): Located | string {
  let parsed: unknown;
  try {
    parsed = parseLossless(attributesJson === '' ? '{}' : attributesJson);
  } catch {
    return 'its attributes are not valid JSON';
  }
  const root = asObject(parsed);
  if (root === undefined) return 'its attributes are not a JSON object';

  let parent = root;
  let key = 'conversations';
  if (reservationSid !== undefined) {
    const reservations = root.reservation_attributes;
    if (reservations === undefined || reservations === null) {
      parent = {};
      root.reservation_attributes = parent;
    } else {
      const object = asObject(reservations);
      if (object === undefined) return 'attributes.reservation_attributes is not an object';
      parent = object;
    }
    key = reservationSid;
  }
  const value = parent[key];
  const path = reservationSid === undefined ? 'attributes.conversations' : `reservation_attributes.${key}`;
  // `null` holds nothing, so an object in its place loses nothing.
  if (value === undefined || value === null) return { root, parent, key, holder: undefined };
  const holder = asObject(value);
  if (holder === undefined) return `${path} is not an object`;
  const media = holder.media;
  if (media !== undefined && media !== null && !Array.isArray(media)) return `${path}.media is not a list`;
  return { root, parent, key, holder };
}
