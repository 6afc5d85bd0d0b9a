import { describe, expect, it } from 'vitest';
import { answerSqsQuery, isSqsAction, SQS_XML_NAMESPACE, type JsonCall, type JsonReply } from '../../../lib/local/sqs-query-protocol.ts';

const QUEUE_URL = 'http://127.0.0.1:4566/000000000000/orders';

/** A JSON-protocol SQS that records each call and answers from `answers` (by action). */
function fakeSqs(answers: Record<string, JsonReply | ((input: Record<string, unknown>) => JsonReply)> = {}) {
  const calls: { action: string; input: Record<string, unknown> }[] = [];
  const call: JsonCall = async (action, input) => {
    calls.push({ action, input: JSON.parse(JSON.stringify(input)) as Record<string, unknown> });
    const answer = answers[action] ?? { status: 200, body: {} };
    return typeof answer === 'function' ? answer(input) : answer;
  };
  return { calls, call };
}

const query = (fields: Record<string, string>) => new URLSearchParams({ Version: '2012-11-05', ...fields });

describe('answerSqsQuery', () => {
  it('turns SendMessage with MessageAttribute.N into the JSON call, and its result into SendMessageResponse XML', async () => {
    // Prepare
    const sqs = fakeSqs({ SendMessage: { status: 200, body: { MessageId: 'm-1', MD5OfMessageBody: 'body-md5', MD5OfMessageAttributes: 'attr-md5' } } });
    const params = query({
      Action: 'SendMessage',
      QueueUrl: QUEUE_URL,
      MessageBody: 'hello',
      DelaySeconds: '2',
      'MessageAttribute.1.Name': 'eventType',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'order.placed',
      'MessageAttribute.2.Name': 'blob',
      'MessageAttribute.2.Value.DataType': 'Binary',
      'MessageAttribute.2.Value.BinaryValue': 'AAEC',
    });

    // Act
    const reply = await answerSqsQuery(params, { call: sqs.call });

    // Assess
    expect(sqs.calls).toEqual([
      {
        action: 'SendMessage',
        input: {
          QueueUrl: QUEUE_URL,
          MessageBody: 'hello',
          DelaySeconds: 2,
          MessageAttributes: { eventType: { DataType: 'String', StringValue: 'order.placed' }, blob: { DataType: 'Binary', BinaryValue: 'AAEC' } },
        },
      },
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<SendMessageResponse xmlns="${SQS_XML_NAMESPACE}"><SendMessageResult>` +
        '<MD5OfMessageBody>body-md5</MD5OfMessageBody><MD5OfMessageAttributes>attr-md5</MD5OfMessageAttributes><MessageId>m-1</MessageId>' +
        `</SendMessageResult><ResponseMetadata><RequestId>${reply.requestId}</RequestId></ResponseMetadata></SendMessageResponse>`,
    );
  });

  it('reads ReceiveMessage lists and numbers, and writes each message with flattened Attribute and MessageAttribute elements', async () => {
    // Prepare
    const message = {
      MessageId: 'm-1',
      ReceiptHandle: 'rh-1',
      MD5OfBody: 'md5',
      Body: 'a <b> & "c"\r\nd',
      Attributes: { ApproximateReceiveCount: '1' },
      MD5OfMessageAttributes: 'md5-attrs',
      MessageAttributes: { eventType: { StringValue: 'order.placed', DataType: 'String' } },
    };
    const sqs = fakeSqs({ ReceiveMessage: { status: 200, body: { Messages: [message] } } });
    const params = query({
      Action: 'ReceiveMessage',
      QueueUrl: QUEUE_URL,
      'AttributeName.1': 'ApproximateReceiveCount',
      'AttributeName.2': 'SentTimestamp',
      'MessageAttributeName.1': 'All',
      MaxNumberOfMessages: '10',
      WaitTimeSeconds: '1',
      VisibilityTimeout: '30',
    });

    // Act
    const reply = await answerSqsQuery(params, { call: sqs.call });

    // Assess
    expect(sqs.calls[0]!.input).toEqual({
      QueueUrl: QUEUE_URL,
      AttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      MessageAttributeNames: ['All'],
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 30,
      WaitTimeSeconds: 1,
    });
    expect(reply.body).toContain(
      '<ReceiveMessageResult><Message><MessageId>m-1</MessageId><ReceiptHandle>rh-1</ReceiptHandle><MD5OfBody>md5</MD5OfBody>' +
        '<Body>a &lt;b&gt; &amp; &quot;c&quot;&#x0D;&#x0A;d</Body>' +
        '<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute><MD5OfMessageAttributes>md5-attrs</MD5OfMessageAttributes>' +
        '<MessageAttribute><Name>eventType</Name><Value><StringValue>order.placed</StringValue><DataType>String</DataType></Value></MessageAttribute>' +
        '</Message></ReceiveMessageResult>',
    );
  });

  it('answers an empty receive with an empty ReceiveMessageResult', async () => {
    const reply = await answerSqsQuery(query({ Action: 'ReceiveMessage', QueueUrl: QUEUE_URL }), { call: fakeSqs({ ReceiveMessage: { status: 200, body: {} } }).call });
    expect(reply.body).toContain('<ReceiveMessageResult/>');
  });

  it('reads batch entries and Attribute.N.Name/Value maps in index order', async () => {
    // Prepare
    const sqs = fakeSqs({
      DeleteMessageBatch: {
        status: 200,
        body: { Successful: [{ Id: 'a' }], Failed: [{ Id: 'b', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'bad' }] },
      },
    });

    // Act
    await answerSqsQuery(query({ Action: 'SetQueueAttributes', QueueUrl: QUEUE_URL, 'Attribute.2.Name': 'DelaySeconds', 'Attribute.2.Value': '5', 'Attribute.1.Name': 'VisibilityTimeout', 'Attribute.1.Value': '60' }), sqs);
    const batch = await answerSqsQuery(
      query({
        Action: 'DeleteMessageBatch',
        QueueUrl: QUEUE_URL,
        'DeleteMessageBatchRequestEntry.10.Id': 'b',
        'DeleteMessageBatchRequestEntry.10.ReceiptHandle': 'rh-b',
        'DeleteMessageBatchRequestEntry.2.Id': 'a',
        'DeleteMessageBatchRequestEntry.2.ReceiptHandle': 'rh-a',
      }),
      sqs,
    );

    // Assess
    expect(sqs.calls.map((call) => call.input)).toEqual([
      { QueueUrl: QUEUE_URL, Attributes: { VisibilityTimeout: '60', DelaySeconds: '5' } },
      { QueueUrl: QUEUE_URL, Entries: [{ Id: 'a', ReceiptHandle: 'rh-a' }, { Id: 'b', ReceiptHandle: 'rh-b' }] },
    ]);
    expect(batch.body).toContain(
      '<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>' +
        '<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code><Message>bad</Message></BatchResultErrorEntry>' +
        '</DeleteMessageBatchResult>',
    );
  });

  it('takes the queue from the request path when QueueUrl is not in the body', async () => {
    const sqs = fakeSqs();
    const reply = await answerSqsQuery(query({ Action: 'PurgeQueue' }), { call: sqs.call, queueUrl: QUEUE_URL });
    expect(sqs.calls).toEqual([{ action: 'PurgeQueue', input: { QueueUrl: QUEUE_URL } }]);
    expect(reply.body).toContain(`<PurgeQueueResponse xmlns="${SQS_XML_NAMESPACE}"><ResponseMetadata><RequestId>`);
  });

  it('answers a JSON-protocol error with the query error code and an ErrorResponse', async () => {
    // Prepare
    const sqs = fakeSqs({ GetQueueUrl: { status: 400, body: { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' } } });

    // Act
    const reply = await answerSqsQuery(query({ Action: 'GetQueueUrl', QueueName: 'missing' }), sqs);

    // Assess
    expect(reply.status).toBe(400);
    expect(reply.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<ErrorResponse xmlns="${SQS_XML_NAMESPACE}"><Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>` +
        `<Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>${reply.requestId}</RequestId></ErrorResponse>`,
    );
  });

  it.each([
    ['QueueNameExists', 'QueueAlreadyExists', 400],
    ['PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', 403],
    ['EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 400],
    ['InvalidParameterValue', 'InvalidParameterValue', 400],
  ])('answers the JSON error %s with the query code %s', async (jsonCode, queryCode, status) => {
    const sqs = fakeSqs({ CreateQueue: { status: 400, body: { __type: `com.amazonaws.sqs#${jsonCode}`, message: 'no' } } });
    const reply = await answerSqsQuery(query({ Action: 'CreateQueue', QueueName: 'q' }), sqs);
    expect(reply.status).toBe(status);
    expect(reply.body).toContain(`<Code>${queryCode}</Code>`);
  });

  it('answers an unknown action with InvalidAction, a missing one with MissingAction, and calls nothing', async () => {
    const sqs = fakeSqs();
    const unknown = await answerSqsQuery(query({ Action: 'Bogus' }), sqs);
    const unsupported = await answerSqsQuery(query({ Action: 'StartMessageMoveTask' }), sqs);
    const missing = await answerSqsQuery(query({}), sqs);
    expect(unknown).toMatchObject({ status: 400, body: expect.stringContaining('<Code>InvalidAction</Code><Message>The action Bogus is not valid for this endpoint.</Message>') });
    expect(unsupported.body).toContain('The action StartMessageMoveTask is not emulated by the local runtime.');
    expect(missing).toMatchObject({ status: 400, body: expect.stringContaining('<Code>MissingAction</Code>') });
    expect(sqs.calls).toEqual([]);
  });

  it('refuses a number that is not an integer with InvalidParameterValue', async () => {
    const reply = await answerSqsQuery(query({ Action: 'ReceiveMessage', QueueUrl: QUEUE_URL, MaxNumberOfMessages: 'ten' }), fakeSqs());
    expect(reply).toMatchObject({ status: 400, body: expect.stringContaining('<Code>InvalidParameterValue</Code><Message>Value ten for parameter MaxNumberOfMessages is invalid.') });
  });

  it('keeps a map key named __proto__ as data', async () => {
    const sqs = fakeSqs();
    await answerSqsQuery(query({ Action: 'TagQueue', QueueUrl: QUEUE_URL, 'Tag.1.Key': '__proto__', 'Tag.1.Value': 'x' }), sqs);
    expect(sqs.calls[0]!.input).toEqual({ QueueUrl: QUEUE_URL, Tags: JSON.parse('{"__proto__":"x"}') });
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('answers ListDeadLetterSourceQueues with the queues whose redrive policy targets the queue', async () => {
    // Prepare
    const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:orders-dlq';
    const attributes: Record<string, Record<string, string>> = {
      'http://h/000000000000/orders-dlq': { QueueArn: dlqArn },
      'http://h/000000000000/orders': { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) },
      'http://h/000000000000/other': {},
    };
    const sqs = fakeSqs({
      ListQueues: { status: 200, body: { QueueUrls: Object.keys(attributes) } },
      GetQueueAttributes: (input) => ({ status: 200, body: { Attributes: attributes[input['QueueUrl'] as string] } }),
    });

    // Act
    const reply = await answerSqsQuery(query({ Action: 'ListDeadLetterSourceQueues', QueueUrl: 'http://h/000000000000/orders-dlq' }), sqs);

    // Assess
    expect(reply.body).toContain('<ListDeadLetterSourceQueuesResult><QueueUrl>http://h/000000000000/orders</QueueUrl></ListDeadLetterSourceQueuesResult>');
  });
});

describe('isSqsAction', () => {
  it('knows SQS action names, answered here or not, and nothing else', () => {
    expect(['ListQueues', 'SendMessage', 'ListDeadLetterSourceQueues', 'StartMessageMoveTask'].every(isSqsAction)).toBe(true);
    expect(['Publish', 'ListTopics', 'GetCallerIdentity', '', null].some(isSqsAction)).toBe(false);
  });
});
