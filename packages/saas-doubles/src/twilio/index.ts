// The Twilio TaskRouter double. Names carry "Twilio" so that `export *` next to the other doubles
// cannot clash.
export {
  type ConcurrentWrite as TwilioConcurrentWrite,
  type ConcurrentWriteRecord as TwilioConcurrentWriteRecord,
  type JsonObject as TwilioJsonObject,
  type JsonValue as TwilioJsonValue,
  newSid as newTwilioSid,
  type RaceOptions as TwilioRaceOptions,
  startTwilioDouble,
  TASK_STATUSES as TWILIO_TASK_STATUSES,
  type TaskAssignmentStatus as TwilioTaskAssignmentStatus,
  type TwilioDouble,
  type TwilioDoubleOptions,
  type TwilioFaultMatch,
  type TwilioRequestRecord,
  type TwilioTaskSeed,
  type TwilioTaskSnapshot,
} from './twilio-double.ts';
export type { TwilioErrorBody } from './twilio-errors.ts';
