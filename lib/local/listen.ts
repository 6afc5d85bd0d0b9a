import type { AddressInfo, Server } from 'node:net';
import { PortInUseError } from './errors.ts';

/** Listens on 127.0.0.1 and returns the port; a taken port becomes `PortInUseError` naming `flag`. */
export function listen(server: Server, port: number, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, flag, { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
