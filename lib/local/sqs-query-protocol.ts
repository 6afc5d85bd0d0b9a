/**
 * SQS's query protocol, answered by translation: a form-encoded request (`Action=SendMessage&
 * Version=2012-11-05&QueueUrl=…&MessageAttribute.1.Name=…`) becomes the JSON-protocol call that
 * fauxqs serves, and its JSON answer becomes the XML reply SQS sends (`<SendMessageResponse>` with
 * `<SendMessageResult>` and `<ResponseMetadata><RequestId>`, or `<ErrorResponse>`).
 *
 * Each action's request and result shapes are those of the SQS service model (botocore's
 * `sqs/2012-11-05/service-2.json`, query protocol): lists and maps are flattened and named by
 * their `locationName` (`AttributeName.1`, `Attribute.1.Name`/`.Value`, `MessageAttribute.1.Value.
 * StringValue`), in both the request and the reply. Message bodies and attributes pass through
 * unchanged, so the MD5 digests fauxqs computes for the JSON reply hold for the XML reply.
 * XML is written with the AWS SDK's own builder (`@aws-sdk/xml-builder`, which escapes text and
 * keeps CR and LF as character references so a body survives an XML parser's newline folding).
 */
import { randomUUID } from 'node:crypto';
import { XmlNode } from '@aws-sdk/xml-builder';

/** The XML namespace of every SQS query reply (the model's `xmlNamespace`). */
export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** An SQS JSON-protocol answer: the HTTP status and the parsed body. */
export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

/** Calls one SQS action over the JSON protocol (`X-Amz-Target: AmazonSQS.<action>`). */
export type JsonCall = (action: string, input: Record<string, unknown>) => Promise<JsonReply>;

/** An XML reply to a query request. */
export interface QueryReply {
  readonly status: number;
  /** `text/xml` */
  readonly body: string;
  readonly requestId: string;
}

type Scalar = 'string' | 'integer' | 'boolean' | 'blob';
type Shape =
  | Scalar
  | { readonly kind: 'list'; readonly name: string; readonly of: Shape }
  | { readonly kind: 'map'; readonly name: string; readonly key: string; readonly value: string; readonly of: Shape }
  | { readonly kind: 'struct'; readonly fields: Fields };
/** Members by their JSON name, in the model's order (the order of the XML elements). */
type Fields = Readonly<Record<string, Shape>>;

const S = 'string' as const;
const I = 'integer' as const;
/** A flattened list: `<name>.1`, `<name>.2`, … in a request; repeated `<name>` elements in a reply. */
const list = (name: string, of: Shape = S): Shape => ({ kind: 'list', name, of });
/** A flattened map: `<name>.N.<key>` and `<name>.N.<value>`. */
const map = (name: string, of: Shape = S, key = 'Name', value = 'Value'): Shape => ({ kind: 'map', name, key, value, of });
const struct = (fields: Fields): Shape => ({ kind: 'struct', fields });

const attributeValue = struct({
  StringValue: S,
  BinaryValue: 'blob',
  StringListValues: list('StringListValue'),
  BinaryListValues: list('BinaryListValue', 'blob'),
  DataType: S,
});
const messageAttributes = map('MessageAttribute', attributeValue);
const messageSystemAttributes = map('MessageSystemAttribute', attributeValue);
const batchError = struct({ Id: S, SenderFault: 'boolean', Code: S, Message: S });
const tags = map('Tag', S, 'Key', 'Value');
const message = struct({
  MessageId: S,
  ReceiptHandle: S,
  MD5OfBody: S,
  Body: S,
  Attributes: map('Attribute'),
  MD5OfMessageAttributes: S,
  MessageAttributes: messageAttributes,
});
/** What SendMessage and each SendMessageBatch entry carry besides the queue or the entry id. */
const messageToSend: Fields = {
  MessageBody: S,
  DelaySeconds: I,
  MessageAttributes: messageAttributes,
  MessageSystemAttributes: messageSystemAttributes,
  MessageDeduplicationId: S,
  MessageGroupId: S,
};
const sendResult: Fields = { MD5OfMessageBody: S, MD5OfMessageAttributes: S, MD5OfMessageSystemAttributes: S, MessageId: S, SequenceNumber: S };

/** The actions answered, with their request members and, when they have one, their result's. */
const ACTIONS: Readonly<Record<string, { readonly input: Fields; readonly output?: Fields }>> = {
  ListQueues: { input: { QueueNamePrefix: S, NextToken: S, MaxResults: I }, output: { QueueUrls: list('QueueUrl'), NextToken: S } },
  CreateQueue: { input: { QueueName: S, Attributes: map('Attribute'), tags }, output: { QueueUrl: S } },
  GetQueueUrl: { input: { QueueName: S, QueueOwnerAWSAccountId: S }, output: { QueueUrl: S } },
  DeleteQueue: { input: { QueueUrl: S } },
  PurgeQueue: { input: { QueueUrl: S } },
  GetQueueAttributes: { input: { QueueUrl: S, AttributeNames: list('AttributeName') }, output: { Attributes: map('Attribute') } },
  SetQueueAttributes: { input: { QueueUrl: S, Attributes: map('Attribute') } },
  ListDeadLetterSourceQueues: { input: { QueueUrl: S, NextToken: S, MaxResults: I }, output: { queueUrls: list('QueueUrl'), NextToken: S } },
  SendMessage: { input: { QueueUrl: S, ...messageToSend }, output: sendResult },
  SendMessageBatch: {
    input: { QueueUrl: S, Entries: list('SendMessageBatchRequestEntry', struct({ Id: S, ...messageToSend })) },
    output: { Successful: list('SendMessageBatchResultEntry', struct({ Id: S, ...sendResult })), Failed: list('BatchResultErrorEntry', batchError) },
  },
  ReceiveMessage: {
    input: {
      QueueUrl: S,
      AttributeNames: list('AttributeName'),
      MessageSystemAttributeNames: list('MessageSystemAttributeName'),
      MessageAttributeNames: list('MessageAttributeName'),
      MaxNumberOfMessages: I,
      VisibilityTimeout: I,
      WaitTimeSeconds: I,
      ReceiveRequestAttemptId: S,
    },
    output: { Messages: list('Message', message) },
  },
  DeleteMessage: { input: { QueueUrl: S, ReceiptHandle: S } },
  DeleteMessageBatch: {
    input: { QueueUrl: S, Entries: list('DeleteMessageBatchRequestEntry', struct({ Id: S, ReceiptHandle: S })) },
    output: { Successful: list('DeleteMessageBatchResultEntry', struct({ Id: S })), Failed: list('BatchResultErrorEntry', batchError) },
  },
  ChangeMessageVisibility: { input: { QueueUrl: S, ReceiptHandle: S, VisibilityTimeout: I } },
  ChangeMessageVisibilityBatch: {
    input: { QueueUrl: S, Entries: list('ChangeMessageVisibilityBatchRequestEntry', struct({ Id: S, ReceiptHandle: S, VisibilityTimeout: I })) },
    output: { Successful: list('ChangeMessageVisibilityBatchResultEntry', struct({ Id: S })), Failed: list('BatchResultErrorEntry', batchError) },
  },
  TagQueue: { input: { QueueUrl: S, Tags: tags } },
  UntagQueue: { input: { QueueUrl: S, TagKeys: list('TagKey') } },
  ListQueueTags: { input: { QueueUrl: S }, output: { Tags: tags } },
};

/**
 * Every SQS action name, answered here or not: a request naming one is an SQS request even when
 * nothing else (a signature) says so, and gets an SQS answer.
 */
const SQS_ACTIONS = new Set([
  ...Object.keys(ACTIONS),
  'AddPermission',
  'RemovePermission',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
]);

/** Whether `action` is an SQS action name (`SendMessage`, `ListQueues`, …). */
export function isSqsAction(action: string | null | undefined): boolean {
  return action != null && SQS_ACTIONS.has(action);
}

/**
 * JSON error codes whose query-protocol code differs, with the query status: the `awsQueryError`
 * traits of the SQS Smithy model (as in `@aws-sdk/client-sqs`). Other codes are the same in both.
 */
const QUERY_ERRORS: Readonly<Record<string, readonly [code: string, status: number]>> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  QueueDeletedRecently: ['AWS.SimpleQueueService.QueueDeletedRecently', 400],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
  InvalidAddress: ['InvalidAddress', 404],
  InvalidSecurity: ['InvalidSecurity', 403],
  OverLimit: ['OverLimit', 403],
  RequestThrottled: ['RequestThrottled', 403],
  ResourceNotFoundException: ['ResourceNotFoundException', 404],
};

/** A request the translator refuses before any call: a query-protocol error. */
class QueryError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'QueryError';
    this.code = code;
    this.status = status;
  }
}

/**
 * Answers one SQS query-protocol request.
 *
 * @param params the request's form fields (or query string)
 * @param options.queueUrl the queue the request was sent to, when its path is a queue's
 *   (`/<account>/<queue>`): SQS takes the queue from the path when `QueueUrl` is not in the body.
 * @param options.call runs an SQS action over the JSON protocol
 *
 * @example
 * const reply = await answerSqsQuery(new URLSearchParams('Action=ListQueues&Version=2012-11-05'), { call });
 * response.writeHead(reply.status, { 'content-type': 'text/xml' }).end(reply.body);
 */
export async function answerSqsQuery(params: URLSearchParams, options: { readonly queueUrl?: string; readonly call: JsonCall }): Promise<QueryReply> {
  const requestId = randomUUID();
  const action = params.get('Action');
  try {
    if (!action) throw new QueryError('MissingAction', 'The request must contain the parameter Action.');
    const spec = ACTIONS[action];
    if (!spec) {
      const why = SQS_ACTIONS.has(action) ? 'is not emulated by the local runtime' : 'is not valid for this endpoint';
      throw new QueryError('InvalidAction', `The action ${action} ${why}.`);
    }
    const input = readStruct(parseForm(params), spec.input, '');
    if ('QueueUrl' in spec.input && input['QueueUrl'] === undefined && options.queueUrl !== undefined) input['QueueUrl'] = options.queueUrl;
    const reply = action === 'ListDeadLetterSourceQueues' ? await listDeadLetterSourceQueues(input, options.call) : await options.call(action, input);
    if (reply.status >= 300) return errorReply(reply, requestId);
    const root = new XmlNode(`${action}Response`).addAttribute('xmlns', SQS_XML_NAMESPACE);
    if (spec.output) root.addChildNode(writeStruct(new XmlNode(`${action}Result`), (reply.body ?? {}) as Record<string, unknown>, spec.output));
    root.addChildNode(new XmlNode('ResponseMetadata').addChildNode(XmlNode.of('RequestId', requestId)));
    return { status: 200, body: xmlDocument(root), requestId };
  } catch (error) {
    if (!(error instanceof QueryError)) throw error;
    return { status: error.status, body: errorDocument(error.status, error.code, error.message, requestId), requestId };
  }
}

/**
 * An SQS query error reply (`<ErrorResponse>`), for refusals made before a request reaches SQS.
 *
 * @example
 * response.writeHead(403, { 'content-type': 'text/xml' }).end(queryErrorDocument(403, 'AccessDenied', 'Refused'));
 */
export function queryErrorDocument(status: number, code: string, message: string, requestId: string = randomUUID()): string {
  return errorDocument(status, code, message, requestId);
}

function errorReply(reply: JsonReply, requestId: string): QueryReply {
  const body = (reply.body ?? {}) as { __type?: unknown; message?: unknown };
  const jsonCode = typeof body.__type === 'string' ? body.__type.slice(body.__type.indexOf('#') + 1) : 'InternalFailure';
  const [code, status] = QUERY_ERRORS[jsonCode] ?? [jsonCode, reply.status];
  const message = typeof body.message === 'string' ? body.message : 'The request could not be processed.';
  return { status, body: errorDocument(status, code, message, requestId), requestId };
}

function errorDocument(status: number, code: string, message: string, requestId: string): string {
  const error = new XmlNode('Error')
    .addChildNode(XmlNode.of('Type', status >= 500 ? 'Receiver' : 'Sender'))
    .addChildNode(XmlNode.of('Code', code))
    .addChildNode(XmlNode.of('Message', message))
    .addChildNode(new XmlNode('Detail'));
  return xmlDocument(new XmlNode('ErrorResponse').addAttribute('xmlns', SQS_XML_NAMESPACE).addChildNode(error).addChildNode(XmlNode.of('RequestId', requestId)));
}

function xmlDocument(root: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root.toString()}`;
}

/**
 * ListDeadLetterSourceQueues, which fauxqs does not serve, from the calls it does: the queues
 * whose redrive policy names this queue's ARN as `deadLetterTargetArn`. All of them in one page.
 */
async function listDeadLetterSourceQueues(input: Record<string, unknown>, call: JsonCall): Promise<JsonReply> {
  const target = await call('GetQueueAttributes', { QueueUrl: input['QueueUrl'], AttributeNames: ['QueueArn'] });
  if (target.status >= 300) return target;
  const arn = (target.body as { Attributes?: { QueueArn?: string } }).Attributes?.QueueArn;
  const listed = await call('ListQueues', {});
  if (listed.status >= 300) return listed;
  const sources: string[] = [];
  for (const url of (listed.body as { QueueUrls?: string[] }).QueueUrls ?? []) {
    const attributes = await call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['RedrivePolicy'] });
    const policy = (attributes.body as { Attributes?: { RedrivePolicy?: string } } | undefined)?.Attributes?.RedrivePolicy;
    if (policy !== undefined && (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn === arn) sources.push(url);
  }
  return { status: 200, body: { queueUrls: sources } };
}

/** A form field path (`Attribute.1.Name`) as a tree: one node per dotted segment. */
interface FormNode {
  value?: string;
  readonly children: Map<string, FormNode>;
}

function parseForm(params: URLSearchParams): FormNode {
  const root: FormNode = { children: new Map() };
  for (const [key, value] of params) {
    let node = root;
    for (const segment of key.split('.')) {
      let child = node.children.get(segment);
      if (!child) node.children.set(segment, (child = { children: new Map() }));
      node = child;
    }
    node.value = value;
  }
  return root;
}

function queryName(jsonName: string, shape: Shape): string {
  return typeof shape === 'object' && shape.kind !== 'struct' ? shape.name : jsonName;
}

// Maps are built on null-prototype objects: a key such as `__proto__` is data here, not a prototype.
function readStruct(node: FormNode, fields: Fields, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [jsonName, shape] of Object.entries(fields)) {
    const name = queryName(jsonName, shape);
    const child = node.children.get(name);
    if (!child) continue;
    const value = read(child, shape, `${path}${name}`);
    if (value !== undefined) out[jsonName] = value;
  }
  return out;
}

function read(node: FormNode, shape: Shape, path: string): unknown {
  if (typeof shape === 'string') {
    if (node.value === undefined) return undefined;
    if (shape === 'integer') {
      if (!/^-?\d+$/.test(node.value)) throw new QueryError('InvalidParameterValue', `Value ${node.value} for parameter ${path} is invalid. Reason: Must be an integer.`);
      return Number(node.value);
    }
    if (shape === 'boolean') return node.value === 'true';
    return node.value;
  }
  if (shape.kind === 'struct') return readStruct(node, shape.fields, `${path}.`);
  const members = [...node.children.entries()].filter(([index]) => /^\d+$/.test(index)).sort(([a], [b]) => Number(a) - Number(b));
  if (shape.kind === 'list') return members.map(([index, member]) => read(member, shape.of, `${path}.${index}`));
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [index, entry] of members) {
    const key = entry.children.get(shape.key)?.value;
    if (key === undefined) throw new QueryError('MissingParameter', `The request must contain the parameter ${path}.${index}.${shape.key}.`);
    const value = entry.children.get(shape.value);
    out[key] = value === undefined ? undefined : read(value, shape.of, `${path}.${index}.${shape.value}`);
  }
  return out;
}

function writeStruct(parent: XmlNode, value: Record<string, unknown>, fields: Fields): XmlNode {
  for (const [jsonName, shape] of Object.entries(fields)) {
    const member = value[jsonName];
    if (member === undefined || member === null) continue;
    if (typeof shape === 'object' && shape.kind === 'list') {
      for (const item of member as unknown[]) parent.addChildNode(write(item, shape.of, shape.name));
    } else if (typeof shape === 'object' && shape.kind === 'map') {
      for (const [key, entryValue] of Object.entries(member as Record<string, unknown>)) {
        parent.addChildNode(new XmlNode(shape.name).addChildNode(XmlNode.of(shape.key, key)).addChildNode(write(entryValue, shape.of, shape.value)));
      }
    } else {
      parent.addChildNode(write(member, shape, jsonName));
    }
  }
  return parent;
}

function write(value: unknown, shape: Shape, name: string): XmlNode {
  if (typeof shape === 'object' && shape.kind === 'struct') return writeStruct(new XmlNode(name), value as Record<string, unknown>, shape.fields);
  return XmlNode.of(name, String(value));
}
