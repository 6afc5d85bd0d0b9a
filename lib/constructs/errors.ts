/**
 * Thrown at synth when a queueflow construct is configured in a way that cannot work once
 * deployed (a duplicate name, an unknown event type, a visibility timeout shorter than the
 * function could run…). The message names the construct, the setting and what to do instead.
 *
 * @example
 * ```ts
 * try {
 *   workflow.addConsumer({ name: 'email', eventTypes: ['order.shipped'], entry });
 * } catch (error) {
 *   if (error instanceof QueueflowConfigError) console.error(error.message);
 * }
 * ```
 */
export class QueueflowConfigError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueflowConfigError';
  }
}
