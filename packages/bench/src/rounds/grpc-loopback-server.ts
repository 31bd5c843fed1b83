import { startLoopbackServer } from './grpc-loopback.js';

// Entry point of the child-process loopback server (see `measureGrpcLoopback`): listens, sends
// its port to the parent over IPC, and exits when told to or when the parent goes away.
const server = await startLoopbackServer();
const stop = (): void => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('disconnect', stop);
process.send?.({ port: server.port });
