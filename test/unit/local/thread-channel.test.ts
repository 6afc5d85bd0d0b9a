import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { PortInUseError } from '../../../lib/local/errors.ts';
import { ThreadChannel } from '../../../lib/local/thread-channel.ts';

type WorkerSide = {
  double(n: number): number;
  slow(): string;
  occupied(port: number): never;
  broken(): never;
};
type MainSide = { counts(): Record<string, number> };

describe('ThreadChannel', () => {
  const ports: MessagePort[] = [];
  afterEach(() => ports.splice(0).forEach((port) => port.close()));

  /** Both ends of one message channel, as the main thread and a worker hold them. */
  const connect = () => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const worker: ThreadChannel<MainSide, WorkerSide> = new ThreadChannel<MainSide, WorkerSide>(port2, {
      double: (n) => 2 * n,
      slow: () => new Promise<string>((resolve) => setTimeout(() => resolve('late'), 50)),
      occupied: (port) => {
        throw new PortInUseError(port, '--aws-port', { cause: Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }) });
      },
      broken: async () => {
        throw new TypeError('not a function');
      },
    });
    const main = new ThreadChannel<WorkerSide, MainSide>(port1, { counts: () => ({ Fn: 3 }) });
    return { main, worker };
  };

  it('answers calls both ways, with values and promises', async () => {
    // Prepare
    const { main, worker } = connect();

    // Act
    const answers = await Promise.all([main.call('double', 21), main.call('slow'), worker.call('counts')]);

    // Assess
    expect(answers).toEqual([42, 'late', { Fn: 3 }]);
  });

  it('rejects with a PortInUseError naming the port and the flag, and its cause with its code', async () => {
    // Prepare
    const { main } = connect();

    // Act
    const error = await main.call('occupied', 4566).catch((caught: unknown) => caught as PortInUseError);

    // Assess
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error).toMatchObject({ port: 4566, flag: '--aws-port', message: expect.stringMatching(/Port 4566 .* --aws-port/) });
    expect(error.cause).toMatchObject({ message: 'listen EADDRINUSE', code: 'EADDRINUSE' });
  });

  it('rejects with any other error by its name, message and stack', async () => {
    // Prepare
    const { main } = connect();

    // Act
    const error = await main.call('broken').catch((caught: unknown) => caught as Error);

    // Assess
    expect(error).toMatchObject({ name: 'TypeError', message: 'not a function' });
    expect(error.stack).toContain('thread-channel.test.ts');
  });

  it('rejects a call waiting for an answer, and every later one, once the other side is gone', async () => {
    // Prepare
    const { main } = connect();
    const waiting = main.call('slow');

    // Act
    main.fail(new Error('the worker exited'));

    // Assess
    await expect(waiting).rejects.toThrow('the worker exited');
    await expect(main.call('double', 1)).rejects.toThrow('the worker exited');
  });
});
