/** What a sample consumer's domain logic needs to know about an event it handles. */
export interface SampleEvent {
  /** The consumer handling the event, recorded with every effect. */
  readonly consumer: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly data: unknown;
}
