/**
 * Cost per event: the requests the local runtime counted while a known number of events went
 * through (quiet before and after), priced with {@link PRICES}.
 */
import { PRICES } from '../prices.ts';
import { sumRequests, type RuntimeStats } from './stats.ts';

export interface CostInput {
  readonly events: number;
  readonly stats: RuntimeStats;
  /** Requests the measuring tool itself made (queue depth polls), left out of the bill. */
  readonly ownRequests: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Total billed Lambda duration in GB-seconds, from the REPORT lines; undefined when unknown. */
  readonly lambdaGbSeconds?: number;
  readonly architecture: 'arm64' | 'x86_64';
}

export interface CostLine {
  readonly item: string;
  /** Requests (or GB-s, or units) per event. */
  readonly perEvent: number;
  /** US dollars per million events. */
  readonly dollarsPerMillionEvents: number;
}

const WRITE_ACTIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READ_ACTIONS = new Set(['GetItem']);

const counted = (input: CostInput, service: string, match: (action: string) => boolean): number =>
  sumRequests(input.stats, service, match) -
  Object.entries(input.ownRequests[service] ?? {}).reduce((sum, [action, n]) => sum + (match(action) ? n : 0), 0);

/**
 * The bill, line by line. Assumptions, stated where they are made: every message and item is
 * under 64 KiB and 1 KiB (one request, one write unit each), GetItem is strongly consistent
 * (Powertools idempotency reads with ConsistentRead), one API request per event.
 */
export function costPerEvent(input: CostInput): CostLine[] {
  const perEvent = (n: number) => n / input.events;
  const line = (item: string, n: number, pricePerUnit: number): CostLine => ({
    item,
    perEvent: perEvent(n),
    dollarsPerMillionEvents: perEvent(n) * pricePerUnit * 1_000_000,
  });
  const perMillion = (price: number) => price / 1_000_000;
  const sqs = (match: (action: string) => boolean) => counted(input, 'sqs', match);
  const invocations = Object.values(input.stats.lambda).reduce((sum, fn) => sum + fn.invocations, 0);
  const lines = [
    line('API Gateway REST requests', input.events, perMillion(PRICES.apiGatewayRestPerMillion)),
    line('Lambda invocations', invocations, perMillion(PRICES.lambdaRequestPerMillion)),
    line('SNS Publish', counted(input, 'sns', (action) => action === 'Publish'), perMillion(PRICES.snsPublishPerMillion)),
    line('SQS ReceiveMessage (empty ones included)', sqs((action) => action === 'ReceiveMessage'), perMillion(PRICES.sqsRequestPerMillion)),
    line('SQS DeleteMessage(Batch)', sqs((action) => action.startsWith('DeleteMessage')), perMillion(PRICES.sqsRequestPerMillion)),
    line('SQS ChangeMessageVisibility(Batch)', sqs((action) => action.startsWith('ChangeMessageVisibility')), perMillion(PRICES.sqsRequestPerMillion)),
    line('SQS SendMessage(Batch)', sqs((action) => action.startsWith('SendMessage')), perMillion(PRICES.sqsRequestPerMillion)),
    line(
      'SQS other',
      sqs((action) => !['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'SendMessage'].some((prefix) => action.startsWith(prefix))),
      perMillion(PRICES.sqsRequestPerMillion),
    ),
    line('DynamoDB writes (WRU)', counted(input, 'dynamodb', (action) => WRITE_ACTIONS.has(action)), perMillion(PRICES.dynamoDbWriteUnitPerMillion)),
    line('DynamoDB reads (RRU)', counted(input, 'dynamodb', (action) => READ_ACTIONS.has(action)), perMillion(PRICES.dynamoDbReadUnitPerMillion)),
  ];
  if (input.lambdaGbSeconds !== undefined) {
    const price = input.architecture === 'arm64' ? PRICES.lambdaArm64PerGbSecond : PRICES.lambdaX86PerGbSecond;
    lines.push(line(`Lambda duration (GB-s, ${input.architecture}, local durations)`, input.lambdaGbSeconds, price));
  }
  return lines;
}

/** Sums the billed GB-seconds of REPORT lines (`Duration: 12.34 ms … Memory Size: 256 MB`). */
export class ReportLineMeter {
  #gbSeconds = 0;
  #reports = 0;

  /** Feed every line the runtime prints; only REPORT lines count. */
  readonly onLine = (line: string): void => {
    const match = /REPORT RequestId: \S+\s+Duration: ([\d.]+) ms\s+Memory Size: (\d+) MB/.exec(line);
    if (!match) return;
    // Lambda bills duration rounded up to the millisecond.
    this.#gbSeconds += (Math.ceil(Number(match[1])) / 1000) * (Number(match[2]) / 1024);
    this.#reports += 1;
  };

  reset(): void {
    this.#gbSeconds = 0;
    this.#reports = 0;
  }

  get gbSeconds(): number {
    return this.#gbSeconds;
  }

  get reports(): number {
    return this.#reports;
  }
}
