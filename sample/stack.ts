import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import {
  ACCOUNT_KEY,
  AccountChargedBody,
  AccountOpenedBody,
  AccountVerifiedBody,
  EventTypes,
  OrderPlacedBody,
  UserErasureRequestedBody,
} from './events.ts';
import { QueueWorkflow, addReadableOutput, createQueueflowTable } from 'queueflow';
import { SampleOutputKeys } from './output-keys.ts';

const handlerEntry = (file: string): string => fileURLToPath(new URL(`./lambdas/handlers/${file}`, import.meta.url));

/**
 * The sample: orders and erasure requests fan out to email, SMS and inventory consumers, whose
 * effects land in a ledger table keyed on each effect's idempotency key, so a repeated attempt is
 * absorbed and counted rather than performed twice.
 */
export class QueueflowSampleStack extends Stack {
  public readonly workflow: QueueWorkflow;
  public readonly ledgerTable: Table;
  /** Billing's account state (the ordered account lifecycle). */
  public readonly accountTable: Table;

  public constructor(scope: Construct, id = 'QueueflowSample', props: StackProps = {}) {
    super(scope, id, { stackName: 'QueueflowSample', description: 'queueflow sample: orders and erasure requests', ...props });

    this.workflow = new QueueWorkflow(this, 'Workflow', {
      eventSource: 'queueflow/sample',
      // A demo is torn down with `cdk destroy`; production workflows keep the RETAIN default.
      removalPolicy: RemovalPolicy.DESTROY,
      // No alarmEmail here: the address comes only from `cdk deploy -c queueflow:alarmEmail=…`,
      // which the workflow reads itself (ALARM_EMAIL_CONTEXT_KEY); without it, alarms still
      // notify the AlarmTopicArn topic, which has no subscriber.
      // The retry budget is the library's default (an hour, then the DLQ; permanent failures go
      // at once). A 10 s timeout keeps the visibility timeout, and so a crashed batch's wait, at 60 s.
      consumerDefaults: { timeout: Duration.seconds(10) },
      eventTypes: [
        // The customer is the order's data subject: their erasure stops its confirmations.
        { name: EventTypes.OrderPlaced, route: { method: 'POST', path: '/orders' }, schema: OrderPlacedBody, subject: '/customer/id' },
        {
          name: EventTypes.UserErasureRequested,
          route: { method: 'POST', path: '/users/{userId}/erasure' },
          schema: UserErasureRequestedBody,
          subject: '/userId',
          erasesSubject: true,
        },
        // The account lifecycle, ordered by account (a FIFO topic and FIFO queues): billing gets
        // each account's events in the order they were published, other accounts' in parallel.
        { name: EventTypes.AccountOpened, route: { method: 'POST', path: '/accounts' }, schema: AccountOpenedBody, orderedBy: ACCOUNT_KEY },
        {
          name: EventTypes.AccountVerified,
          route: { method: 'POST', path: '/accounts/{accountId}/verification' },
          schema: AccountVerifiedBody,
          orderedBy: ACCOUNT_KEY,
        },
        {
          name: EventTypes.AccountCharged,
          route: { method: 'POST', path: '/accounts/{accountId}/charges' },
          schema: AccountChargedBody,
          orderedBy: ACCOUNT_KEY,
        },
      ],
    });

    this.ledgerTable = createQueueflowTable(this, 'LedgerTable', { partitionKey: 'pk', removalPolicy: RemovalPolicy.DESTROY });
    addReadableOutput(this, SampleOutputKeys.LedgerTableName, this.ledgerTable.tableName, 'One item per effect the sample consumers perform');

    // Provider webhooks into the same topic (docs/webhooks.md): verified on the raw body, published
    // once per delivery as `stripe.<type>` / `github.<event>`, taken by consumers like any event type.
    this.workflow.addWebhookSource({ name: 'stripe', path: '/webhooks/stripe', verify: 'stripe' });
    this.workflow.addWebhookSource({ name: 'github', path: '/webhooks/github', verify: 'github' });

    const allEvents = [EventTypes.OrderPlaced, EventTypes.UserErasureRequested];
    const consumers = [
      { name: 'email', eventTypes: allEvents },
      { name: 'sms', eventTypes: allEvents },
      // Stock reservations hold no personal data, so inventory has nothing to erase.
      { name: 'inventory', eventTypes: [EventTypes.OrderPlaced] },
      // Each records the provider's event in the ledger with the provider's own id.
      { name: 'payments', eventTypes: ['stripe.payment_intent.succeeded', 'stripe.charge.refunded'] },
      { name: 'repository', eventTypes: ['github.push', 'github.ping'] },
    ];
    for (const { name, eventTypes } of consumers) {
      const consumer = this.workflow.addConsumer({
        name,
        eventTypes,
        entry: handlerEntry(`${name}-consumer.ts`),
        environment: { LEDGER_TABLE_NAME: this.ledgerTable.tableName },
      });
      // One idempotent upsert per effect (UpdateItem) on the consumer's own items; consumers never read the ledger.
      consumer.grantOwnItems(this.ledgerTable, ['UpdateItem']);
    }

    // Billing takes the ordered account lifecycle, and keeps each account's state to refuse a
    // charge before the verification (an ordered consumer: FIFO queue and DLQ).
    this.accountTable = createQueueflowTable(this, 'AccountTable', { partitionKey: 'pk', removalPolicy: RemovalPolicy.DESTROY });
    const billing = this.workflow.addConsumer({
      name: 'billing',
      eventTypes: [EventTypes.AccountOpened, EventTypes.AccountVerified, EventTypes.AccountCharged],
      entry: handlerEntry('billing-consumer.ts'),
      environment: { LEDGER_TABLE_NAME: this.ledgerTable.tableName, ACCOUNTS_TABLE_NAME: this.accountTable.tableName },
    });
    billing.grantOwnItems(this.ledgerTable, ['UpdateItem']);
    billing.grantOwnItems(this.accountTable, ['GetItem', 'PutItem']);
  }
}
