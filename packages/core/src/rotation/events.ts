/**
 * What rotation reports to the outside (alerts, logs): names, revisions and reasons, never a value.
 * The runner takes an optional `onEvent` callback; the alerts module's notify() plugs in there.
 */
export type RotationEventType = "rotation.staged" | "rotation.confirmed" | "rotation.rolled-back" | "rotation.failed";

export interface RotationEvent {
  readonly type: RotationEventType;
  readonly tenant: string;
  readonly name: string;
  /** The revision this event produced or concerns. */
  readonly revision?: number | undefined;
  readonly previousRevision?: number | undefined;
  /** rotation.failed: why, in words that contain no value. */
  readonly reason?: string | undefined;
  /** rotation.failed during a gradual rollout: the target that failed. */
  readonly target?: string | undefined;
  readonly at: string;
}

export type RotationEventSink = (event: RotationEvent) => void | Promise<void>;

/** Delivers an event; a failing sink must not turn a done rotation into a failed one. */
export async function emitRotationEvent(sink: RotationEventSink | undefined, event: Omit<RotationEvent, "at">): Promise<void> {
  if (!sink) return;
  try {
    await sink({ ...event, at: new Date().toISOString() });
  } catch {
    // The sink (e.g. a webhook) reports its own failures; rotation state is already recorded.
  }
}
