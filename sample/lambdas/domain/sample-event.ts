/** What a sample consumer's domain logic needs to know about an event it handles. */
export interface SampleEvent {
  /** The consumer handling the event, recorded with every effect. */
  readonly consumer: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly data: unknown;
  /**
   * Set when the event's data subject was erased after the event was published: the consumer
   * must skip its personal-data effect and record that it did.
   */
  readonly erasure?: SubjectErasure;
}

/** The erasure that makes an event stale. */
export interface SubjectErasure {
  readonly erasedAt: string;
  readonly erasureEventId: string;
}
